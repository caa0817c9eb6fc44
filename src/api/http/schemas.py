"""Request and response bodies. Never the domain's events: the API has its own shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.model.actor import Role
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.member import Member
from domain.model.money import Money


class Strict(BaseModel):
    """Unknown fields are refused: no mass assignment of status, prices or tenants."""

    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: Decimal = Field(description='Major units as a decimal string, e.g. "12000.00"')
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    def to_money(self) -> Money:
        return Money.of(self.amount, self.currency)


class Versioned(Strict):
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse (409) unless the resource is at this version"
    )


class CompanyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = "Europe/Stockholm"
    vat_rate: Decimal = Field(default=Decimal("25"), description="Percent, e.g. 25")
    settings: dict[str, bool] = Field(default_factory=dict)


class CompanyChange(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = None
    vat_rate: Decimal | None = None
    settings: dict[str, bool] | None = None


class MemberCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.EMPLOYEE
    last_employment_day: date | None = None


class LastEmploymentDay(Versioned):
    last_employment_day: date | None


class DeviceCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    serial: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=50)
    company_cost: MoneyIn
    contract_type: ContractType
    lease_start: date | None = None
    renewal_date: date | None = None


class DeviceAssign(Versioned):
    member_id: UUID


class DeviceUnassign(Versioned):
    pass


def money_out(money: Money) -> dict[str, Any]:
    return {"amount": str(money.amount), "currency": money.currency, "minor": money.minor}


def company_out(company: Company) -> dict[str, Any]:
    return {
        "id": str(company.id),
        "name": company.name,
        "currency": company.currency,
        "time_zone": company.time_zone,
        "vat_rate": str(company.vat_rate),
        "settings": dict(company.settings),
        "version": company.version,
    }


def member_out(member: Member) -> dict[str, Any]:
    return {
        "id": str(member.id),
        "company_id": str(member.company_id),
        "email": member.email,
        "name": member.name,
        "role": str(member.role),
        "last_employment_day": (
            member.last_employment_day.isoformat() if member.last_employment_day else None
        ),
        "version": member.version,
    }


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
        "version": device.version,
    }
