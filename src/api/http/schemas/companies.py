"""/v1/companies: a tenant's registration and settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import Field, StrictBool

from api.http.responses import Resource
from api.http.schemas.common import Body, InstantText, PageOut, Strict, Versioned
from domain.model.company import Company
from domain.model.management_rights import ManagementRight


class CompanyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = "Europe/Stockholm"
    vat_rate: Decimal = Field(default=Decimal("25"), description="Percent, e.g. 25")
    settings: dict[str, StrictBool] = Field(default_factory=dict)


class CompanyChange(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = None
    vat_rate: Decimal | None = None
    settings: dict[str, StrictBool] | None = None
    management_right: ManagementRight | None = Field(
        default=None,
        description="Operators only: what the company's admins and service accounts may"
        " change in their subscriptions (none, monthly_only, increase_only, full).",
    )


class CompanyOut(Body):
    id: UUID
    name: str
    currency: str
    time_zone: str
    vat_rate: str
    settings: dict[str, bool]
    management_right: ManagementRight
    version: int


class CompanyRow(Body):
    """A company as the directory lists it."""

    company_id: UUID
    name: str
    currency: str
    time_zone: str
    registered_at: InstantText


class CompanyPage(PageOut[CompanyRow]):
    pass


def company_out(company: Company) -> dict[str, Any]:
    return {
        "id": str(company.id),
        "name": company.name,
        "currency": company.currency,
        "time_zone": company.time_zone,
        "vat_rate": str(company.vat_rate),
        "settings": dict(company.settings),
        "management_right": company.management_right,
        "version": company.version,
    }


COMPANY = Resource(Company, company_out, CompanyOut, "/v1/companies")
