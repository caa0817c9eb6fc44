"""/v1/devices/{id}/…: the end of a lease — what the caller may do now, the preliminary
choice, the final decision (return, or a buyout paid by card) — and the pages a buyer's
browser lands on after the checkout."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute
from api.http.preconditions import VersionedContextDep
from api.http.schemas import NoBody
from api.http.schemas.devices import DEVICE
from api.http.schemas.end_of_lease import OptionsOut, PreliminaryChoiceIn, options_out
from domain.application import Outcome

router = APIRouter(tags=["end of lease"], route_class=DocumentedRoute)
DEVICE_PATH = "/v1/devices/{device_id}"
device = CommandRoutes(router, DEVICE_PATH, DEVICE)


@router.get(
    DEVICE_PATH + "/options",
    summary="What the caller may do now, the price, deadlines",
    response_model=OptionsOut,
)
def options(device_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return options_out(c.app.end_of_lease.options(who, device_id, c.clock.now()))


@device.post("/preliminary-choice", "The employee's plan (R − 3 m to R − 1 m)")
def preliminary_choice(app: App, ctx: Ctx, device_id: UUID, body: PreliminaryChoiceIn) -> Outcome:
    return app.end_of_lease.choose_preliminary(ctx, device_id, body.choice)


@device.post("/return", "Final decision: return the device (final at once)")
def choose_return(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.end_of_lease.choose_return(ctx, device_id)


@router.post(
    DEVICE_PATH + "/buyout",
    summary="Final decision: buy it out — opens a card payment",
    response_model=DEVICE.model,
)
def start_buyout(
    device_id: UUID, _body: NoBody, ctx: VersionedContextDep, c: ContainerDep
) -> JSONResponse:
    landing = f"{c.settings.public_url}/buyout/{device_id}"
    outcome = c.app.end_of_lease.start_buyout(
        ctx,
        device_id,
        success_url=landing + "/paid",
        cancel_url=landing + "/cancelled",
    )
    return DEVICE.answer(outcome)


@device.post("/buyout/cancel", "Back out of the payment: back to the options")
def cancel_buyout(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.end_of_lease.cancel_buyout(ctx, device_id)


LANDING = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"""


@router.get("/buyout/{device_id}/paid", response_class=HTMLResponse, include_in_schema=False)
def buyout_paid_page(device_id: UUID) -> HTMLResponse:
    """Where Stripe Checkout sends the employee after paying (public: a browser, no token).
    The payment counts when its webhook arrives, not when this page loads."""
    del device_id
    return HTMLResponse(
        LANDING.format(
            title="Thank you — payment received",
            text="Your buyout is confirmed as soon as the payment is settled; you will get an"
            " email. Keep using the device for work until your replacement arrives.",
        )
    )


@router.get("/buyout/{device_id}/cancelled", response_class=HTMLResponse, include_in_schema=False)
def buyout_cancelled_page(device_id: UUID) -> HTMLResponse:
    del device_id
    return HTMLResponse(
        LANDING.format(
            title="Payment not completed",
            text="Nothing was charged. Go back to your device's options to try again or to"
            " choose to return it.",
        )
    )
