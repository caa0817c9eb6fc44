"""Subscription management rights (SPEC §3, seed 004, ADR 0031): every right × command, for
admins and service accounts, and the operator who is never limited. In memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from domain.application import LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.company import Company
from domain.model.errors import InvalidValue, NotAllowed, RuleViolation
from domain.model.management_rights import ManagementRight, management_right
from domain.model.pricing import RenewalOption, Term
from tests.apps import in_memory_app
from tests.unit.test_subscription_application import (
    OPERATOR,
    Catalog,
    Tenant,
    a_tenant,
    ctx,
    events_of,
    head,
    subscribe,
)
from tests.unit.test_subscription_application import catalog as catalog  # the fixture

Command = Callable[[LessorApplication, Caller, Tenant, Catalog, UUID], Any]

COMMANDS: dict[str, Command] = {
    "create": lambda app, who, t, c, sub: subscribe(
        app, who, t.company_id, [(c.plan, 1)], term=Term.MONTHLY
    ),
    "add seats": lambda app, who, t, c, sub: app.subscriptions.add_seats(ctx(who), sub, c.plan, 1),
    "remove seats": lambda app, who, t, c, sub: app.subscriptions.remove_seats(
        ctx(who), sub, c.plan, 1
    ),
    "change PO": lambda app, who, t, c, sub: app.subscriptions.change_po_reference(
        ctx(who), sub, "PO-2"
    ),
    "change renewal": lambda app, who, t, c, sub: app.subscriptions.change_renewal_option(
        ctx(who), sub, RenewalOption.EVERY_TIME
    ),
    "cancel": lambda app, who, t, c, sub: app.subscriptions.cancel(ctx(who), sub),
    "assign": lambda app, who, t, c, sub: app.subscriptions.assign_licence(
        ctx(who), sub, t.bob, c.plan
    ),
    "unassign": lambda app, who, t, c, sub: app.subscriptions.unassign_licence(
        ctx(who), sub, t.ann, c.plan
    ),
}

EVERY = {"none", "monthly_only", "increase_only", "full"}
# (command, term of the subscription) → the rights under which an admin may do it.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("create", "monthly"): {"full"},
    ("add seats", "monthly"): {"monthly_only", "increase_only", "full"},
    ("add seats", "3y"): {"increase_only", "full"},
    ("remove seats", "monthly"): {"monthly_only", "full"},
    ("remove seats", "3y"): {"full"},  # …where the subscription's own rule then refuses it
    ("change PO", "monthly"): EVERY - {"none"},
    ("change PO", "3y"): EVERY - {"none"},
    ("change renewal", "monthly"): {"full"},
    ("change renewal", "3y"): {"full"},
    ("cancel", "monthly"): {"full"},
    ("cancel", "3y"): {"full"},
    ("assign", "monthly"): EVERY,
    ("assign", "3y"): EVERY,
    ("unassign", "monthly"): EVERY,
    ("unassign", "3y"): EVERY,
}
RULE_REFUSES = {("remove seats", "3y")}  # seats of a prepaid term are never removed
TERMS = {"monthly": Term.MONTHLY, "3y": Term.THREE_YEARS}


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.fixture
def acme(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Acme AB")


def given_a_subscription(
    app: LessorApplication, acme: Tenant, catalog: Catalog, term: str, right: str
) -> UUID:
    """Bought by the operator, 3 plan seats, Ann holding one; then the right is set."""
    sub = subscribe(app, OPERATOR, acme.company_id, [(catalog.plan, 3)], term=TERMS[term])
    app.subscriptions.assign_licence(ctx(OPERATOR), sub, acme.ann, catalog.plan)
    app.companies.change(ctx(OPERATOR), acme.company_id, management_right=ManagementRight(right))
    return sub


@pytest.mark.parametrize("role", ["admin", "service"])
@pytest.mark.parametrize("right", sorted(EVERY))
@pytest.mark.parametrize(("command", "term"), sorted(ALLOWED), ids=lambda v: str(v))
def test_a_companys_right_decides_which_subscription_commands_its_admins_may_send(
    app: LessorApplication,
    acme: Tenant,
    catalog: Catalog,
    command: str,
    term: str,
    right: str,
    role: str,
) -> None:
    sub = given_a_subscription(app, acme, catalog, term, right)
    caller: Caller = getattr(acme, role)
    before = head(app)

    if right not in ALLOWED[command, term]:
        with pytest.raises(NotAllowed) as refused:
            COMMANDS[command](app, caller, acme, catalog, sub)
        assert f"management right is '{right}'" in refused.value.detail
        for needed in ALLOWED[command, term]:
            assert f"'{needed}'" in refused.value.detail
        assert head(app) == before
    elif (command, term) in RULE_REFUSES:
        with pytest.raises(RuleViolation):
            COMMANDS[command](app, caller, acme, catalog, sub)
        assert head(app) == before
    else:
        COMMANDS[command](app, caller, acme, catalog, sub)
        assert head(app) > before


@pytest.mark.parametrize(("command", "term"), sorted(set(ALLOWED) - RULE_REFUSES), ids=str)
def test_the_operator_is_never_limited_by_the_companys_right(
    app: LessorApplication, acme: Tenant, catalog: Catalog, command: str, term: str
) -> None:
    sub = given_a_subscription(app, acme, catalog, term, "none")
    before = head(app)

    COMMANDS[command](app, OPERATOR, acme, catalog, sub)

    assert head(app) > before


def test_every_company_starts_with_the_full_right_and_each_change_is_an_event(
    app: LessorApplication, acme: Tenant
) -> None:
    assert app.companies.read(OPERATOR, acme.company_id).rights == ManagementRight.FULL

    for right in ("monthly_only", "monthly_only", "none"):  # the repeat records nothing
        app.companies.change(
            ctx(OPERATOR), acme.company_id, management_right=ManagementRight(right)
        )

    granted = [
        e for e in events_of(app, acme.company_id) if isinstance(e, Company.ManagementRightGranted)
    ]
    assert [(e.right, e.actor.role) for e in granted] == [
        ("monthly_only", Role.OPERATOR),
        ("none", Role.OPERATOR),
    ]
    assert app.companies.read(acme.admin, acme.company_id).rights == ManagementRight.NONE


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE, Role.EMPLOYEE])
def test_only_an_operator_sets_a_companys_right(
    app: LessorApplication, acme: Tenant, role: Role
) -> None:
    caller = Caller(Actor("tok", role), acme.company_id, member_id=acme.ann)
    before = head(app)

    with pytest.raises(NotAllowed):
        app.companies.change(ctx(caller), acme.company_id, management_right=ManagementRight.FULL)

    assert head(app) == before


def test_an_unknown_right_is_refused_naming_the_four() -> None:
    with pytest.raises(InvalidValue, match="none, monthly_only, increase_only, full"):
        management_right("everything")


def test_a_company_snapshot_from_before_rights_loads_with_the_full_right() -> None:
    state: dict[str, Any] = {"name": "Acme AB"}

    Company.upcast_v2_v3(state)

    assert state["management_right"] == "full"
