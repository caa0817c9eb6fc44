"""/v1/devices/{id}/…: after the decision — the replacement device (registration, delivery,
receipt, serial), the release of a bought device, the confirmed return, and removal."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.http.commands import App, CommandRoutes, Ctx
from api.http.documented import DocumentedRoute
from api.http.schemas import NoBody
from api.http.schemas.devices import DEVICE, registration
from api.http.schemas.replacements import ReplacementIn, SerialIn
from domain.application import Outcome

router = APIRouter(tags=["end of lease"], route_class=DocumentedRoute)
device = CommandRoutes(router, "/v1/devices/{device_id}", DEVICE)


@device.post(
    "/replacements",
    "Register the replacement, linked as replacement_for this device",
    status_code=201,
)
def register_replacement(app: App, ctx: Ctx, device_id: UUID, body: ReplacementIn) -> Outcome:
    return app.replacements.register(ctx, device_id, **registration(body))


@device.post("/delivered", "Its order is reported delivered")
def delivered(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.replacements.report_delivered(ctx, device_id)


@device.post("/received", "Mark the device received (it becomes active)")
def received(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.replacements.mark_received(ctx, device_id)


@device.post("/serial", "Record the serial number of a delivered device")
def record_serial(app: App, ctx: Ctx, device_id: UUID, body: SerialIn) -> Outcome:
    return app.replacements.record_serial(ctx, device_id, body.serial)


@device.post("/release", "Deregister a bought device (admins, services)")
def release(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.replacements.release(ctx, device_id)


@device.post("/return-confirmation", "The device came back (admins, services)")
def confirm_return(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.replacements.confirm_return(ctx, device_id)


@device.post("/removal", "Remove a returned device")
def remove(app: App, ctx: Ctx, device_id: UUID, _: NoBody) -> Outcome:
    return app.replacements.remove(ctx, device_id)
