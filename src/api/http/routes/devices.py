"""/v1/devices: register, assign, unassign, read; and the hardware overview query."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, HardwarePage, company_for
from api.http.documented import DocumentedRoute
from api.http.schemas.devices import (
    DEVICE,
    DeviceAssign,
    DeviceCreate,
    DevicePage,
    DeviceUnassign,
    registration,
)
from domain.application import Outcome
from domain.model.device import ContractType, DeviceStatus
from domain.model.end_of_lease import Choice, Phase
from projections.hardware_overview import HardwareFilter, query_hardware

router = APIRouter(prefix="/v1/devices", tags=["devices"], route_class=DocumentedRoute)
devices = CommandRoutes(router, "", DEVICE)
device = CommandRoutes(router, "/{device_id}", DEVICE)


@devices.post("", "Register a device (admin, service, operator)", status_code=201)
def register(app: App, ctx: Ctx, body: DeviceCreate) -> Outcome:
    company_id = company_for(ctx.caller, body.company_id)
    return app.devices.register(ctx, company_id=company_id, **registration(body))


@router.get(
    "",
    summary="Hardware overview: devices with filters and cursor pagination",
    name="list",
    response_model=DevicePage,
)
def hardware_overview(
    who: CallerDep,
    paging: HardwarePage,
    c: ContainerDep,
    company_id: UUID | None = None,
    status: DeviceStatus | None = None,
    category: str | None = None,
    contract_type: ContractType | None = None,
    assignee_id: UUID | None = None,
    serial: str | None = None,
    preliminary_choice: Choice | None = None,
    phase: Phase | None = None,
    overdue: bool | None = None,
    ready_to_release: bool | None = None,
    include_closed: Annotated[
        bool, Query(description="also released (bought) and removed devices")
    ] = False,
    renewal_from: Annotated[date | None, Query(description="inclusive")] = None,
    renewal_to: Annotated[date | None, Query(description="exclusive")] = None,
) -> dict[str, Any]:
    page = query_hardware(
        paging.views,
        who,
        HardwareFilter(
            company_id=company_id,
            status=status,
            category=category,
            contract_type=contract_type,
            assignee_id=assignee_id,
            serial=serial,
            renewal_from=renewal_from,
            renewal_to=renewal_to,
            preliminary_choice=preliminary_choice,
            phase=phase,
            overdue=overdue,
            ready_to_release=ready_to_release,
            include_closed=include_closed,
            now=c.clock.now(),
            after=paging.after,
            limit=paging.limit,
        ),
    )
    return page.to_json()


@router.get("/{device_id}", summary="Read a device", response_model=DEVICE.model)
def get(device_id: UUID, who: CallerDep, c: ContainerDep, response: Response) -> dict[str, Any]:
    return DEVICE.read(response, c.app.devices.get(who, device_id))


@device.post("/assign", "Assign the device to a member")
def assign(app: App, ctx: Ctx, device_id: UUID, body: DeviceAssign) -> Outcome:
    return app.devices.assign(ctx, device_id, body.member_id)


@device.post("/unassign", "Take the device back from its assignee")
def unassign(app: App, ctx: Ctx, device_id: UUID, _: DeviceUnassign) -> Outcome:
    return app.devices.unassign(ctx, device_id)
