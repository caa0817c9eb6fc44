"""Member: a person in a company — an admin or an employee — and their last day of employment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.actor import Actor, Role
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from domain.model.member import Member, normalise_email

ACME = UUID("00000000-0000-4000-8000-00000000acde")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
ADMIN = Actor("acme-admin", Role.ADMIN)
T0 = datetime(2021, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)


def cause(at: datetime = T0, correlation_id: str = "req-1") -> Cause:
    return Cause(actor=ADMIN, at=at, correlation_id=correlation_id)


def register(**overrides: Any) -> Member:
    arguments: dict[str, Any] = {
        "member_id": ANN,
        "company_id": ACME,
        "email": "ann@acme.se",
        "name": "Ann Andersson",
        "role": Role.EMPLOYEE,
        "last_employment_day": None,
        "cause": cause(),
    }
    arguments.update(overrides)
    return Member.register(**arguments)


def a_registered_member(**overrides: Any) -> Member:
    member = register(**overrides)
    member.collect_events()
    return member


# --- registering --------------------------------------------------------------------------


def test_registering_a_member_records_who_they_are_stamped_with_the_company() -> None:
    member = register(
        email="  Ann.Andersson@ACME.se ",
        name=" Ann Andersson ",
        role=Role.ADMIN,
        last_employment_day=date(2026, 6, 30),
    )

    [registered] = member.collect_events()

    assert isinstance(registered, Member.Registered)
    assert registered.originator_id == ANN
    assert registered.email == "ann.andersson@acme.se"
    assert registered.name == "Ann Andersson"
    assert registered.role == Role.ADMIN
    assert registered.last_employment_day == date(2026, 6, 30)
    assert (registered.actor, registered.at, registered.correlation_id, registered.company_id) == (
        ADMIN,
        T0,
        "req-1",
        ACME,
    )
    assert member.company_id == ACME
    assert member.email == "ann.andersson@acme.se"
    assert member.role is Role.ADMIN


@pytest.mark.parametrize(
    "email", ["", "   ", "ann", "ann@acme", "ann@@acme.se", "ann andersson@acme.se", "@acme.se"]
)
def test_a_member_without_a_valid_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidValue, match="is not an email address"):
        register(email=email)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SERVICE, Role.SYSTEM])
def test_a_member_is_an_admin_or_an_employee(role: Role) -> None:
    with pytest.raises(InvalidValue, match="'admin' or an 'employee'"):
        register(role=role)


@pytest.mark.parametrize("name", ["", "  "])
def test_a_member_without_a_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidValue, match="needs a name"):
        register(name=name)


@given(
    email=st.emails(),
    padding=st.tuples(st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", "\n"])),
)
def test_an_email_is_kept_trimmed_and_in_lower_case_however_it_was_typed(
    email: str, padding: tuple[str, str]
) -> None:
    typed = padding[0] + email.upper() + padding[1]

    normalised = normalise_email(typed)

    assert normalised == email.upper().lower()
    assert normalise_email(normalised) == normalised


# --- last employment day -------------------------------------------------------------------


def test_setting_the_last_employment_day_records_it() -> None:
    member = a_registered_member()

    member.set_last_employment_day(date(2026, 6, 30), cause=cause(T1, "req-2"))

    [recorded] = member.collect_events()
    assert isinstance(recorded, Member.LastEmploymentDaySet)
    assert recorded.last_employment_day == date(2026, 6, 30)
    assert (recorded.actor, recorded.at, recorded.correlation_id, recorded.company_id) == (
        ADMIN,
        T1,
        "req-2",
        ACME,
    )
    assert member.last_employment_day == date(2026, 6, 30)


def test_clearing_the_last_employment_day_records_it() -> None:
    member = a_registered_member(last_employment_day=date(2026, 6, 30))

    member.set_last_employment_day(None, cause=cause(T1))

    [recorded] = member.collect_events()
    assert recorded.last_employment_day is None
    assert member.last_employment_day is None


@pytest.mark.parametrize("day", [None, date(2026, 6, 30)])
def test_setting_the_same_last_employment_day_again_records_nothing(day: date | None) -> None:
    member = a_registered_member(last_employment_day=day)

    member.set_last_employment_day(day, cause=cause(T1))

    assert member.collect_events() == []
    assert member.version == 1
    assert member.last_employment_day == day


# --- when employment ends (ADR 0015) --------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "time_zone", "ends_at"),
    [
        (date(2026, 3, 28), "Europe/Stockholm", datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),
        # the next local midnight is after the spring-forward night: an hour earlier in UTC
        (date(2026, 3, 29), "Europe/Stockholm", datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
        (date(2026, 3, 29), "UTC", datetime(2026, 3, 30, 0, 0, tzinfo=UTC)),
        (date(2026, 3, 29), "Pacific/Kiritimati", datetime(2026, 3, 29, 10, 0, tzinfo=UTC)),
    ],
)
def test_employment_ends_at_the_local_midnight_after_the_last_day(
    last_day: date, time_zone: str, ends_at: datetime
) -> None:
    member = a_registered_member(last_employment_day=last_day)

    assert member.employment_ends_at(time_zone) == ends_at
    assert member.is_employed_at(ends_at - timedelta(microseconds=1), time_zone)
    assert not member.is_employed_at(ends_at, time_zone)


def test_without_a_last_day_employment_does_not_end() -> None:
    member = a_registered_member(last_employment_day=None)

    assert member.employment_ends_at("UTC") is None
    assert member.is_employed_at(datetime(2100, 1, 1, tzinfo=UTC), "UTC")


def test_a_members_name_and_email_are_kept_in_their_plain_spelling() -> None:
    member = register(name="Ａｎｎ\u00a0 Andersson", email="ＡＮＮ＠acme.se")

    assert (member.name, member.email) == ("Ann Andersson", "ann@acme.se")


@pytest.mark.parametrize("name", ["Ann\x1b[2J", "Ann\u200b", "Ann\nAndersson"])
def test_a_members_name_with_a_control_or_invisible_character_is_refused(name: str) -> None:
    with pytest.raises(InvalidValue, match="member's name contains"):
        register(name=name)
