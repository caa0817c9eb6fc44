"""Member: a person in a company — an admin or an employee (SPEC §1, offboarding in §2.2)."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model import bounds
from domain.model.actor import MEMBER_ROLES, Role
from domain.model.errors import InvalidValue
from domain.model.events import Cause, LessorCreated, LessorEvent

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise InvalidValue(f"'{email}' is not an email address.")
    return cleaned


class Member(Aggregate):
    class_version = 1

    class Registered(LessorCreated):
        class_version = 1
        email: str
        name: str
        role: Role
        last_employment_day: date | None

    class LastEmploymentDaySet(LessorEvent):
        class_version = 1
        last_employment_day: date | None

    @classmethod
    def register(
        cls,
        *,
        member_id: UUID,
        company_id: UUID,
        email: str,
        name: str,
        role: Role,
        last_employment_day: date | None,
        cause: Cause,
    ) -> Member:
        if role not in MEMBER_ROLES:
            raise InvalidValue("A member is an 'admin' or an 'employee'.")
        if not name.strip():
            raise InvalidValue("A member needs a name.")
        bounds.optional_date(last_employment_day, "The last employment day")
        return cls._create(
            cls.Registered,
            id=member_id,
            email=normalise_email(email),
            name=name.strip(),
            role=role,
            last_employment_day=last_employment_day,
            **cause.stamp(company_id),
        )

    @event(Registered)
    def __init__(
        self,
        *,
        email: str,
        name: str,
        role: Role,
        last_employment_day: date | None,
        company_id: UUID,  # every member belongs to a company
    ) -> None:
        self.company_id = company_id
        self.email = email
        self.name = name
        self.role = Role(role)
        self.last_employment_day = last_employment_day

    def set_last_employment_day(self, day: date | None, *, cause: Cause) -> None:
        if day == self.last_employment_day:
            return
        bounds.optional_date(day, "The last employment day")
        self.trigger_event(
            self.LastEmploymentDaySet,
            last_employment_day=day,
            **cause.stamp(self.company_id),
        )

    @event(LastEmploymentDaySet)
    def _last_employment_day_set(self, *, last_employment_day: date | None) -> None:
        self.last_employment_day = last_employment_day
