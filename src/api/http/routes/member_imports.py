"""/v1/members.csv and /v1/members/import: members and their licences in bulk (ADR 0033).

    curl '…/v1/members.csv' -o members.csv
    curl -X POST '…/v1/members/import?dry_run=false' -H 'Content-Type: text/csv' \\
         --data-binary @members.csv

A dry run (the default) answers what each row would do and every error; an apply with any
error is 422 listing every error and writes nothing; a file that changes nothing (the same
file again) answers 200 with "applied": false. The seats come from the company's
subscriptions as the subscription overview lists them: after buying one, pass the
purchase's Lessor-Position as min_position so that the file sees it.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from adapters.member_csv import read_member_csv, write_member_csv
from api.bootstrap import Container
from api.http.deps import CallerDep, ContainerDep, ContextDep, MinPosition, company_for
from api.http.documented import DocumentedRoute
from api.http.problems import problem
from api.http.reads import views_after
from api.http.responses import POSITION_HEADER
from api.http.routes.price_imports import NOT_A_CSV_BODY, csv_body, error_out
from api.http.schemas.member_imports import MemberImportOut, member_import_out
from api.http.schemas.price_imports import CsvFileProblem
from domain.model.actor import Caller
from domain.model.errors import InvalidValue
from domain.model.member_rows import MemberImportRejected
from projections.directory import company_member_ids
from projections.subscription_overview import company_subscription_ids

router = APIRouter(tags=["members"], route_class=DocumentedRoute)
CompanyQuery = Annotated[UUID | None, Query(description="operators name the company")]


def company_subscriptions(
    c: Container, who: Caller, company: UUID, min_position: int | None
) -> list[UUID]:
    """Where a member file's licences come from: the company's subscriptions, oldest first."""
    views = views_after(c, "subscription_overview", min_position)
    return company_subscription_ids(views, who, company)


@router.get(
    "/v1/members.csv",
    summary="Export members with their plan, options and last employment day (CSV)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_members(
    who: CallerDep,
    c: ContainerDep,
    company_id: CompanyQuery = None,
    min_position: MinPosition = None,
) -> Response:
    company = company_for(who, company_id)
    members = company_member_ids(views_after(c, "directory", min_position), who, company)
    subscriptions = company_subscriptions(c, who, company, min_position)
    rows = c.app.member_imports.export(who, company, members, subscriptions, c.clock.now())
    return Response(write_member_csv(rows), media_type="text/csv; charset=utf-8")


@router.post(
    "/v1/members/import",
    summary="Create and update members and their licences from CSV (dry run by default)",
    response_model=MemberImportOut,
    responses={422: {"model": CsvFileProblem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The member file (see GET /v1/members.csv), UTF-8;"
            " sent as text/csv or application/octet-stream",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def import_members(
    request: Request,
    ctx: ContextDep,
    c: ContainerDep,
    content: Annotated[bytes, Depends(csv_body)],
    dry_run: Annotated[bool, Query(description="true: only check and report; false: apply")] = True,
    company_id: CompanyQuery = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    company = company_for(ctx.caller, company_id)
    if request.headers.get("content-type", "").lower().startswith(NOT_A_CSV_BODY):
        raise InvalidValue(
            "Send the CSV file itself as the request body, with Content-Type: text/csv."
        )
    subscriptions = company_subscriptions(c, ctx.caller, company, min_position)
    try:
        result = c.app.member_imports.import_members(
            ctx, company, read_member_csv(content), subscriptions, dry_run=dry_run
        )
    except MemberImportRejected as rejected:
        return problem(
            422,
            rejected.title,
            rejected.detail,
            type_="invalid-value",
            instance=request.url.path,
            errors=[error_out(e) for e in rejected.errors],
        )
    body = MemberImportOut.model_validate(member_import_out(result)).model_dump(mode="json")
    return JSONResponse(body, headers={POSITION_HEADER: str(result.position)})
