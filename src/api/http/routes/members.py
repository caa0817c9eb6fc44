"""/v1/members: the people of a company (and the list of them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, DirectoryPage, company_for
from api.http.documented import DocumentedRoute
from api.http.schemas.members import MEMBER, LastEmploymentDay, MemberCreate, MemberPage
from domain.application import Outcome
from projections.directory import MemberFilter, query_members

router = APIRouter(prefix="/v1/members", tags=["members"], route_class=DocumentedRoute)
members = CommandRoutes(router, "", MEMBER)
member = CommandRoutes(router, "/{member_id}", MEMBER)


@members.post("", "Register a member (admin, operator)", status_code=201)
def register(app: App, ctx: Ctx, body: MemberCreate) -> Outcome:
    return app.members.register(
        ctx,
        company_id=company_for(ctx.caller, body.company_id),
        email=body.email,
        name=body.name,
        role=body.role,
        last_employment_day=body.last_employment_day,
    )


@router.get("/{member_id}", summary="Read a member", response_model=MEMBER.model)
def get(member_id: UUID, who: CallerDep, c: ContainerDep, response: Response) -> dict[str, Any]:
    return MEMBER.read(response, c.app.members.get(who, member_id))


@member.post("/last-employment-day", "Set or clear the last employment day")
def set_last_employment_day(
    app: App, ctx: Ctx, member_id: UUID, body: LastEmploymentDay
) -> Outcome:
    return app.members.set_last_employment_day(ctx, member_id, body.last_employment_day)


@router.get(
    "",
    summary="A company's members: name, email, last employment day (admin, operator)",
    name="list",
    response_model=MemberPage,
)
def list_members(
    who: CallerDep,
    paging: DirectoryPage,
    company_id: Annotated[
        UUID | None, Query(description="Operators: one company's (default: every company's)")
    ] = None,
    role: Literal["admin", "employee"] | None = None,
) -> dict[str, Any]:
    filtered = MemberFilter(
        company_id=company_id, role=role, after=paging.after, limit=paging.limit
    )
    return query_members(paging.views, who, filtered).to_json()
