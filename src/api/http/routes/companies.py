"""/v1/companies: tenants (operators create and list them; admins change their own)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.http.deps import CallerDep, ContainerDep, ContextDep, Cursor, Limit, MinPosition
from api.http.reads import views_after
from api.http.routes._responses import command_response
from api.http.schemas import CompanyChange, CompanyCreate, company_out
from projections.directory import CompanyFilter, query_companies

router = APIRouter(prefix="/v1/companies", tags=["companies"])


@router.post("", status_code=201, summary="Register a company (operator)")
def register_company(body: CompanyCreate, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    outcome = c.app.companies.register(
        ctx,
        name=body.name,
        currency=body.currency,
        time_zone=body.time_zone,
        vat_rate=body.vat_rate,
        settings=body.settings,
    )
    company = c.app.companies.read(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, company_out(company), lambda i: f"/v1/companies/{i}")


@router.get("/{company_id}", summary="Read a company")
def get_company(company_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return company_out(c.app.companies.read(who, company_id))


@router.patch("/{company_id}", summary="Change name, time zone, VAT rate or settings")
def change_company(
    company_id: UUID, body: CompanyChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.companies.change(
        replace(ctx, expected_version=body.expected_version),
        company_id,
        name=body.name,
        vat_rate=body.vat_rate,
        time_zone=body.time_zone,
        settings=body.settings,
    )
    company = c.app.companies.read(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, company_out(company))


@router.get("", summary="Every company (operator), cursor-paginated")
def list_companies(
    who: CallerDep,
    c: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    views = views_after(c, "directory", min_position)
    return query_companies(views, who, CompanyFilter(after=cursor, limit=limit)).to_json()
