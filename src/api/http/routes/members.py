"""/v1/members: the people of a company (and the list of them)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.http.deps import CallerDep, ContainerDep, ContextDep, Cursor, Limit, MinPosition
from api.http.reads import views_after
from api.http.routes._responses import command_response
from api.http.schemas import LastEmploymentDay, MemberCreate, member_out
from domain.model.errors import InvalidValue
from projections.directory import MemberFilter, query_members

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.post("", status_code=201, summary="Register a member (admin, operator)")
def register_member(body: MemberCreate, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    company_id = body.company_id or ctx.caller.company_id
    if company_id is None:
        raise InvalidValue("company_id is required for operators.")
    outcome = c.app.members.register(
        ctx,
        company_id=company_id,
        email=body.email,
        name=body.name,
        role=body.role,
        last_employment_day=body.last_employment_day,
    )
    member = c.app.members.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, member_out(member), lambda i: f"/v1/members/{i}")


@router.get("/{member_id}", summary="Read a member")
def get_member(member_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return member_out(c.app.members.get(who, member_id))


@router.post("/{member_id}/last-employment-day", summary="Set or clear the last employment day")
def set_last_employment_day(
    member_id: UUID, body: LastEmploymentDay, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.members.set_last_employment_day(
        replace(ctx, expected_version=body.expected_version), member_id, body.last_employment_day
    )
    member = c.app.members.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, member_out(member))


@router.get("", summary="A company's members: name, email, last employment day (admin, operator)")
def list_members(
    who: CallerDep,
    c: ContainerDep,
    company_id: Annotated[
        UUID | None, Query(description="Operators: one company's (default: every company's)")
    ] = None,
    role: Literal["admin", "employee"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    filtered = MemberFilter(company_id=company_id, role=role, after=cursor, limit=limit)
    return query_members(views_after(c, "directory", min_position), who, filtered).to_json()
