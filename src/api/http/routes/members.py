"""/v1/members: the people of a company."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, company_for
from api.http.schemas.members import MEMBER, LastEmploymentDay, MemberCreate
from domain.application import Outcome

router = APIRouter(prefix="/v1/members", tags=["members"])
members = CommandRoutes(router, "", MEMBER)
member = CommandRoutes(router, "/{member_id}", MEMBER)


@members.post("", "Register a member (admin, operator)", status_code=201)
def register_member(app: App, ctx: Ctx, body: MemberCreate) -> Outcome:
    return app.members.register(
        ctx,
        company_id=company_for(ctx.caller, body.company_id),
        email=body.email,
        name=body.name,
        role=body.role,
        last_employment_day=body.last_employment_day,
    )


@router.get("/{member_id}", summary="Read a member")
def get_member(
    member_id: UUID, who: CallerDep, c: ContainerDep, response: Response
) -> dict[str, Any]:
    return MEMBER.read(response, c.app.members.get(who, member_id))


@member.post("/last-employment-day", "Set or clear the last employment day")
def set_last_employment_day(
    app: App, ctx: Ctx, member_id: UUID, body: LastEmploymentDay
) -> Outcome:
    return app.members.set_last_employment_day(ctx, member_id, body.last_employment_day)
