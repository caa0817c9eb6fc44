"""Subscriptions through the application, in memory: roles, tenancy, plans per member,
default licences, price changes and the scheduler (SPEC §1, §3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import CommandContext, Idempotency, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.errors import NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import Product, ProductKind
from domain.model.subscription import Subscription, SubscriptionStatus
from domain.model.time import add_months
from domain.model.unique_claim import UniqueClaim, claim_id
from tests.apps import in_memory_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)


def ctx(
    caller: Caller,
    *,
    at: datetime = T0,
    correlation_id: str = "req-1",
    idempotency: Idempotency | None = None,
) -> CommandContext:
    return CommandContext(
        caller=caller,
        cause=Cause(actor=caller.actor, at=at, correlation_id=correlation_id),
        idempotency=idempotency,
    )


def sek(amount: str) -> Money:
    return Money.of(amount, "SEK")


def head(app: LessorApplication) -> int:
    return app.recorder.max_notification_id() or 0


@dataclass
class Catalog:
    plan: UUID  # Workplace Plan, 49.00 SEK per seat per month
    premium: UUID  # Premium Plan, 99.00 SEK
    backup: UUID  # Backup option, 15.00 SEK


@dataclass
class Tenant:
    company_id: UUID
    admin: Caller
    service: Caller
    employee: Caller
    ann: UUID  # the employee
    bob: UUID


def a_member(app: LessorApplication, company_id: UUID, email: str) -> UUID:
    return app.members.register(
        ctx(OPERATOR),
        company_id=company_id,
        email=email,
        name=email.split("@")[0].title(),
        role=Role.EMPLOYEE,
        last_employment_day=None,
    ).subject_id


def a_tenant(app: LessorApplication, name: str) -> Tenant:
    company_id = app.companies.register(
        ctx(OPERATOR),
        name=name,
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={},
    ).subject_id
    slug = name.split()[0].lower()
    ann = a_member(app, company_id, f"ann@{slug}.example")
    return Tenant(
        company_id=company_id,
        admin=Caller(Actor(f"tok-{slug}-admin", Role.ADMIN), company_id),
        service=Caller(Actor(f"tok-{slug}-svc", Role.SERVICE), company_id),
        employee=Caller(Actor(f"tok-{slug}-ann", Role.EMPLOYEE), company_id, member_id=ann),
        ann=ann,
        bob=a_member(app, company_id, f"bob@{slug}.example"),
    )


def subscribe(
    app: LessorApplication,
    caller: Caller,
    company_id: UUID,
    lines: list[tuple[UUID, int]],
    *,
    start: date = TODAY,
    term: Term = Term.ONE_YEAR,
    renewal: RenewalOption = RenewalOption.NONE,
    po: str | None = "PO-1",
    at: datetime = T0,
) -> UUID:
    return app.subscriptions.create(
        ctx(caller, at=at),
        company_id=company_id,
        lines=lines,
        start_date=start,
        term=term,
        po_reference=po,
        separate_invoice=False,
        renewal_option=renewal,
    ).subject_id


def events_of(app: LessorApplication, aggregate_id: UUID) -> list[Any]:
    return list(app.events.get(aggregate_id))


def charges_of(app: LessorApplication, subscription_id: UUID) -> list[Any]:
    return [e for e in events_of(app, subscription_id) if isinstance(e, Subscription.TermCharged)]


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.fixture
def catalog(app: LessorApplication) -> Catalog:
    def add(code: str, name: str, kind: ProductKind, minor: int) -> UUID:
        return app.catalog.add_product(
            ctx(OPERATOR), code=code, name=name, kind=kind, prices={"SEK": minor, "EUR": 450}
        ).subject_id

    return Catalog(
        plan=add("WP", "Workplace Plan", ProductKind.PLAN, 4900),
        premium=add("WP-PRO", "Premium Plan", ProductKind.PLAN, 9900),
        backup=add("BK", "Backup", ProductKind.OPTION, 1500),
    )


@pytest.fixture
def acme(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Acme AB")


@pytest.fixture
def globex(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Globex AB")


@pytest.fixture
def acme_plan(app: LessorApplication, acme: Tenant, catalog: Catalog) -> UUID:
    """A monthly subscription of 3 Workplace Plan and 2 Backup seats, charged today."""
    return subscribe(
        app,
        acme.admin,
        acme.company_id,
        [(catalog.plan, 3), (catalog.backup, 2)],
        term=Term.MONTHLY,
    )


# --- the catalog --------------------------------------------------------------------------


def test_an_operator_adds_a_product_and_changes_its_name_and_prices(
    app: LessorApplication, catalog: Catalog
) -> None:
    app.catalog.change_product(ctx(OPERATOR), catalog.plan, name="Workplace", prices={"SEK": 5500})

    product = app.catalog.product(OPERATOR, catalog.plan)
    assert (product.name, product.kind) == ("Workplace", ProductKind.PLAN)
    assert product.prices == {"SEK": 5500, "EUR": 450}
    kinds = [type(e) for e in events_of(app, catalog.plan)]
    assert kinds == [Product.Added, Product.Renamed, Product.PricesChanged]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE, Role.EMPLOYEE])
def test_only_operators_add_or_change_products(
    app: LessorApplication, catalog: Catalog, acme: Tenant, role: Role
) -> None:
    caller = Caller(Actor("tok", role), acme.company_id, member_id=acme.ann)
    before = head(app)

    with pytest.raises(NotAllowed):
        app.catalog.add_product(
            ctx(caller), code="X", name="Cheap Plan", kind=ProductKind.PLAN, prices={"SEK": 1}
        )
    with pytest.raises(NotAllowed):
        app.catalog.change_product(ctx(caller), catalog.plan, prices={"SEK": 1})

    assert head(app) == before
    assert app.catalog.product(caller, catalog.plan).prices["SEK"] == 4900


# --- roles and tenancy --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "service"])
def test_admins_and_services_manage_subscriptions(
    app: LessorApplication, acme: Tenant, catalog: Catalog, who: str
) -> None:
    caller: Caller = getattr(acme, who)

    sub = subscribe(app, caller, acme.company_id, [(catalog.plan, 2)], term=Term.MONTHLY)
    app.subscriptions.add_seats(ctx(caller), sub, catalog.plan, 1)
    app.subscriptions.remove_seats(ctx(caller), sub, catalog.plan, 1)
    app.subscriptions.change_po_reference(ctx(caller), sub, "PO-9")
    app.subscriptions.change_renewal_option(ctx(caller), sub, RenewalOption.TO_MONTHLY)
    app.subscriptions.assign_licence(ctx(caller), sub, acme.ann, catalog.plan)
    app.subscriptions.unassign_licence(ctx(caller), sub, acme.ann, catalog.plan)
    app.subscriptions.cancel(ctx(caller), sub)

    subscription = app.subscriptions.get(caller, sub)
    assert subscription.line(catalog.plan).seats == 3
    assert subscription.pending_removals == {str(catalog.plan): 1}
    assert (subscription.po_reference, subscription.cancel_at_term_end) == ("PO-9", True)
    assert app.subscriptions.quote(
        caller, acme.company_id, [(catalog.plan, 1)], Term.ONE_YEAR
    ).total == sek("588.00")


SubscriptionReach = Callable[[LessorApplication, Caller, Tenant, Catalog, UUID], Any]

SUBSCRIPTION_REACHES: dict[str, SubscriptionReach] = {
    "read": lambda app, who, t, c, sub: app.subscriptions.get(who, sub),
    "add seats": lambda app, who, t, c, sub: app.subscriptions.add_seats(ctx(who), sub, c.plan, 1),
    "remove seats": lambda app, who, t, c, sub: app.subscriptions.remove_seats(
        ctx(who), sub, c.plan, 1
    ),
    "change PO": lambda app, who, t, c, sub: app.subscriptions.change_po_reference(
        ctx(who), sub, "X"
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


@pytest.mark.parametrize("reach", SUBSCRIPTION_REACHES.values(), ids=SUBSCRIPTION_REACHES.keys())
def test_an_employee_cannot_see_or_touch_a_subscription(
    app: LessorApplication,
    acme: Tenant,
    catalog: Catalog,
    acme_plan: UUID,
    reach: SubscriptionReach,
) -> None:
    app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.plan)
    before = head(app)

    with pytest.raises(NotFound, match="Subscription not found"):
        reach(app, acme.employee, acme, catalog, acme_plan)  # even holding a licence on it

    assert head(app) == before


def test_an_employee_may_not_buy_or_quote_a_subscription(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    before = head(app)

    with pytest.raises(NotAllowed):
        subscribe(app, acme.employee, acme.company_id, [(catalog.plan, 1)])
    with pytest.raises(NotAllowed):
        app.subscriptions.quote(acme.employee, acme.company_id, [(catalog.plan, 1)], Term.ONE_YEAR)

    assert head(app) == before


@pytest.mark.parametrize("reach", SUBSCRIPTION_REACHES.values(), ids=SUBSCRIPTION_REACHES.keys())
def test_another_companys_admin_finds_no_subscription_and_changes_nothing(
    app: LessorApplication,
    acme: Tenant,
    globex: Tenant,
    catalog: Catalog,
    acme_plan: UUID,
    reach: SubscriptionReach,
) -> None:
    app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.plan)
    before = head(app)

    with pytest.raises(NotFound, match="Subscription not found"):
        reach(app, globex.admin, acme, catalog, acme_plan)

    assert head(app) == before


def test_another_companys_subscription_answers_exactly_like_a_missing_one(
    app: LessorApplication, globex: Tenant, acme_plan: UUID
) -> None:
    with pytest.raises(NotFound) as other_tenants:
        app.subscriptions.get(globex.admin, acme_plan)
    with pytest.raises(NotFound) as missing:
        app.subscriptions.get(globex.admin, UUID(int=404))

    assert other_tenants.value.detail == missing.value.detail == "Subscription not found."


def test_another_companys_admin_cannot_buy_quote_or_default_for_a_company(
    app: LessorApplication, acme: Tenant, globex: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    before = head(app)

    with pytest.raises(NotFound):
        subscribe(app, globex.admin, acme.company_id, [(catalog.plan, 1)])
    with pytest.raises(NotFound):
        app.subscriptions.quote(globex.admin, acme.company_id, [(catalog.plan, 1)], Term.ONE_YEAR)
    with pytest.raises(NotFound):
        app.subscriptions.choose_default_licence(
            ctx(globex.admin), acme.company_id, acme_plan, catalog.plan
        )
    with pytest.raises(NotFound):  # its own company, another company's subscription
        app.subscriptions.choose_default_licence(
            ctx(globex.admin), globex.company_id, acme_plan, catalog.plan
        )

    assert head(app) == before


def test_a_licence_cannot_go_to_another_companys_member(
    app: LessorApplication, acme: Tenant, globex: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    with pytest.raises(NotFound, match="Member not found"):
        app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, globex.ann, catalog.plan)

    assert app.subscriptions.get(acme.admin, acme_plan).assigned(catalog.plan) == 0


def test_a_service_may_not_choose_the_default_licence(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    with pytest.raises(NotAllowed):
        app.subscriptions.choose_default_licence(
            ctx(acme.service), acme.company_id, acme_plan, catalog.plan
        )


def test_an_operator_reaches_every_companys_subscriptions(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    app.subscriptions.add_seats(ctx(OPERATOR), acme_plan, catalog.plan, 1)

    assert app.subscriptions.get(OPERATOR, acme_plan).line(catalog.plan).seats == 4


# --- quotes and creation ------------------------------------------------------------------


def test_a_quote_prices_each_line_at_the_catalog_price_and_records_nothing(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    before = head(app)

    quote = app.subscriptions.quote(
        acme.admin, acme.company_id, [(catalog.plan, 5), (catalog.backup, 5)], Term.THREE_YEARS
    )

    assert [(q.product_name, q.seats, q.amount) for q in quote.lines] == [
        ("Workplace Plan", 5, sek("7938.00")),
        ("Backup", 5, sek("2430.00")),
    ]
    assert quote.total == sek("10368.00")
    assert head(app) == before


def test_a_subscription_starting_today_is_charged_at_once(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 5)], term=Term.THREE_YEARS)

    [charged] = charges_of(app, sub)
    assert charged.charges[0].amount == sek("7938.00")
    assert (charged.actor, charged.at) == (acme.admin.actor, T0)
    assert app.subscriptions.get(acme.admin, sub).status == SubscriptionStatus.ACTIVE


def test_a_backdated_start_is_charged_once_when_created_and_never_again(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 2)], start=date(2025, 6, 1))

    assert app.subscriptions.advance(sub, T0) == 0
    assert app.subscriptions.advance(sub, datetime(2026, 5, 31, 9, tzinfo=UTC)) == 0
    [charged] = charges_of(app, sub)
    assert (charged.period_start, charged.period_end) == (date(2025, 6, 1), date(2026, 6, 1))


def test_creating_a_subscription_twice_under_one_idempotency_key_creates_one(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    def create() -> UUID:
        return app.subscriptions.create(
            ctx(acme.service, idempotency=Idempotency("key-1", "h")),
            company_id=acme.company_id,
            lines=[(catalog.plan, 1)],
            start_date=TODAY,
            term=Term.ONE_YEAR,
            po_reference=None,
            separate_invoice=False,
            renewal_option=RenewalOption.NONE,
        ).subject_id

    first = create()
    position = head(app)

    assert create() == first
    assert head(app) == position


# --- the scheduler --------------------------------------------------------------------------


def test_the_scheduler_charges_on_the_companys_local_date_and_only_once(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(
        app,
        acme.admin,
        acme.company_id,
        [(catalog.plan, 1)],
        start=date(2026, 4, 1),
        term=Term.MONTHLY,
    )

    # 21:30 UTC on 31 March is 23:30 in Stockholm (CEST): still March.
    assert app.subscriptions.advance(sub, datetime(2026, 3, 31, 21, 30, tzinfo=UTC)) == 0
    # 22:30 UTC is 00:30 on 1 April in Stockholm.
    assert app.subscriptions.advance(sub, datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == 1
    assert app.subscriptions.advance(sub, datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == 0
    assert app.subscriptions.advance(sub, datetime(2026, 4, 20, 9, tzinfo=UTC)) == 0
    [charged] = charges_of(app, sub)
    assert charged.actor == Actor("scheduler", Role.SYSTEM)


def test_a_monthly_subscription_keeps_billing_after_it_is_snapshotted(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    """The application snapshots a subscription every 50 events (two years of months); the
    subscription loaded from that snapshot must go on charging."""
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 1)], term=Term.MONTHLY)

    mornings_after = [add_months(TODAY, k) + timedelta(days=1) for k in range(1, 31)]

    recorded = [
        app.subscriptions.advance(sub, datetime.combine(day, time(9), tzinfo=UTC))
        for day in mornings_after
    ]

    assert recorded == [2] * 30  # renewed and charged each month
    assert len(charges_of(app, sub)) == 31
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(sub)] == [50]


# --- prices change, sales do not ----------------------------------------------------------


def test_a_price_change_never_alters_what_was_sold_but_applies_at_the_next_renewal(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(
        app,
        acme.admin,
        acme.company_id,
        [(catalog.plan, 5)],
        renewal=RenewalOption.EVERY_TIME,
    )

    app.catalog.change_product(ctx(OPERATOR), catalog.plan, prices={"SEK": 5500})

    subscription = app.subscriptions.get(acme.admin, sub)
    assert subscription.line(catalog.plan).unit_price == sek("49.00")
    [first] = charges_of(app, sub)
    assert first.charges[0].amount == sek("2940.00")  # 5 × 49 × 12, as sold
    assert app.subscriptions.quote(
        acme.admin, acme.company_id, [(catalog.plan, 5)], Term.ONE_YEAR
    ).total == (sek("3300.00"))

    assert app.subscriptions.advance(sub, datetime(2027, 3, 2, 9, tzinfo=UTC)) == 2

    renewed = [e for e in events_of(app, sub) if isinstance(e, Subscription.Renewed)]
    assert renewed[0].lines[0].unit_price == sek("55.00")
    first_again, second = charges_of(app, sub)
    assert first_again.charges[0].amount == sek("2940.00")
    assert second.charges[0].amount == sek("3300.00")  # 5 × 55 × 12


def test_seats_added_after_a_price_change_cost_the_new_list_price(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 5)])
    app.catalog.change_product(ctx(OPERATOR), catalog.plan, prices={"SEK": 5500})

    app.subscriptions.add_seats(
        ctx(acme.admin), sub, catalog.plan, 1
    )  # on the first day: a full term

    added = [e for e in events_of(app, sub) if isinstance(e, Subscription.SeatsAdded)]
    assert added[0].charge.amount == sek("660.00")  # 1 × 55 × 12
    assert app.subscriptions.get(acme.admin, sub).line(catalog.plan).unit_price == sek("49.00")


# --- PO references --------------------------------------------------------------------------


def test_a_po_change_leaves_the_earlier_charge_with_its_po_and_goes_on_the_next(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    app.subscriptions.change_po_reference(ctx(acme.admin), acme_plan, "PO-2")
    app.subscriptions.advance(acme_plan, datetime(2026, 4, 2, 9, tzinfo=UTC))

    first, second = charges_of(app, acme_plan)
    assert (first.po_reference, second.po_reference) == ("PO-1", "PO-2")


def test_seats_of_a_prepaid_term_cannot_be_removed_through_the_application(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 5)], term=Term.FIVE_YEARS)
    before = head(app)

    with pytest.raises(RuleViolation, match="prepaid"):
        app.subscriptions.remove_seats(ctx(acme.admin), sub, catalog.plan, 1)

    assert head(app) == before


# --- one plan per member ------------------------------------------------------------------


def test_a_member_holds_one_plan_across_the_company_but_any_number_of_options(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    other = subscribe(app, acme.admin, acme.company_id, [(catalog.premium, 2), (catalog.backup, 2)])
    app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.plan)
    before = head(app)

    with pytest.raises(RuleViolation, match="already holds a plan"):
        app.subscriptions.assign_licence(ctx(acme.admin), other, acme.ann, catalog.premium)
    assert head(app) == before
    assert app.subscriptions.get(acme.admin, other).assigned(catalog.premium) == 0

    app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.backup)
    app.subscriptions.assign_licence(ctx(acme.admin), other, acme.ann, catalog.backup)
    app.subscriptions.assign_licence(
        ctx(acme.admin), other, acme.bob, catalog.premium
    )  # Bob has none yet


def test_a_second_plan_on_the_same_subscription_is_refused_too(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 2), (catalog.premium, 2)])
    app.subscriptions.assign_licence(ctx(acme.admin), sub, acme.ann, catalog.plan)

    with pytest.raises(RuleViolation, match="already holds a plan"):
        app.subscriptions.assign_licence(ctx(acme.admin), sub, acme.ann, catalog.premium)


def test_no_licence_is_assigned_without_a_free_seat(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 1)])
    app.subscriptions.assign_licence(ctx(acme.admin), sub, acme.ann, catalog.plan)

    with pytest.raises(RuleViolation, match="No free seat"):
        app.subscriptions.assign_licence(ctx(acme.admin), sub, acme.bob, catalog.plan)


def test_unassigning_frees_the_seat_and_the_members_plan(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    other = subscribe(app, acme.admin, acme.company_id, [(catalog.premium, 1)])
    app.subscriptions.assign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.plan)

    app.subscriptions.unassign_licence(ctx(acme.admin), acme_plan, acme.ann, catalog.plan)
    app.subscriptions.assign_licence(ctx(acme.admin), other, acme.ann, catalog.premium)

    assert app.subscriptions.get(acme.admin, acme_plan).free_seats(catalog.plan) == 3
    assert app.subscriptions.get(acme.admin, other).products_held_by(acme.ann) == [catalog.premium]


def test_when_a_subscription_ends_its_members_may_take_another_plan(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    ending = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 2)])
    later = subscribe(
        app, acme.admin, acme.company_id, [(catalog.premium, 2)], start=date(2027, 3, 2)
    )
    app.subscriptions.assign_licence(ctx(acme.admin), ending, acme.ann, catalog.plan)
    with pytest.raises(RuleViolation, match="already holds a plan"):
        app.subscriptions.assign_licence(ctx(acme.admin), later, acme.ann, catalog.premium)

    assert app.subscriptions.advance(ending, datetime(2027, 3, 2, 9, tzinfo=UTC)) == 1

    ended = app.subscriptions.get(acme.admin, ending)
    assert (ended.status, ended.holders) == (SubscriptionStatus.EXPIRED, {})
    ann_plan = events_of(app, claim_id("member-plan", acme.company_id, str(acme.ann)))
    assert isinstance(ann_plan[-1], UniqueClaim.Released)
    app.subscriptions.assign_licence(ctx(acme.admin), later, acme.ann, catalog.premium)
    with pytest.raises(RuleViolation, match="subscription that has expired"):
        app.subscriptions.assign_licence(ctx(acme.admin), ending, acme.bob, catalog.plan)


# --- the default licence ------------------------------------------------------------------


def test_a_new_member_gets_the_default_licence_while_a_seat_is_free(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 1)])
    other = subscribe(app, acme.admin, acme.company_id, [(catalog.premium, 1)])
    app.subscriptions.choose_default_licence(ctx(acme.admin), acme.company_id, sub, catalog.plan)

    cat = a_member(app, acme.company_id, "cat@acme.example")
    version = app.subscriptions.get(acme.admin, sub).version
    dan = a_member(app, acme.company_id, "dan@acme.example")  # no seat left for Dan

    subscription = app.subscriptions.get(acme.admin, sub)
    assert subscription.products_held_by(cat) == [catalog.plan]
    assert subscription.products_held_by(dan) == []
    assert subscription.version == version  # nothing recorded for Dan's missing licence
    assert app.members.get(acme.admin, dan).email == "dan@acme.example"  # Dan exists all the same
    with pytest.raises(RuleViolation, match="already holds a plan"):  # the default is a plan
        app.subscriptions.assign_licence(ctx(acme.admin), other, cat, catalog.premium)


def test_no_default_licence_comes_from_an_ended_subscription(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = subscribe(app, acme.admin, acme.company_id, [(catalog.plan, 5)])
    app.subscriptions.choose_default_licence(ctx(acme.admin), acme.company_id, sub, catalog.plan)
    app.subscriptions.advance(sub, datetime(2027, 3, 2, 9, tzinfo=UTC))

    cat = a_member(app, acme.company_id, "cat@acme.example")

    assert app.subscriptions.get(acme.admin, sub).products_held_by(cat) == []


def test_the_default_licence_is_a_product_of_the_subscription(
    app: LessorApplication, acme: Tenant, catalog: Catalog, acme_plan: UUID
) -> None:
    with pytest.raises(NotFound):
        app.subscriptions.choose_default_licence(
            ctx(acme.admin), acme.company_id, acme_plan, catalog.premium
        )

    app.subscriptions.choose_default_licence(
        ctx(acme.admin), acme.company_id, acme_plan, catalog.backup
    )
    app.subscriptions.choose_default_licence(ctx(acme.admin), acme.company_id, None, None)

    company = app.companies.read(acme.admin, acme.company_id)
    assert (company.default_subscription_id, company.default_product_id) == (None, None)
