"""Member: a person in a company — an admin or an employee (SPEC §1, offboarding in §2.2)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model import bounds
from domain.model.actor import MEMBER_ROLES, Role
from domain.model.errors import InvalidValue
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.text import clean_text
from domain.model.time import TimeZoneName, local_midnight, require_utc

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    cleaned = clean_text(email, "email address").lower()
    if not _EMAIL.match(cleaned):
        raise InvalidValue(f"'{cleaned}' is not an email address.")
    return cleaned


class NewMember(TypedDict):
    """What registering a member is told (the members service passes it through)."""

    email: str
    name: str
    role: Role
    last_employment_day: date | None


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
        cleaned_name = clean_text(name, "member's name")
        if not cleaned_name:
            raise InvalidValue("A member needs a name.")
        bounds.optional_date(last_employment_day, "The last employment day")
        return cls._create(
            cls.Registered,
            id=member_id,
            email=normalise_email(email),
            name=cleaned_name,
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

    def employment_ends_at(self, time_zone: TimeZoneName) -> datetime | None:
        """When the member's credentials stop working: the end of their last employment
        day in the company's time zone, i.e. the local midnight after it (ADR 0015)."""
        day = self.last_employment_day
        if day is None or day == date.max:  # no day after it: the employment never ends
            return None
        return local_midnight(day + timedelta(days=1), time_zone)

    def is_employed_at(self, at: datetime, time_zone: TimeZoneName) -> bool:
        ends = self.employment_ends_at(time_zone)
        return ends is None or require_utc(at) < ends

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
