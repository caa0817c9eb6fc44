"""/v1/devices/{id}/…: end-of-lease options, choices, buyout checkout, replacement, receipt,
release, return, rentals and buyout prices; /v1/companies/{id}/valuation/{category}: automatic
valuation and custom curves, with the chart that compares them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from api.bootstrap import Container
from api.http.deps import CallerDep, ContainerDep, ContextDep
from api.http.routes._responses import command_response
from api.http.schemas import (
    AutomaticValuationIn,
    BuyoutAvailabilityIn,
    BuyoutPriceIn,
    CurveIn,
    NoBody,
    PreliminaryChoiceIn,
    ReplacementIn,
    SerialIn,
    SwapIn,
    company_out,
    device_out,
    options_out,
)
from domain.application import CommandContext, Outcome

router = APIRouter(tags=["end of lease"])
DEVICE = "/v1/devices/{device_id}"


def _versioned(ctx: CommandContext, expected_version: int | None) -> CommandContext:
    return replace(ctx, expected_version=expected_version)


def _device(c: Container, ctx: CommandContext, outcome: Outcome) -> JSONResponse:
    device = c.app.devices.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, device_out(device), lambda i: f"/v1/devices/{i}")


@router.get(DEVICE + "/options", summary="What the caller may do now, the price, deadlines")
def options(device_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return options_out(c.app.end_of_lease.options(who, device_id, c.clock.now()))


@router.post(DEVICE + "/preliminary-choice", summary="The employee's plan (R − 3 m to R − 1 m)")
def preliminary_choice(
    device_id: UUID, body: PreliminaryChoiceIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.end_of_lease.choose_preliminary(ctx, device_id, body.choice))


@router.post(DEVICE + "/return", summary="Final decision: return the device (final at once)")
def choose_return(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.end_of_lease.choose_return(ctx, device_id))


@router.post(DEVICE + "/buyout", summary="Final decision: buy it out — opens a card payment")
def start_buyout(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    landing = f"{c.settings.public_url}/buyout/{device_id}"
    outcome = c.app.end_of_lease.start_buyout(
        ctx,
        device_id,
        success_url=landing + "/paid",
        cancel_url=landing + "/cancelled",
    )
    return _device(c, ctx, outcome)


@router.post(DEVICE + "/buyout/cancel", summary="Back out of the payment: back to the options")
def cancel_buyout(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.end_of_lease.cancel_buyout(ctx, device_id))


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


@router.post(
    DEVICE + "/replacements",
    status_code=201,
    summary="Register the replacement, linked as replacement_for this device",
)
def register_replacement(
    device_id: UUID, body: ReplacementIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.replacements.register(
        ctx,
        device_id,
        serial=body.serial,
        model=body.model,
        category=body.category,
        company_cost=body.company_cost.to_money(),
        contract_type=body.contract_type,
        lease_start=body.lease_start,
        renewal_date=body.renewal_date,
    )
    return _device(c, ctx, outcome)


@router.post(DEVICE + "/delivered", summary="Its order is reported delivered")
def delivered(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.report_delivered(ctx, device_id))


@router.post(DEVICE + "/received", summary="Mark the device received (it becomes active)")
def received(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.mark_received(ctx, device_id))


@router.post(DEVICE + "/serial", summary="Record the serial number of a delivered device")
def record_serial(
    device_id: UUID, body: SerialIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.record_serial(ctx, device_id, body.serial))


@router.post(DEVICE + "/release", summary="Deregister a bought device (admins, services)")
def release(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.release(ctx, device_id))


@router.post(DEVICE + "/return-confirmation", summary="The device came back (admins, services)")
def confirm_return(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.confirm_return(ctx, device_id))


@router.post(DEVICE + "/removal", summary="Remove a returned device")
def remove(device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.replacements.remove(ctx, device_id))


@router.post(
    DEVICE + "/rma-swap",
    status_code=201,
    summary="RMA: a new unit takes over the rental without a gap",
)
def rma_swap(device_id: UUID, body: SwapIn, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    return _device(c, ctx, c.app.rentals.swap(ctx, device_id, serial=body.serial, model=body.model))


@router.post(DEVICE + "/rental-deactivation", summary="Stop the device's rental")
def deactivate_rental(
    device_id: UUID, body: NoBody, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.rentals.deactivate(ctx, device_id))


@router.post(DEVICE + "/buyout-price", summary="Set or clear the manual buyout price")
def buyout_price(
    device_id: UUID, body: BuyoutPriceIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    amount = body.amount.to_money() if body.amount else None
    return _device(c, ctx, c.app.valuation.set_buyout_price(ctx, device_id, amount))


@router.post(DEVICE + "/buyout-availability", summary="Offer (or not) a buyout of this device")
def buyout_availability(
    device_id: UUID, body: BuyoutAvailabilityIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _device(c, ctx, c.app.valuation.set_buyout_availability(ctx, device_id, body.available))


VALUATION = "/v1/companies/{company_id}/valuation/{category}"


def _company(c: Container, ctx: CommandContext, outcome: Outcome) -> JSONResponse:
    company = c.app.companies.read(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, company_out(company) | {"valuation": company.valuation})


@router.get(VALUATION, summary="Standard and custom curve month by month, for a chart")
def valuation_chart(
    company_id: UUID, category: str, who: CallerDep, c: ContainerDep
) -> dict[str, Any]:
    data = c.app.valuation.chart(who, company_id, category)
    for key in ("standard", "custom"):
        points = data[key]
        if isinstance(points, list):
            data[key] = [{"month": m, "percent": str(p)} for m, p in points]
    return data


@router.post(VALUATION + "/automatic", summary="Turn automatic valuation on or off")
def automatic_valuation(
    company_id: UUID,
    category: str,
    body: AutomaticValuationIn,
    ctx: ContextDep,
    c: ContainerDep,
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _company(c, ctx, c.app.valuation.set_automatic(ctx, company_id, category, body.enabled))


@router.post(VALUATION + "/curve", summary="Save a custom curve (recalculates the prices)")
def save_curve(
    company_id: UUID, category: str, body: CurveIn, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _company(
        c, ctx, c.app.valuation.save_custom_curve(ctx, company_id, category, body.to_curve())
    )


@router.post(VALUATION + "/curve/clear", summary="Back to the standard curve")
def clear_curve(
    company_id: UUID, category: str, body: NoBody, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    ctx = _versioned(ctx, body.expected_version)
    return _company(c, ctx, c.app.valuation.clear_custom_curve(ctx, company_id, category))
