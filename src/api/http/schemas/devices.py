"""/v1/devices: a device's registration, assignment, and how it reads."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field

from api.http.responses import Resource
from api.http.schemas.common import (
    Body,
    InstantText,
    MoneyOut,
    PageOut,
    Versioned,
    money_out,
)
from api.http.schemas.replacements import DeviceFields, ReplacementIn
from domain.model.device import Device


class DeviceCreate(DeviceFields):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    serial: str = Field(min_length=1, max_length=100)


class DeviceAssign(Versioned):
    member_id: UUID


class DeviceUnassign(Versioned):
    pass


def registration(body: DeviceCreate | ReplacementIn) -> dict[str, Any]:
    """The arguments of a device's registration, as a registration or a replacement gives
    them (Devices.register, Replacements.register)."""
    return {
        "serial": body.serial,
        "model": body.model,
        "category": body.category,
        "company_cost": body.company_cost.to_money(),
        "contract_type": body.contract_type,
        "lease_start": body.lease_start,
        "renewal_date": body.renewal_date,
    }


class EndOfLeaseOut(Body):
    phase: str
    preliminary_choice: str | None
    final_decision: str | None
    overdue: bool


class DeviceOut(Body):
    id: UUID
    company_id: UUID
    serial: str
    model: str
    category: str
    company_cost: MoneyOut
    contract_type: str
    lease_start: date | None
    renewal_date: date | None
    replacement_for: UUID | None
    status: str
    assignee_id: UUID | None
    received: bool
    replacement_id: UUID | None
    end_of_lease: EndOfLeaseOut
    buyout_available: bool
    checkout_url: str | None = Field(description="the open buyout payment's page, if any")
    manual_buyout_price: MoneyOut | None
    rental_active: bool
    version: int


def device_out(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.id),
        "company_id": str(device.company_id),
        "serial": device.serial,
        "model": device.model,
        "category": device.category,
        "company_cost": money_out(device.company_cost),
        "contract_type": str(device.contract_type),
        "lease_start": device.lease_start.isoformat() if device.lease_start else None,
        "renewal_date": device.renewal_date.isoformat() if device.renewal_date else None,
        "replacement_for": str(device.replacement_for) if device.replacement_for else None,
        "status": str(device.status),
        "assignee_id": str(device.assignee_id) if device.assignee_id else None,
        "received": device.received,
        "replacement_id": str(device.replacement_id) if device.replacement_id else None,
        "end_of_lease": {
            "phase": str(device.phase),
            "preliminary_choice": device.preliminary_choice,
            "final_decision": device.final_decision,
            "overdue": device.overdue,
        },
        "buyout_available": device.buyout_available,
        "checkout_url": device.checkout_url,  # the open buyout payment's page, if any
        "manual_buyout_price": money_out(device.manual_price) if device.manual_price else None,
        "rental_active": device.rental_active,
        "version": device.version,
    }


class AssigneeOut(Body):
    member_id: UUID
    name: str | None


class DeviceRow(Body):
    """A device as the hardware overview lists it."""

    device_id: UUID
    company_id: UUID
    serial: str
    model: str
    category: str
    contract_type: str
    status: str
    assignee: AssigneeOut | None
    lease_start: date | None
    renewal_date: date | None
    company_cost: MoneyOut
    registered_at: InstantText
    version: int
    received: bool
    replacement_for: UUID | None
    replacement_id: UUID | None
    end_of_lease: EndOfLeaseOut
    buyer_id: UUID | None
    ready_to_release: bool


class DevicePage(PageOut[DeviceRow]):
    pass


DEVICE = Resource(Device, device_out, DeviceOut, "/v1/devices")
