"""/v1/devices/{id}/…: a rented device — an RMA swap to a new unit, the rental's end."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.http.commands import App, CommandRoutes, Ctx
from api.http.documented import DocumentedRoute
from api.http.schemas import NoBody
from api.http.schemas.devices import DEVICE
from api.http.schemas.rentals import SwapIn
from domain.application import Outcome

router = APIRouter(tags=["end of lease"], route_class=DocumentedRoute)
device = CommandRoutes(router, "/v1/devices/{device_id}", DEVICE)


@device.post("/rma-swap", "RMA: a new unit takes over the rental without a gap", status_code=201)
def rma_swap(app: App, ctx: Ctx, device_id: UUID, body: SwapIn) -> Outcome:
    return app.rentals.swap(ctx, device_id, serial=body.serial, model=body.model)


@device.post("/rental/deactivation", "Stop the device's rental")
def deactivate_rental(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.rentals.deactivate(ctx, device_id)


@device.post("/rental-deactivation", "Stop the device's rental (the earlier path, kept)")
def deactivate_rental_earlier_path(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    """The path before the rental routes were grouped under /rental (issue 10)."""
    return app.rentals.deactivate(ctx, device_id)
