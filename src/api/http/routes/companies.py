"""/v1/companies: tenants (operators create and list them; admins change their own)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, DirectoryPage
from api.http.documented import DocumentedRoute
from api.http.schemas.companies import COMPANY, CompanyChange, CompanyCreate, CompanyPage
from domain.application import Outcome
from projections.directory import CompanyFilter, query_companies

router = APIRouter(prefix="/v1/companies", tags=["companies"], route_class=DocumentedRoute)
companies = CommandRoutes(router, "", COMPANY)
company = CommandRoutes(router, "/{company_id}", COMPANY)


@companies.post("", "Register a company (operator)", status_code=201)
def register(app: App, ctx: Ctx, body: CompanyCreate) -> Outcome:
    return app.companies.register(
        ctx,
        name=body.name,
        currency=body.currency,
        time_zone=body.time_zone,
        vat_rate=body.vat_rate,
        settings=body.settings,
    )


@router.get("/{company_id}", summary="Read a company", response_model=COMPANY.model)
def get(company_id: UUID, who: CallerDep, c: ContainerDep, response: Response) -> dict[str, Any]:
    return COMPANY.read(response, c.app.companies.read(who, company_id))


@company.patch("", "Change name, time zone, VAT rate, settings or (operator) management right")
def change(app: App, ctx: Ctx, company_id: UUID, body: CompanyChange) -> Outcome:
    return app.companies.change(
        ctx,
        company_id,
        name=body.name,
        vat_rate=body.vat_rate,
        time_zone=body.time_zone,
        settings=body.settings,
        management_right=body.management_right,
    )


@router.get(
    "",
    summary="Every company (operator), cursor-paginated",
    name="list",
    response_model=CompanyPage,
)
def list_companies(
    who: CallerDep,
    paging: DirectoryPage,
) -> dict[str, Any]:
    filtered = CompanyFilter(after=paging.after, limit=paging.limit)
    return query_companies(paging.views, who, filtered).to_json()
