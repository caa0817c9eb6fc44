"""/v1/devices: register, assign, unassign, read; and the hardware overview query."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.http.deps import (
    CallerDep,
    ContainerDep,
    ContextDep,
    Cursor,
    Limit,
    MinPosition,
)
from api.http.reads import views_after
from api.http.routes._responses import command_response
from api.http.schemas import DeviceAssign, DeviceCreate, DeviceUnassign, device_out
from domain.model.device import ContractType, DeviceStatus
from domain.model.end_of_lease import Choice, Phase
from domain.model.errors import InvalidValue
from projections.hardware_overview import HardwareFilter, query_hardware

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.post("", status_code=201, summary="Register a device (admin, service, operator)")
def register_device(body: DeviceCreate, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    company_id = body.company_id or ctx.caller.company_id
    if company_id is None:
        raise InvalidValue("company_id is required for operators.")
    outcome = c.app.devices.register(
        ctx,
        company_id=company_id,
        serial=body.serial,
        model=body.model,
        category=body.category,
        company_cost=body.company_cost.to_money(),
        contract_type=body.contract_type,
        lease_start=body.lease_start,
        renewal_date=body.renewal_date,
    )
    device = c.app.devices.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, device_out(device), lambda i: f"/v1/devices/{i}")


@router.get("", summary="Hardware overview: devices with filters and cursor pagination")
def hardware_overview(
    who: CallerDep,
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
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    page = query_hardware(
        views_after(c, "hardware_overview", min_position),
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
            after=cursor,
            limit=limit,
        ),
    )
    return page.to_json()


@router.get("/{device_id}", summary="Read a device")
def get_device(device_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return device_out(c.app.devices.get(who, device_id))


@router.post("/{device_id}/assign", summary="Assign the device to a member")
def assign_device(
    device_id: UUID, body: DeviceAssign, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.devices.assign(
        replace(ctx, expected_version=body.expected_version), device_id, body.member_id
    )
    device = c.app.devices.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, device_out(device))


@router.post("/{device_id}/unassign", summary="Take the device back from its assignee")
def unassign_device(
    device_id: UUID, body: DeviceUnassign, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.devices.unassign(
        replace(ctx, expected_version=body.expected_version), device_id
    )
    device = c.app.devices.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, device_out(device))
