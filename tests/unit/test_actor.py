"""Who acts: the actor on every event, the caller's rights and tenancy, and a command's cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.actor import DEVICE_MANAGERS, MEMBER_ROLES, Actor, Caller, Role
from domain.model.errors import InvalidValue, NotAllowed, NotFound
from domain.model.events import Cause

ACME = UUID("00000000-0000-4000-8000-00000000acde")
GLOBEX = UUID("00000000-0000-4000-8000-0000000061b0")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def operator() -> Caller:
    return Caller(actor=Actor("op-1", Role.OPERATOR), company_id=None)


def system() -> Caller:
    return Caller(actor=Actor("scheduler", Role.SYSTEM), company_id=None)


def acme(role: Role, member_id: UUID | None = None) -> Caller:
    return Caller(actor=Actor(f"acme-{role.value}", role), company_id=ACME, member_id=member_id)


# --- Actor ------------------------------------------------------------------------------


def test_an_actor_is_stored_as_its_id_and_the_role_value() -> None:
    assert Actor("tok-1", Role.ADMIN).to_dict() == {"id": "tok-1", "role": "admin"}


def test_an_actor_read_back_has_a_role_not_a_plain_string() -> None:
    actor = Actor.from_dict({"id": "tok-1", "role": "employee"})

    assert actor == Actor("tok-1", Role.EMPLOYEE)
    assert type(actor.role) is Role


def test_an_actor_with_an_unknown_role_cannot_be_read_back() -> None:
    with pytest.raises(ValueError, match="janitor"):
        Actor.from_dict({"id": "tok-1", "role": "janitor"})


@given(actor_id=st.text(), role=st.sampled_from(Role))
def test_every_actor_survives_to_dict_and_back(actor_id: str, role: Role) -> None:
    actor = Actor(actor_id, role)

    assert Actor.from_dict(actor.to_dict()) == actor


def test_members_are_admins_or_employees_and_devices_are_managed_by_staff() -> None:
    assert set(MEMBER_ROLES) == {Role.ADMIN, Role.EMPLOYEE}
    assert set(DEVICE_MANAGERS) == {Role.OPERATOR, Role.ADMIN, Role.SERVICE}


# --- Caller: roles ----------------------------------------------------------------------


def test_a_caller_whose_role_is_allowed_passes() -> None:
    acme(Role.ADMIN).require(Role.OPERATOR, Role.ADMIN)


def test_a_caller_whose_role_is_not_allowed_is_told_which_roles_are() -> None:
    with pytest.raises(NotAllowed) as refused:
        acme(Role.EMPLOYEE).require(Role.OPERATOR, Role.ADMIN)

    assert refused.value.detail == (
        "The role 'employee' may not do this (allowed: operator, admin)."
    )


def test_a_callers_role_is_its_actors_role() -> None:
    assert acme(Role.SERVICE).role is Role.SERVICE


# --- Caller: tenancy --------------------------------------------------------------------


@pytest.mark.parametrize("caller", [operator(), system()], ids=["operator", "system"])
def test_operators_and_the_system_see_every_company(caller: Caller) -> None:
    assert caller.sees_company(ACME)
    assert caller.sees_company(GLOBEX)
    caller.require_company(GLOBEX, "Company")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE, Role.EMPLOYEE])
def test_a_company_caller_sees_only_its_own_company(role: Role) -> None:
    caller = acme(role, member_id=ANN)

    assert caller.sees_company(ACME)
    assert not caller.sees_company(GLOBEX)


def test_another_tenants_thing_is_reported_as_not_found() -> None:
    with pytest.raises(NotFound) as refused:
        acme(Role.ADMIN).require_company(GLOBEX, "Device")

    assert refused.value.detail == "Device not found."


def test_an_operator_query_is_limited_to_the_company_asked_for_or_none() -> None:
    assert operator().scope(GLOBEX) == GLOBEX
    assert operator().scope(None) is None
    assert system().scope(ACME) == ACME


def test_a_company_callers_query_is_limited_to_its_own_company() -> None:
    assert acme(Role.ADMIN).scope(None) == ACME
    assert acme(Role.SERVICE).scope(ACME) == ACME


def test_a_company_caller_asking_for_another_company_gets_not_found() -> None:
    with pytest.raises(NotFound, match="Company not found"):
        acme(Role.ADMIN).scope(GLOBEX)


# --- Cause --------------------------------------------------------------------------------


def test_a_cause_keeps_business_time_in_utc() -> None:
    stockholm_winter = timezone(timedelta(hours=1))

    cause = Cause(
        Actor("op-1", Role.OPERATOR), datetime(2026, 3, 2, 10, 0, tzinfo=stockholm_winter), "c"
    )

    assert cause.at == T0
    assert cause.at.utcoffset() == timedelta(0)


def test_a_cause_at_an_unknown_instant_is_refused() -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        Cause(Actor("op-1", Role.OPERATOR), datetime(2026, 3, 2, 9, 0), "c")


def test_a_cause_stamps_an_event_with_actor_time_correlation_and_company() -> None:
    actor = Actor("op-1", Role.OPERATOR)

    stamp = Cause(actor, T0, "req-42").stamp(ACME)

    assert stamp == {"actor": actor, "at": T0, "correlation_id": "req-42", "company_id": ACME}


def test_a_provider_level_fact_is_stamped_without_a_company() -> None:
    stamp = Cause(Actor("op-1", Role.OPERATOR), T0, "req-42").stamp(None)

    assert stamp["company_id"] is None
