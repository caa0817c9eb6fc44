"""ApiToken: a bearer credential bound to (company, role, member), known only by its hash."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.api_token import ApiToken, token_id_for
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause
from tests.apps import in_memory_app

ACME = UUID("00000000-0000-4000-8000-00000000acde")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
OPERATOR = Actor("op-1", Role.OPERATOR)
T0 = datetime(2021, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 9, 1, 12, 0, tzinfo=UTC)
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def cause(at: datetime = T0, correlation_id: str = "cli-1") -> Cause:
    return Cause(actor=OPERATOR, at=at, correlation_id=correlation_id)


def issue(**overrides: Any) -> ApiToken:
    arguments: dict[str, Any] = {
        "token_hash": HASH,
        "company_id": ACME,
        "role": Role.ADMIN,
        "member_id": None,
        "label": "Acme HR system",
        "cause": cause(),
    }
    arguments.update(overrides)
    return ApiToken.issue(**arguments)


# --- issuing ------------------------------------------------------------------------------


def test_issuing_records_the_binding_and_the_hash_stamped_with_the_company() -> None:
    token = issue(role=Role.EMPLOYEE, member_id=ANN)

    [issued] = token.collect_events()

    assert isinstance(issued, ApiToken.Issued)
    assert issued.token_hash == HASH
    assert issued.role == Role.EMPLOYEE
    assert issued.member_id == ANN
    assert issued.label == "Acme HR system"
    assert (issued.actor, issued.at, issued.correlation_id, issued.company_id) == (
        OPERATOR,
        T0,
        "cli-1",
        ACME,
    )
    assert token.company_id == ACME
    assert token.is_active
    assert token.issued_at == T0


def test_a_tokens_id_is_derived_from_its_hash_so_one_secret_is_one_token() -> None:
    assert issue().id == token_id_for(HASH)
    assert issue(label="another").id == issue().id
    assert issue(token_hash="other-hash").id != issue().id


@pytest.mark.parametrize(
    ("role", "company_id", "member_id"),
    [
        (Role.OPERATOR, None, None),
        (Role.ADMIN, ACME, None),
        (Role.ADMIN, ACME, ANN),
        (Role.SERVICE, ACME, None),
        (Role.EMPLOYEE, ACME, ANN),
    ],
    ids=["operator", "admin", "admin-of-a-member", "service", "employee"],
)
def test_a_token_may_be_bound_as_its_role_requires(
    role: Role, company_id: UUID | None, member_id: UUID | None
) -> None:
    token = issue(role=role, company_id=company_id, member_id=member_id)

    assert (token.role, token.company_id, token.member_id) == (role, company_id, member_id)


def test_no_token_carries_the_system_role() -> None:
    with pytest.raises(InvalidValue, match="system role"):
        issue(role=Role.SYSTEM, company_id=None)


@pytest.mark.parametrize(("company_id", "member_id"), [(ACME, None), (None, ANN), (ACME, ANN)])
def test_an_operator_token_is_not_bound_to_a_company_or_member(
    company_id: UUID | None, member_id: UUID | None
) -> None:
    with pytest.raises(InvalidValue, match="operator token is not bound"):
        issue(role=Role.OPERATOR, company_id=company_id, member_id=member_id)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE, Role.EMPLOYEE])
def test_a_company_token_must_name_its_company(role: Role) -> None:
    with pytest.raises(InvalidValue, match=f"A {role.value} token must be bound to a company"):
        issue(role=role, company_id=None, member_id=ANN)


def test_an_employee_token_must_name_its_member() -> None:
    with pytest.raises(InvalidValue, match="employee token must be bound to a member"):
        issue(role=Role.EMPLOYEE, member_id=None)


# --- revoking -----------------------------------------------------------------------------


def test_revoking_records_when_and_by_whom_and_deactivates_the_token() -> None:
    token = issue()
    token.collect_events()

    token.revoke(cause=cause(T1, "cli-2"))

    [revoked] = token.collect_events()
    assert isinstance(revoked, ApiToken.Revoked)
    assert (revoked.actor, revoked.at, revoked.correlation_id, revoked.company_id) == (
        OPERATOR,
        T1,
        "cli-2",
        ACME,
    )
    assert token.revoked_at == T1
    assert not token.is_active


def test_revoking_a_revoked_token_is_refused_and_changes_nothing() -> None:
    token = issue()
    token.revoke(cause=cause(T1))
    token.collect_events()

    with pytest.raises(RuleViolation, match="already revoked"):
        token.revoke(cause=cause(datetime(2022, 1, 1, tzinfo=UTC)))

    assert token.collect_events() == []
    assert token.revoked_at == T1
    assert token.version == 2


# --- through the application ----------------------------------------------------------------


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


def a_company_with_a_member(app: LessorApplication, name: str = "Acme AB") -> tuple[UUID, UUID]:
    operator = CommandContext(caller=Caller(actor=OPERATOR, company_id=None), cause=cause())
    company_id = app.companies.register(
        operator,
        name=name,
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={},
    ).subject_id
    member_id = app.members.register(
        operator,
        company_id=company_id,
        email="ann@acme.se",
        name="Ann",
        role=Role.EMPLOYEE,
        last_employment_day=date(2027, 1, 31),
    ).subject_id
    return company_id, member_id


def test_a_presented_token_authenticates_as_the_caller_it_was_bound_to(
    app: LessorApplication,
) -> None:
    company_id, member_id = a_company_with_a_member(app)
    token_id = app.tokens.issue(
        cause(),
        token_hash=HASH,
        company_id=company_id,
        role=Role.EMPLOYEE,
        member_id=member_id,
        label="Ann's laptop",
    )

    caller = app.tokens.authenticate(HASH, T1)

    assert caller == Caller(
        actor=Actor(str(token_id), Role.EMPLOYEE), company_id=company_id, member_id=member_id
    )


def test_an_unknown_or_revoked_token_authenticates_as_nobody(app: LessorApplication) -> None:
    company_id, _ = a_company_with_a_member(app)
    token_id = app.tokens.issue(
        cause(),
        token_hash=HASH,
        company_id=company_id,
        role=Role.ADMIN,
        member_id=None,
        label="admin",
    )

    app.tokens.revoke(cause(T1), token_id)

    assert app.tokens.authenticate(HASH, T1) is None
    assert app.tokens.authenticate("not-a-known-hash", T1) is None
    [info] = app.tokens.issued()
    assert (info.token_id, info.active, info.role) == (token_id, False, Role.ADMIN)


def test_revoking_a_token_twice_through_the_application_is_refused(
    app: LessorApplication,
) -> None:
    token_id = app.tokens.issue(
        cause(), token_hash=HASH, company_id=None, role=Role.OPERATOR, member_id=None, label="ops"
    )
    app.tokens.revoke(cause(T1), token_id)
    head = app.recorder.max_notification_id()

    with pytest.raises(RuleViolation, match="already revoked"):
        app.tokens.revoke(cause(T1), token_id)

    assert app.recorder.max_notification_id() == head


def test_a_token_cannot_be_bound_to_another_companys_member(app: LessorApplication) -> None:
    _, ann_at_acme = a_company_with_a_member(app, "Acme AB")
    globex, _ = a_company_with_a_member(app, "Globex Inc")

    with pytest.raises(NotFound, match="Member not found"):
        app.tokens.issue(
            cause(),
            token_hash=HASH,
            company_id=globex,
            role=Role.EMPLOYEE,
            member_id=ann_at_acme,
            label="x",
        )


def test_a_token_cannot_be_bound_to_a_company_that_does_not_exist(app: LessorApplication) -> None:
    with pytest.raises(NotFound, match="Company not found"):
        app.tokens.issue(
            cause(), token_hash=HASH, company_id=ACME, role=Role.ADMIN, member_id=None, label="x"
        )


# --- a member's tokens end with their employment (ADR 0015) ---------------------------------

# Ann's last employment day is 2027-01-31; in Stockholm (CET, UTC+1) it ends at 23:00 UTC.
LAST_INSTANT_EMPLOYED = datetime(2027, 1, 31, 22, 59, 59, 999999, tzinfo=UTC)
EMPLOYMENT_ENDED = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)


def an_employee_token(app: LessorApplication) -> tuple[UUID, UUID]:
    company_id, member_id = a_company_with_a_member(app)
    token_id = app.tokens.issue(
        cause(),
        token_hash=HASH,
        company_id=company_id,
        role=Role.EMPLOYEE,
        member_id=member_id,
        label="Ann's laptop",
    )
    return token_id, member_id


def test_a_members_token_works_to_the_end_of_their_last_day_in_the_companys_time_zone(
    app: LessorApplication,
) -> None:
    an_employee_token(app)

    assert app.tokens.authenticate(HASH, LAST_INSTANT_EMPLOYED) is not None
    assert app.tokens.authenticate(HASH, EMPLOYMENT_ENDED) is None


def test_a_members_token_follows_their_last_day_as_it_changes(app: LessorApplication) -> None:
    _, member_id = an_employee_token(app)
    admin = CommandContext(caller=Caller(actor=OPERATOR, company_id=None), cause=cause())

    app.members.set_last_employment_day(admin, member_id, date(2027, 1, 30))
    assert app.tokens.authenticate(HASH, datetime(2027, 1, 30, 23, 0, tzinfo=UTC)) is None

    app.members.set_last_employment_day(admin, member_id, None)  # stays on after all
    assert app.tokens.authenticate(HASH, EMPLOYMENT_ENDED) is not None


def test_a_revoked_members_token_stops_at_once_whatever_the_last_day(
    app: LessorApplication,
) -> None:
    token_id, _ = an_employee_token(app)

    app.tokens.revoke(cause(T1), token_id)

    assert app.tokens.authenticate(HASH, T1) is None


def test_a_token_without_a_member_does_not_end_with_anyones_employment(
    app: LessorApplication,
) -> None:
    company_id, _ = a_company_with_a_member(app)
    app.tokens.issue(
        cause(), token_hash=HASH, company_id=company_id, role=Role.SERVICE, member_id=None, label=""
    )

    assert app.tokens.authenticate(HASH, datetime(2099, 1, 1, tzinfo=UTC)) is not None


def test_a_token_label_is_normalised_and_refuses_control_characters() -> None:
    assert issue(label="  Ａcme\u00a0HR  ").label == "Acme HR"
    with pytest.raises(InvalidValue, match=r"U\+001B"):
        issue(label="\x1b[31mred")
