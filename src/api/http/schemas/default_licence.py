"""/v1/companies/{id}/default-licence: the licence a company's new members get."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.http.responses import Resource
from api.http.schemas.common import Body, Versioned
from api.http.schemas.companies import CompanyOut, company_out
from domain.model.company import Company


class DefaultLicence(Versioned):
    subscription_id: UUID | None = None
    product_id: UUID | None = None


class DefaultLicenceOut(Body):
    subscription_id: UUID
    product_id: UUID


class CompanyWithDefaultLicenceOut(CompanyOut):
    default_licence: DefaultLicenceOut | None


def default_licence_out(company: Company) -> dict[str, Any]:
    """The company, with the licence its new members get (or null)."""
    chosen = company.default_subscription_id
    return company_out(company) | {
        "default_licence": {
            "subscription_id": str(chosen),
            "product_id": str(company.default_product_id),
        }
        if chosen
        else None
    }


COMPANY_DEFAULT_LICENCE = Resource(Company, default_licence_out, CompanyWithDefaultLicenceOut)
