"""/v1/members: the people of a company."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field

from api.http.responses import Resource
from api.http.schemas.common import Body, InstantText, IsoDate, PageOut, Strict, Versioned
from domain.model.actor import Role
from domain.model.member import Member


class MemberCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.EMPLOYEE
    last_employment_day: IsoDate | None = None


class LastEmploymentDay(Versioned):
    last_employment_day: IsoDate | None


class MemberOut(Body):
    id: UUID
    company_id: UUID
    email: str
    name: str
    role: str
    last_employment_day: date | None
    version: int


class MemberRow(Body):
    """A member as the directory lists it."""

    member_id: UUID
    company_id: UUID
    name: str
    email: str
    role: str
    last_employment_day: date | None
    registered_at: InstantText


class MemberPage(PageOut[MemberRow]):
    pass


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


MEMBER = Resource(Member, member_out, MemberOut, "/v1/members")
