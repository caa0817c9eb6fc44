"""The scheduler touches only what the `due` read model says is due (docs/adr/0010).

A real container on the real store; commands go through the application, ticks through
`container.scheduler`. Aggregate loads are counted at the store: the recorder's
`select_events` is wrapped, so every repository read of an aggregate is seen, whoever
makes it. Times are Europe/Stockholm: UTC+1 in winter, UTC+2 in summer; in 2026 the clocks
go forward on Sunday 29 March and back on Sunday 25 October.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from adapters.clock import FixedClock
from adapters.scheduler import TickReport
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType
from domain.model.end_of_lease import CHECKOUT_GRACE
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import ProductKind
from domain.ports import CheckoutRequest, CheckoutSession, PaymentEvent
from tests.conftest import T0
from tests.e2e._end_of_lease import local

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
SETUP = datetime(2025, 1, 6, 9, tzinfo=UTC)
US = timedelta(microseconds=1)


def at(caller: Caller, when: datetime = SETUP) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, "test"))


@contextmanager
def counting_loads(app: LessorApplication) -> Iterator[Counter[UUID]]:
    """How often each aggregate's events were read from the store."""
    loads: Counter[UUID] = Counter()
    recorder: Any = app.recorder
    select = recorder.select_events

    def counted(originator_id: Any, *args: Any, **kwargs: Any) -> Any:
        loads[UUID(str(originator_id))] += 1
        return select(originator_id, *args, **kwargs)

    recorder.select_events = counted
    try:
        yield loads
    finally:
        del recorder.select_events  # the class's method again


@dataclass
class Tenant:
    container: Container
    company_id: UUID
    members: list[UUID]

    @property
    def app(self) -> LessorApplication:
        return self.container.app

    def member(self, name: str, last_employment_day: date | None = None) -> UUID:
        member = self.app.members.register(
            at(OPERATOR),
            company_id=self.company_id,
            email=f"{name.lower()}@due.example",
            name=name,
            role=Role.EMPLOYEE,
            last_employment_day=last_employment_day,
        ).subject_id
        self.members.append(member)
        return member

    def leased(self, serial: str, renewal: date, *, assignee: UUID | None = None) -> UUID:
        device = self.app.devices.register(
            at(OPERATOR),
            company_id=self.company_id,
            serial=serial,
            model="ThinkPad X1",
            category="laptop",
            company_cost=Money.of("12000", "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2023, 1, 1),
            renewal_date=renewal,
        ).subject_id
        if assignee is not None:
            self.app.devices.assign(at(OPERATOR), device, assignee)
        self.app.valuation.set_buyout_price(at(OPERATOR), device, Money.of("3000", "SEK"))
        return device

    def tick(self, when: datetime) -> tuple[TickReport, Counter[UUID]]:
        with counting_loads(self.app) as loads:
            report = self.container.scheduler.tick(when)
        assert report.failures == [], report
        return report, loads


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    """The application's payment port is a checkout that expires an hour after it opens."""
    init_database(settings)
    built = build(settings, clock=clock, gateway=OneHourCheckout(T0))
    try:
        yield built
    finally:
        built.close()


def checkout_opens(acme: Tenant, opened: datetime) -> None:
    gateway = acme.container.payment_gateway
    assert isinstance(gateway, OneHourCheckout)
    gateway.opened = opened


@pytest.fixture
def acme(container: Container) -> Tenant:
    company = container.app.companies.register(
        at(OPERATOR),
        name="Due AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    ).subject_id
    return Tenant(container, company, [])


def test_a_tick_loads_only_the_devices_whose_window_is_due(acme: Tenant) -> None:
    ann, bob = acme.member("Ann"), acme.member("Bob")
    due = acme.leased("SN-DUE", date(2026, 6, 15), assignee=ann)
    later = acme.leased("SN-LATER", date(2027, 6, 15), assignee=bob)
    unassigned = acme.leased("SN-SHELF", date(2026, 6, 15))
    options_from = local(date(2026, 3, 15))

    before, before_loads = acme.tick(options_from - US)
    report, loads = acme.tick(options_from)
    again, again_loads = acme.tick(options_from)

    assert (before.jobs_due, before.events) == (0, 0)
    assert not {due, later, unassigned} & set(before_loads)
    assert (report.jobs_due, report.devices_advanced, report.events) == (1, 1, 1)
    assert loads[due] == 1
    assert not {later, unassigned, ann, bob} & set(loads)  # nor the members
    assert (again.jobs_due, again.events) == (0, 0)
    assert not {due, later, unassigned} & set(again_loads)


@pytest.mark.parametrize(
    ("renewal", "windows"),
    [
        # R − 3 m on the spring-forward Sunday: local midnight is still CET (UTC+1).
        (date(2026, 6, 29), [(3, "2026-03-28T23:00"), (1, "2026-05-28T22:00")]),
        # R − 1 m the day after the autumn change: midnight is CET again, an hour later.
        (date(2026, 11, 26), [(3, "2026-08-25T22:00"), (1, "2026-10-25T23:00")]),
        # Month ends: 31 May → 28 Feb and 30 Apr; in a leap year → 29 Feb.
        (date(2026, 5, 31), [(3, "2026-02-27T23:00"), (1, "2026-04-29T22:00")]),
        (date(2028, 5, 31), [(3, "2028-02-28T23:00"), (1, "2028-04-29T22:00")]),
        # 31 July → 30 April and 30 June: a 31st onto 30-day months.
        (date(2026, 7, 31), [(3, "2026-04-29T22:00"), (1, "2026-06-29T22:00")]),
    ],
)
def test_each_window_is_due_at_its_local_midnight_once_across_dst_and_month_ends(
    acme: Tenant, renewal: date, windows: list[tuple[int, str]]
) -> None:
    device = acme.leased("SN-1", renewal, assignee=acme.member("Ann"))
    overdue_at = local(renewal)
    instants = [datetime.fromisoformat(text).replace(tzinfo=UTC) for _, text in windows]

    for instant in [*instants, overdue_at]:
        early, early_loads = acme.tick(instant - US)
        on_time, loads = acme.tick(instant)
        twice, twice_loads = acme.tick(instant)

        assert (early.events, early_loads[device]) == (0, 0), instant
        assert (on_time.devices_advanced, loads[device]) == (1, 1), instant
        assert (twice.events, twice_loads[device]) == (0, 0), instant
    names = [
        n.topic.rsplit(".", 1)[1]
        for n in acme.app.recorder.select_events(device)  # type: ignore[attr-defined]
    ]
    assert names == [
        "Registered",
        "Assigned",
        "BuyoutPriceSet",
        "EndOfLeaseOpened",
        "FinalDecisionRequested",
        "MarkedOverdue",
    ]


def test_a_monthly_subscription_is_due_on_its_clamped_anniversaries(acme: Tenant) -> None:
    app = acme.app
    plan = app.catalog.add_product(
        at(OPERATOR), code="WP", name="Workplace Plan", kind=ProductKind.PLAN, prices={"SEK": 4900}
    ).subject_id
    subscription = app.subscriptions.create(
        at(OPERATOR),
        company_id=acme.company_id,
        lines=[(plan, 3)],
        start_date=date(2028, 1, 31),
        term=Term.MONTHLY,
        po_reference=None,
        separate_invoice=False,
        renewal_option=RenewalOption.NONE,
    ).subject_id
    # 31 Jan → 29 Feb (leap) → 31 Mar (over the spring change) → 30 Apr.
    for day in (date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)):
        early, early_loads = acme.tick(local(day) - US)
        on_time, loads = acme.tick(local(day))
        twice, twice_loads = acme.tick(local(day))

        # The early tick may make the company's monthly invoice run (due on the 1st).
        assert (early.subscriptions_advanced, early_loads[subscription]) == (0, 0), day
        assert (on_time.subscriptions_advanced, loads[subscription]) == (1, 1), day
        assert on_time.events == (1 if day == date(2028, 1, 31) else 2), day  # renewed + charged
        assert (twice.events, twice_loads[subscription]) == (0, 0), day
    lines = app.subscriptions.get(OPERATOR, subscription)
    assert (lines.term_start, lines.term_end) == (date(2028, 4, 30), date(2028, 5, 31))


class OneHourCheckout:
    """The payment provider's port: a session that expires an hour after it opens."""

    def __init__(self, opened: datetime) -> None:
        self.opened = opened

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        return CheckoutSession(
            session_id="cs_due_1",
            url="https://checkout.example/cs_due_1",
            expires_at=self.opened + timedelta(hours=1),
        )

    def expire_checkout(self, session_id: str) -> None:
        raise AssertionError("not cancelled in this test")


def test_a_lapsed_checkout_is_due_at_its_expiry_plus_grace_and_then_the_overdue_rule(
    acme: Tenant,
) -> None:
    ann = acme.member("Ann")
    renewal = date(2026, 6, 15)
    device = acme.leased("SN-PAY", renewal, assignee=ann)
    acme.tick(local(date(2026, 5, 15)))  # the final decision is requested
    opened = local(date(2026, 6, 14), 23)  # it lapses at 01:00 on R
    employee = Caller(Actor("tok-ann", Role.EMPLOYEE), acme.company_id, ann)
    checkout_opens(acme, opened)
    acme.app.end_of_lease.start_buyout(
        at(employee, opened),
        device,
        success_url="https://x.example/ok",
        cancel_url="https://x.example/no",
    )
    lapse = opened + timedelta(hours=1) + CHECKOUT_GRACE

    at_renewal, renewal_loads = acme.tick(local(renewal))  # 00:00 on R: checkout still open
    early, early_loads = acme.tick(lapse - US)
    on_time, loads = acme.tick(lapse)

    assert (at_renewal.events, renewal_loads[device]) == (0, 0)  # overdue waits for payment
    assert (early.events, early_loads[device]) == (0, 0)
    # The lapse closes the checkout and, R having passed, flags the device overdue.
    assert (on_time.devices_advanced, on_time.events, loads[device]) == (1, 2, 1)
    assert acme.app.devices.get(OPERATOR, device).overdue
    assert acme.tick(lapse + timedelta(days=1))[0].jobs_due == 0


def test_a_changed_time_zone_moves_the_due_instant(acme: Tenant) -> None:
    device = acme.leased("SN-TZ", date(2026, 9, 10), assignee=acme.member("Ann"))
    acme.app.companies.change(at(OPERATOR), acme.company_id, time_zone="America/New_York")
    stockholm_midnight = local(date(2026, 6, 10))
    new_york_midnight = datetime(2026, 6, 10, 4, tzinfo=UTC)  # EDT, UTC−4

    assert acme.tick(stockholm_midnight)[1][device] == 0
    assert acme.tick(new_york_midnight - US)[1][device] == 0
    assert acme.tick(new_york_midnight)[0].devices_advanced == 1


# --------------------------------------------------------------------- the Monday digest


def bought(acme: Tenant, serial: str, buyer: UUID, paid_at: datetime) -> UUID:
    """A leased device its employee has bought out (the payment recorded)."""
    device = acme.leased(serial, date(2026, 6, 15), assignee=buyer)
    acme.tick(local(date(2026, 5, 15)))
    employee = Caller(Actor(f"tok-{serial}", Role.EMPLOYEE), acme.company_id, buyer)
    checkout_opens(acme, paid_at)
    acme.app.end_of_lease.start_buyout(
        at(employee, paid_at),
        device,
        success_url="https://x.example/ok",
        cancel_url="https://x.example/no",
    )
    acme.app.end_of_lease.record_payment_event(
        PaymentEvent(
            provider_event_id=f"evt_{serial}",
            kind="paid",
            session_id="cs_due_1",
            device_id=device,
            payment_id="pi_1",
            amount=acme.app.devices.get(OPERATOR, device).checkout_amount,
            occurred_at=paid_at + timedelta(minutes=2),
        )
    )
    return device


def digest_jobs(acme: Tenant, when: datetime) -> list[str]:
    acme.container.projector.catch_up("due")
    return [j.rule.value for j in acme.container.scheduler.due(when)]


def test_a_ready_device_is_digested_each_monday_at_0900_once(acme: Tenant) -> None:
    ann = acme.member("Ann")
    phone = bought(acme, "SN-ANN", ann, local(date(2026, 5, 20), 10))
    replacement = acme.app.replacements.register(
        at(OPERATOR, local(date(2026, 5, 27), 14)),  # a Wednesday
        phone,
        serial="SN-ANN-2",
        model="ThinkPad X1",
        category="laptop",
        company_cost=Money.of("14000", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2026, 5, 27),
        renewal_date=date(2029, 5, 27),
    ).subject_id
    acme.app.replacements.mark_received(at(OPERATOR, local(date(2026, 5, 27), 15)), replacement)
    monday = date(2026, 6, 1)

    steps: list[tuple[datetime, int]] = [
        (local(monday, 8, 59), 0),
        (local(monday, 9), 1),
        (local(monday, 9), 0),
        (local(monday, 15), 0),
        (local(monday + timedelta(days=1), 9), 0),
        (local(monday + timedelta(days=7), 9), 1),  # still ready: the next week too
    ]
    sent = [acme.tick(when)[0].digests_sent for when, _ in steps]

    assert sent == [expected for _, expected in steps]
    assert digest_jobs(acme, local(monday + timedelta(days=7), 9, 5)) == []


def test_a_digest_chance_with_nothing_ready_closes_with_its_monday(acme: Tenant) -> None:
    ann = acme.member("Ann")
    phone = bought(acme, "SN-WAIT", ann, local(date(2026, 5, 20), 10))  # no replacement yet
    monday = date(2026, 5, 25)

    first, loads = acme.tick(local(monday, 9))
    assert (first.jobs_due, first.digests_sent, loads[phone]) == (1, 0, 1)  # tried: not ready
    assert digest_jobs(acme, local(monday + timedelta(days=1), 9)) == []
    assert digest_jobs(acme, local(monday + timedelta(days=7), 9)) == []  # until a new fact
    later, later_loads = acme.tick(local(monday + timedelta(days=7), 9))
    assert (later.jobs_due, later_loads[phone]) == (0, 0)


def test_an_offboarding_buyer_is_digested_the_monday_after_0500_on_d(acme: Tenant) -> None:
    last_day = date(2026, 6, 3)  # a Wednesday
    ann = acme.member("Ann", last_employment_day=last_day)
    bought(acme, "SN-OFF", ann, local(date(2026, 5, 20), 10))
    mondays = [date(2026, 5, 25), date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 8)]

    sent = [acme.tick(local(day, 9))[0].digests_sent for day in mondays]

    assert sent == [0, 0, 1, 0]  # not ready before D; ready from 05:00 on D
    assert acme.container.projector.verify("due") == []  # rebuilt equals kept up


def test_counting_sees_every_aggregate_a_job_loads(acme: Tenant) -> None:
    # The counter itself: a device read through the application is seen once per read.
    device = acme.leased("SN-SEEN", date(2026, 6, 15), assignee=acme.member("Ann"))
    with counting_loads(acme.app) as loads:
        acme.app.devices.get(OPERATOR, device)
        acme.app.devices.get(OPERATOR, device)
    assert loads[device] == 2
