"""Bulk provisioning by CSV (SPEC §3, seed 004, ADR 0033): members and their licences from a
file — strict, a dry run reports every error with its line and column, all or nothing, a
repeated file is a no-op, export → import round-trips. In memory."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.member_csv import read_member_csv, write_member_csv
from domain.application import LessorApplication
from domain.application.member_imports import MemberImportResult
from domain.model.errors import NotAllowed
from domain.model.member_rows import MAX_MEMBER_ROWS, MemberImportRejected
from domain.model.pricing import Term
from domain.model.subscription import Subscription
from tests.apps import in_memory_app
from tests.unit.test_subscription_application import (
    OPERATOR,
    Catalog,
    Tenant,
    a_tenant,
    ctx,
    head,
    subscribe,
)
from tests.unit.test_subscription_application import catalog as catalog  # the fixture

HEADER = "email,name,role,plan,options,last_employment_day\n"


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.fixture
def acme(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Acme AB")  # Ann and Bob, employees


@pytest.fixture
def subs(app: LessorApplication, acme: Tenant, catalog: Catalog) -> list[UUID]:
    """Two subscriptions: 2 Workplace + 2 Backup seats, then 1 Premium + 1 Workplace."""
    first = subscribe(
        app, OPERATOR, acme.company_id, [(catalog.plan, 2), (catalog.backup, 2)], term=Term.MONTHLY
    )
    second = subscribe(app, OPERATOR, acme.company_id, [(catalog.premium, 1), (catalog.plan, 1)])
    return [first, second]


def run(
    app: LessorApplication, acme: Tenant, subs: list[UUID], text: str, *, dry_run: bool = False
) -> MemberImportResult:
    return app.member_imports.import_members(
        ctx(acme.admin), acme.company_id, read_member_csv(text.encode()), subs, dry_run=dry_run
    )


def holders(app: LessorApplication, subs: list[UUID]) -> dict[str, list[str]]:
    """product line name → holder ids, over the subscriptions."""
    found: dict[str, list[str]] = {}
    for sub in subs:
        subscription: Subscription = app.repository.get(sub)
        for product_id, members in subscription.holders.items():
            if not members:
                continue
            name = subscription.line(UUID(product_id)).product_name
            found.setdefault(name, []).extend(sorted(members))
    return found


def test_a_file_registers_members_assigns_their_licences_and_again_changes_nothing(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    text = HEADER + (
        "ann@acme.example,Ann,employee,WP,BK,\n"
        "cecilia@acme.example,Cecilia Berg,employee,WP-PRO,,2026-12-31\n"
        "dan@acme.example,Dan,admin,,BK,\n"
    )

    done = run(app, acme, subs, text)

    assert done.applied
    assert [(r.email, r.created, r.assigned) for r in done.rows] == [
        ("ann@acme.example", False, ("WP", "BK")),
        ("cecilia@acme.example", True, ("WP-PRO",)),
        ("dan@acme.example", True, ("BK",)),
    ]
    cecilia = app.members.find_by_email(acme.company_id, "cecilia@acme.example")
    assert cecilia is not None
    assert cecilia.last_employment_day is not None
    assert holders(app, subs)["Backup"] == sorted([str(acme.ann), str(done.rows[2].member_id)])
    before = head(app)

    again = run(app, acme, subs, text)

    assert not again.applied
    assert head(app) == before


def test_one_bad_row_changes_nothing_and_the_dry_run_lists_every_error_by_line_and_column(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    text = HEADER + (
        "eva@acme.example,Eva,employee,WP,,\n"
        "not-an-email,Frank,boss,NOPE,BK;BK,31/12/2026\n"
        "eva@acme.example,Eva,employee,,,\n"
    )
    before = head(app)

    checked = run(app, acme, subs, text, dry_run=True)
    with pytest.raises(MemberImportRejected) as refused:
        run(app, acme, subs, text)

    assert head(app) == before
    assert app.members.find_by_email(acme.company_id, "eva@acme.example") is None
    assert [(e.line, e.field) for e in checked.errors] == [
        (3, "email"),
        (3, "last_employment_day"),
        (3, "options"),
        (3, "plan"),
        (3, "role"),
        (4, "email"),  # eva twice
    ]
    assert list(refused.value.errors) == list(checked.errors)


def test_assigning_beyond_the_free_seats_is_refused_for_that_row(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    text = HEADER + (
        "p1@acme.example,P One,employee,WP-PRO,,\n"
        "p2@acme.example,P Two,employee,WP-PRO,,\n"  # one Premium seat only
    )

    checked = run(app, acme, subs, text, dry_run=True)

    assert [(e.line, e.field) for e in checked.errors] == [(3, "plan")]
    assert "no free seat of 'WP-PRO'" in checked.errors[0].message
    assert [r.line for r in checked.rows] == [2]


def test_a_file_moves_a_plan_and_unassigns_what_it_no_longer_names(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    run(app, acme, subs, HEADER + "ann@acme.example,Ann,employee,WP,BK,\n")

    moved = run(app, acme, subs, HEADER + "ann@acme.example,Ann,employee,WP-PRO,,\n")

    assert (moved.rows[0].assigned, set(moved.rows[0].unassigned)) == (("WP-PRO",), {"WP", "BK"})
    assert holders(app, subs) == {"Premium Plan": [str(acme.ann)]}
    back = run(app, acme, subs, HEADER + "ann@acme.example,Ann,employee,WP,,\n")
    assert back.rows[0].assigned == ("WP",)  # the plan claim is free again


def test_export_then_import_round_trips(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    run(
        app,
        acme,
        subs,
        HEADER
        + "ann@acme.example,Ann,employee,WP,BK,2027-01-31\nbob@acme.example,Bob,employee,,BK,\n",
    )
    members = [acme.ann, acme.bob]
    exported = write_member_csv(
        app.member_imports.export(acme.admin, acme.company_id, members, subs, OPERATOR_AT)
    )
    before = head(app)

    again = run(app, acme, subs, exported)

    assert exported.splitlines() == [
        "email,name,role,plan,options,last_employment_day",
        "ann@acme.example,Ann,employee,WP,BK,2027-01-31",
        "bob@acme.example,Bob,employee,,BK,",
    ]
    assert not again.applied
    assert head(app) == before


def test_an_existing_members_name_or_role_must_match_and_the_rows_are_bounded(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    checked = run(app, acme, subs, HEADER + "ann@acme.example,Annie,admin,,,\n", dry_run=True)
    many = HEADER + "".join(
        f"m{i}@acme.example,M,employee,,,\n" for i in range(MAX_MEMBER_ROWS + 1)
    )

    assert [(e.line, e.field) for e in checked.errors] == [(2, "name")]
    assert [e.field for e in run(app, acme, subs, many, dry_run=True).errors] == ["file"]


def test_only_admins_and_operators_provision_members(
    app: LessorApplication, acme: Tenant, subs: list[UUID]
) -> None:
    with pytest.raises(NotAllowed):
        app.member_imports.import_members(
            ctx(acme.service),
            acme.company_id,
            read_member_csv(HEADER.encode()),
            subs,
            dry_run=True,
        )


OPERATOR_AT = ctx(OPERATOR).cause.at


EMAILS = ("ann@acme.example", "bob@acme.example", "p@acme.example", "q@acme.example")
NAMES = {"ann@acme.example": "Ann", "bob@acme.example": "Bob"}


@st.composite
def member_files(draw: st.DrawFn) -> str:
    """Files over four members, any plan (or none) and any options of the catalog."""
    emails = draw(st.lists(st.sampled_from(EMAILS), min_size=1, max_size=4, unique=True))
    rows = []
    for email in emails:
        plan = draw(st.sampled_from(["", "WP", "WP-PRO"]))
        options = draw(st.sampled_from(["", "BK"]))
        rows.append(f"{email},{NAMES.get(email, 'New')},employee,{plan},{options},\n")
    return HEADER + "".join(rows)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(member_files(), min_size=1, max_size=4))
def test_any_sequence_of_files_keeps_seats_and_plans_within_the_rules_and_repeats_are_no_ops(
    files: list[str],
) -> None:
    app = in_memory_app()
    acme = a_tenant(app, "Acme AB")
    add = app.catalog.add_product
    plan = add(ctx(OPERATOR), code="WP", name="Workplace", kind="plan", prices={"SEK": 1})
    premium = add(ctx(OPERATOR), code="WP-PRO", name="Premium", kind="plan", prices={"SEK": 2})
    backup = add(ctx(OPERATOR), code="BK", name="Backup", kind="option", prices={"SEK": 3})
    subs = [
        subscribe(app, OPERATOR, acme.company_id, [(plan.subject_id, 2), (backup.subject_id, 1)]),
        subscribe(app, OPERATOR, acme.company_id, [(premium.subject_id, 1), (plan.subject_id, 1)]),
    ]
    for text in files:
        before = head(app)
        checked = run(app, acme, subs, text, dry_run=True)
        assert head(app) == before  # a dry run writes nothing
        if checked.errors:
            with pytest.raises(MemberImportRejected):
                run(app, acme, subs, text)
            assert head(app) == before  # all or nothing
            continue
        run(app, acme, subs, text)
        reached = head(app)
        assert not run(app, acme, subs, text).applied
        assert head(app) == reached  # the same file again: a no-op
        plans: dict[str, int] = {}
        for sub in subs:
            subscription: Subscription = app.repository.get(sub)
            for product_id, members in subscription.holders.items():
                line = subscription.line(UUID(product_id))
                assert len(members) <= line.seats
                if line.kind == "plan":
                    for member in members:
                        plans[member] = plans.get(member, 0) + 1
        assert all(count <= 1 for count in plans.values())  # one plan per member
