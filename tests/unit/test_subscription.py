"""Subscription: charging in advance, renewals, seats, PO references and licences (SPEC §3).

Time moves only through `advance(today, list_prices, cause)`; each test says which day it is.
Prices are per seat per month in minor units; the Workplace Plan costs 49.00 SEK, the Backup
option 15.00 SEK.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import given
from hypothesis import strategies as st

from domain.model.actor import Actor, Role
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term, term_end, term_price
from domain.model.product import ProductKind
from domain.model.subscription import ChargeLine, SeatLine, Subscription, SubscriptionStatus
from domain.model.time import add_months

ACME = UUID("00000000-0000-4000-8000-00000000acde")
SUB = UUID("00000000-0000-4000-8000-000000005b01")
PLAN = UUID("00000000-0000-4000-8000-0000000091a0")
BACKUP = UUID("00000000-0000-4000-8000-00000000bac0")
UNKNOWN = UUID("00000000-0000-4000-8000-000000000404")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
BOB = UUID("00000000-0000-4000-8000-000000000b0b")
CAT = UUID("00000000-0000-4000-8000-000000000ca7")
ADMIN = Actor("acme-admin", Role.ADMIN)
SCHEDULER = Actor("scheduler", Role.SYSTEM)
TODAY = date(2026, 3, 2)

MONTHS = {Term.MONTHLY: 1, Term.ONE_YEAR: 12, Term.THREE_YEARS: 36, Term.FIVE_YEARS: 60}
PREPAID = [Term.ONE_YEAR, Term.THREE_YEARS, Term.FIVE_YEARS]


def sek(amount: str) -> Money:
    return Money.of(amount, "SEK")


def cause(on: date = TODAY, actor: Actor = ADMIN) -> Cause:
    return Cause(
        actor=actor, at=datetime.combine(on, time(9), tzinfo=UTC), correlation_id=f"req-{on}"
    )


def plan(seats: int = 5, price: Money | None = None) -> SeatLine:
    return SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, seats, price or sek("49.00"))


def backup(seats: int = 5, price: Money | None = None) -> SeatLine:
    return SeatLine(BACKUP, "Backup", ProductKind.OPTION, seats, price or sek("15.00"))


def subscribe(
    *,
    start: date = TODAY,
    term: Term = Term.ONE_YEAR,
    renewal: RenewalOption = RenewalOption.NONE,
    lines: Sequence[SeatLine] | None = None,
    po: str | None = "PO-1",
    separate_invoice: bool = False,
) -> Subscription:
    """A subscription as sold, its Created event already recorded (nothing charged yet)."""
    subscription = Subscription.create(
        subscription_id=SUB,
        company_id=ACME,
        lines=list(lines) if lines is not None else [plan()],
        start_date=start,
        term=term,
        po_reference=po,
        separate_invoice=separate_invoice,
        renewal_option=renewal,
        cause=cause(),
    )
    subscription.collect_events()
    return subscription


def advance(
    subscription: Subscription, today: date, prices: dict[UUID, Money] | None = None
) -> list[Any]:
    """The scheduler runs on `today`; returns what it recorded."""
    subscription.advance(today, prices or {}, cause(today, SCHEDULER))
    return list(subscription.collect_events())


def running(
    *,
    start: date = TODAY,
    term: Term = Term.ONE_YEAR,
    renewal: RenewalOption = RenewalOption.NONE,
    lines: Sequence[SeatLine] | None = None,
    po: str | None = "PO-1",
) -> Subscription:
    """A subscription whose first period has been charged on its start date."""
    subscription = subscribe(start=start, term=term, renewal=renewal, lines=lines, po=po)
    advance(subscription, start)
    return subscription


def fact(event: Any) -> tuple[Any, ...]:
    """An event as the business reads it (without who/when)."""
    match event:
        case Subscription.TermCharged():
            return ("charged", event.period_start, event.period_end)
        case Subscription.Renewed():
            return ("renewed", event.term, event.term_start, event.term_end, event.renewal_option)
        case Subscription.ConvertedToMonthly():
            return ("converted to monthly", event.term_start, event.term_end)
        case Subscription.Ended():
            return ("ended", event.status, event.on)
        case Subscription.SeatsRemoved():
            return ("seats removed", event.seats, event.effective_from)
    return (type(event).__name__,)


def facts(events: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [fact(e) for e in events]


def charges(events: Sequence[Any]) -> list[Subscription.TermCharged]:
    return [e for e in events if isinstance(e, Subscription.TermCharged)]


def periods(events: Sequence[Any]) -> list[tuple[date, date]]:
    return [(c.period_start, c.period_end) for c in charges(events)]


def state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def half_up(exact: Fraction) -> int:
    return math.floor(exact + Fraction(1, 2))


# --- creating -------------------------------------------------------------------------------


def test_a_new_subscription_is_pending_until_it_is_charged() -> None:
    subscription = Subscription.create(
        subscription_id=SUB,
        company_id=ACME,
        lines=[plan(), backup(2)],
        start_date=date(2026, 4, 1),
        term=Term.THREE_YEARS,
        po_reference="  PO-1  ",
        separate_invoice=True,
        renewal_option=RenewalOption.EVERY_TIME,
        cause=cause(),
    )

    [created] = subscription.collect_events()
    assert isinstance(created, Subscription.Created)
    assert created.term_end == date(2029, 4, 1)
    assert created.po_reference == "PO-1"
    assert (created.actor, created.company_id) == (ADMIN, ACME)
    assert subscription.status == SubscriptionStatus.PENDING
    assert subscription.free_seats(PLAN) == 5
    assert subscription.free_seats(BACKUP) == 2


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one product line"),
        ([plan(), plan(2)], "one line only"),
        ([plan(0)], "at least one seat"),
        ([plan(), backup(price=Money(1500, "EUR"))], "one currency"),
    ],
    ids=["no lines", "a product twice", "no seats", "two currencies"],
)
def test_a_subscription_needs_lines_of_distinct_products_with_seats_in_one_currency(
    lines: list[SeatLine], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        subscribe(lines=lines)


def test_a_po_reference_is_at_most_100_characters() -> None:
    with pytest.raises(InvalidValue, match="100 characters"):
        subscribe(po="P" * 101)


# --- charging in advance ------------------------------------------------------------------


def test_a_prepaid_term_is_charged_in_full_on_its_start_date_and_not_before() -> None:
    subscription = subscribe(start=date(2026, 4, 1), lines=[plan(), backup(2)])

    assert advance(subscription, date(2026, 3, 31)) == []
    [charged] = advance(subscription, date(2026, 4, 1))

    assert isinstance(charged, Subscription.TermCharged)
    assert (charged.period_start, charged.period_end) == (date(2026, 4, 1), date(2027, 4, 1))
    assert [(c.product_id, c.quantity, c.amount) for c in charged.charges] == [
        (PLAN, 5, sek("2940.00")),  # 5 × 49 × 12
        (BACKUP, 2, sek("360.00")),  # 2 × 15 × 12
    ]
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_worked_example_a_3_year_term_of_5_seats_at_49_sek_is_charged_7938_sek() -> None:
    subscription = subscribe(start=date(2027, 3, 1), term=Term.THREE_YEARS)

    [charged] = advance(subscription, date(2027, 3, 1))

    [line] = charged.charges
    assert line == ChargeLine(
        kind="term",
        product_id=PLAN,
        description="Workplace Plan – 3y prepaid term 2027-03-01–2030-03-01",
        quantity=5,
        unit_price=sek("49.00"),
        months=36,
        discount=Term.THREE_YEARS.discount,
        amount=sek("7938.00"),
        period_start=date(2027, 3, 1),
        period_end=date(2030, 3, 1),
    )
    assert charged.po_reference == "PO-1"
    assert charged.separate_invoice is False


def test_a_monthly_subscription_is_charged_each_month_in_advance() -> None:
    subscription = subscribe(start=date(2026, 3, 2), term=Term.MONTHLY)

    first = advance(subscription, date(2026, 3, 2))
    assert advance(subscription, date(2026, 4, 1)) == []
    second = advance(subscription, date(2026, 4, 2))

    assert periods(first) == [(date(2026, 3, 2), date(2026, 4, 2))]
    assert periods(second) == [(date(2026, 4, 2), date(2026, 5, 2))]
    assert [c.charges[0].amount for c in charges(first + second)] == [sek("245.00")] * 2
    assert charges(second)[0].charges[0].kind == "monthly"


def test_a_backdated_one_year_start_is_charged_once() -> None:
    subscription = subscribe(start=date(2025, 6, 1), term=Term.ONE_YEAR)

    recorded = advance(subscription, TODAY)

    assert facts(recorded) == [("charged", date(2025, 6, 1), date(2026, 6, 1))]
    assert advance(subscription, TODAY) == []
    assert advance(subscription, date(2026, 5, 31)) == []


def test_a_backdated_monthly_start_charges_each_past_month_once_and_the_current_month() -> None:
    subscription = subscribe(start=date(2026, 1, 15), term=Term.MONTHLY)

    recorded = advance(subscription, TODAY)  # 2 March

    assert periods(recorded) == [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 2, 15), date(2026, 3, 15)),  # the month in progress
    ]
    assert advance(subscription, TODAY) == []


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 28)).filter(
        lambda d: d.day <= 28
    ),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=27),
)
def test_a_backdated_monthly_start_charges_every_month_up_to_today_exactly_once(
    start: date, months_ago: int, days_into_month: int
) -> None:
    today = add_months(start, months_ago) + timedelta(days=days_into_month)
    subscription = subscribe(start=start, term=Term.MONTHLY)

    recorded = advance(subscription, today)
    again = advance(subscription, today)

    charged = periods(recorded)
    assert charged == [
        (add_months(start, k), add_months(start, k + 1)) for k in range(len(charged))
    ]
    assert charged[-1][0] <= today < charged[-1][1]
    assert again == []


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.sampled_from(Term),
    st.sampled_from(RenewalOption),
    st.integers(min_value=-40, max_value=4000),
)
def test_advancing_twice_on_the_same_day_records_nothing_the_second_time(
    start: date, term: Term, renewal: RenewalOption, days_after_start: int
) -> None:
    today = start + timedelta(days=days_after_start)
    subscription = subscribe(start=start, term=term, renewal=renewal)
    advance(subscription, today)
    version = subscription.version

    assert advance(subscription, today) == []
    assert subscription.version == version


# --- month ends ---------------------------------------------------------------------------


def test_a_one_year_term_starting_on_29_february_ends_on_28_february() -> None:
    subscription = subscribe(start=date(2024, 2, 29), term=Term.ONE_YEAR)

    recorded = advance(subscription, date(2024, 2, 29))

    assert subscription.term_end == date(2025, 2, 28)
    assert periods(recorded) == [(date(2024, 2, 29), date(2025, 2, 28))]
    assert facts(advance(subscription, date(2025, 2, 28))) == [
        ("ended", SubscriptionStatus.EXPIRED, date(2025, 2, 28))
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            date(2024, 1, 31),
            [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30),
             date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31)],
        ),
        (
            date(2025, 1, 31),
            [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
             date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31)],
        ),
    ],
    ids=["leap year", "common year"],
)  # fmt: skip
def test_monthly_periods_fall_on_the_anniversary_of_the_start_date_clamped_to_month_end(
    start: date, expected: list[date]
) -> None:
    """Each period starts on add_months(start date, k), not one month after the last one:
    after a short February the periods return to the 31st."""
    subscription = subscribe(start=start, term=Term.MONTHLY)

    recorded = advance(subscription, expected[-1] - timedelta(days=1))

    assert periods(recorded) == list(pairwise(expected))


def test_after_converting_to_monthly_the_months_fall_on_the_anniversary_of_the_start() -> None:
    subscription = running(
        start=date(2024, 1, 31), term=Term.ONE_YEAR, renewal=RenewalOption.TO_MONTHLY
    )

    recorded = advance(subscription, date(2025, 4, 29))

    assert periods(recorded) == [
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2025, 2, 28), date(2025, 3, 31)),
        (date(2025, 3, 31), date(2025, 4, 30)),
    ]


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)).filter(
        lambda d: d.day <= 28
    ),
    st.integers(min_value=1, max_value=40),
)
def test_monthly_periods_are_contiguous_and_start_on_the_start_dates_day(
    start: date, months: int
) -> None:
    subscription = subscribe(start=start, term=Term.MONTHLY)

    recorded = advance(subscription, add_months(start, months) - timedelta(days=1))

    assert periods(recorded) == [
        (add_months(start, k), add_months(start, k + 1)) for k in range(months)
    ]


# --- renewals -----------------------------------------------------------------------------


def test_renewal_none_expires_at_term_end() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.NONE)

    assert advance(subscription, date(2027, 3, 1)) == []
    ended = advance(subscription, date(2027, 3, 2))

    assert facts(ended) == [("ended", SubscriptionStatus.EXPIRED, date(2027, 3, 2))]
    assert subscription.status == SubscriptionStatus.EXPIRED
    assert advance(subscription, date(2031, 1, 1)) == []


def test_renewal_once_renews_exactly_once_then_expires() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.ONCE)

    recorded = advance(subscription, date(2030, 6, 1))  # three term ends have passed

    assert facts(recorded) == [
        ("renewed", Term.ONE_YEAR, date(2027, 3, 2), date(2028, 3, 2), RenewalOption.NONE),
        ("charged", date(2027, 3, 2), date(2028, 3, 2)),
        ("ended", SubscriptionStatus.EXPIRED, date(2028, 3, 2)),
    ]
    assert subscription.renewal_option == RenewalOption.NONE


def test_renewal_every_time_renews_each_term_at_the_list_price_then_in_force() -> None:
    subscription = running(start=TODAY, term=Term.THREE_YEARS, renewal=RenewalOption.EVERY_TIME)

    first = advance(subscription, date(2029, 3, 2), {PLAN: sek("49.00")})
    second = advance(subscription, date(2032, 3, 2), {PLAN: sek("55.00")})
    third = advance(subscription, date(2035, 3, 2), {PLAN: sek("55.00")})

    option = RenewalOption.EVERY_TIME
    assert facts(first + second + third) == [
        ("renewed", Term.THREE_YEARS, date(2029, 3, 2), date(2032, 3, 2), option),
        ("charged", date(2029, 3, 2), date(2032, 3, 2)),
        ("renewed", Term.THREE_YEARS, date(2032, 3, 2), date(2035, 3, 2), option),
        ("charged", date(2032, 3, 2), date(2035, 3, 2)),
        ("renewed", Term.THREE_YEARS, date(2035, 3, 2), date(2038, 3, 2), option),
        ("charged", date(2035, 3, 2), date(2038, 3, 2)),
    ]
    amounts = [c.charges[0].amount for c in charges(first + second + third)]
    assert amounts == [sek("7938.00"), sek("8910.00"), sek("8910.00")]  # 5 × 55 × 36 × 0.9


def test_renewal_to_monthly_converts_at_term_end_and_then_charges_each_month() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.TO_MONTHLY)

    recorded = advance(subscription, date(2027, 5, 2), {PLAN: sek("52.00")})

    assert facts(recorded) == [
        ("converted to monthly", date(2027, 3, 2), date(2027, 4, 2)),
        ("charged", date(2027, 3, 2), date(2027, 4, 2)),
        ("renewed", Term.MONTHLY, date(2027, 4, 2), date(2027, 5, 2), RenewalOption.TO_MONTHLY),
        ("charged", date(2027, 4, 2), date(2027, 5, 2)),
        ("renewed", Term.MONTHLY, date(2027, 5, 2), date(2027, 6, 2), RenewalOption.TO_MONTHLY),
        ("charged", date(2027, 5, 2), date(2027, 6, 2)),
    ]
    assert [c.charges[0].amount for c in charges(recorded)] == [sek("260.00")] * 3  # 5 × 52
    assert {c.charges[0].kind for c in charges(recorded)} == {"monthly"}
    assert subscription.term == Term.MONTHLY


@pytest.mark.parametrize("renewal", list(RenewalOption))
def test_a_monthly_subscription_continues_month_by_month_whatever_its_renewal_option(
    renewal: RenewalOption,
) -> None:
    subscription = running(start=TODAY, term=Term.MONTHLY, renewal=renewal)

    recorded = advance(subscription, date(2026, 6, 2))

    assert periods(recorded) == [
        (date(2026, 4, 2), date(2026, 5, 2)),
        (date(2026, 5, 2), date(2026, 6, 2)),
        (date(2026, 6, 2), date(2026, 7, 2)),
    ]
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_a_monthly_subscription_keeps_the_price_it_was_sold_at() -> None:
    subscription = running(start=TODAY, term=Term.MONTHLY)

    recorded = advance(subscription, date(2026, 4, 2), {PLAN: sek("99.00")})

    assert charges(recorded)[0].charges[0].unit_price == sek("49.00")


def expected_renewal_facts(
    start: date, term: Term, renewal: RenewalOption, until: date
) -> list[tuple[Any, ...]]:
    """What the rules say happens between `start` and `until` (start days ≤ 28)."""
    expected: list[tuple[Any, ...]] = []
    current, option, term_start = term, renewal, start
    while term_start <= until:
        end = add_months(term_start, MONTHS[current])
        expected.append(("charged", term_start, end))
        if end > until:
            break
        if current == Term.MONTHLY:
            expected.append(("renewed", Term.MONTHLY, end, add_months(end, 1), option))
        elif option == RenewalOption.NONE:
            expected.append(("ended", SubscriptionStatus.EXPIRED, end))
            break
        elif option == RenewalOption.TO_MONTHLY:
            expected.append(("converted to monthly", end, add_months(end, 1)))
            current = Term.MONTHLY
        else:
            option = RenewalOption.NONE if option == RenewalOption.ONCE else option
            expected.append(("renewed", current, end, add_months(end, MONTHS[current]), option))
        term_start = end
    return expected


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)).filter(
        lambda d: d.day <= 28
    ),
    st.sampled_from(PREPAID),
    st.sampled_from(RenewalOption),
    st.lists(st.floats(min_value=0, max_value=1), max_size=8),
)
def test_over_four_term_ends_every_renewal_option_follows_its_rule_however_often_time_moves(
    start: date, term: Term, renewal: RenewalOption, steps: list[float]
) -> None:
    until = add_months(start, 4 * MONTHS[term])
    span = (until - start).days
    days = sorted({start + timedelta(days=round(f * span)) for f in steps} | {until})
    subscription = subscribe(start=start, term=term, renewal=renewal)

    recorded = [event for day in days for event in advance(subscription, day)]

    assert facts(recorded) == expected_renewal_facts(start, term, renewal, until)
    renewals = [f for f in facts(recorded) if f[0] == "renewed"]
    if renewal == RenewalOption.ONCE:
        assert len(renewals) == 1
    if renewal == RenewalOption.EVERY_TIME:
        assert len(renewals) == 4


# --- cancelling ---------------------------------------------------------------------------


def test_a_cancelled_subscription_ends_at_its_term_end_whatever_its_renewal_option() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.EVERY_TIME)

    subscription.cancel_at_end(cause=cause(date(2026, 9, 1)))
    [scheduled] = subscription.collect_events()
    recorded = advance(subscription, date(2027, 3, 2))

    assert isinstance(scheduled, Subscription.CancellationScheduled)
    assert scheduled.effective_from == date(2027, 3, 2)
    assert facts(recorded) == [("ended", SubscriptionStatus.CANCELLED, date(2027, 3, 2))]
    assert subscription.status == SubscriptionStatus.CANCELLED


def test_a_cancelled_monthly_subscription_ends_at_the_end_of_the_month_in_progress() -> None:
    subscription = running(start=TODAY, term=Term.MONTHLY)
    advance(subscription, date(2026, 4, 10))

    subscription.cancel_at_end(cause=cause(date(2026, 4, 10)))
    subscription.collect_events()
    recorded = advance(subscription, date(2026, 6, 1))

    assert facts(recorded) == [("ended", SubscriptionStatus.CANCELLED, date(2026, 5, 2))]


def test_a_subscription_is_cancelled_once() -> None:
    subscription = running()
    subscription.cancel_at_end(cause=cause())

    with pytest.raises(RuleViolation, match="already cancelled"):
        subscription.cancel_at_end(cause=cause())


def an_ended_monthly_subscription() -> Subscription:
    subscription = running(start=TODAY, term=Term.MONTHLY, lines=[plan(3)])
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.cancel_at_end(cause=cause())
    subscription.collect_events()
    advance(subscription, date(2026, 4, 2))
    assert subscription.is_ended
    return subscription


ENDED_REFUSES: dict[str, Callable[[Subscription], None]] = {
    "add seats": lambda s: s.add_seats(
        PLAN, 1, unit_price=sek("49.00"), today=date(2026, 4, 3), cause=cause()
    ),
    "remove seats": lambda s: s.remove_seats(PLAN, 1, cause=cause()),
    "change renewal": lambda s: s.change_renewal_option(RenewalOption.ONCE, cause=cause()),
    "cancel": lambda s: s.cancel_at_end(cause=cause()),
    "assign licence": lambda s: s.assign_licence(BOB, PLAN, cause=cause()),
    "unassign licence": lambda s: s.unassign_licence(ANN, PLAN, cause=cause()),
    "change PO reference": lambda s: s.change_po_reference("PO-2", cause=cause()),
}


@pytest.mark.parametrize("change", ENDED_REFUSES.values(), ids=ENDED_REFUSES.keys())
def test_an_ended_subscription_refuses_changes(change: Callable[[Subscription], None]) -> None:
    subscription = an_ended_monthly_subscription()

    with pytest.raises(RuleViolation):
        change(subscription)

    assert subscription.collect_events() == []


def test_an_ended_subscription_releases_its_licences() -> None:
    subscription = an_ended_monthly_subscription()

    assert subscription.holders == {}
    assert subscription.products_held_by(ANN) == []


# --- adding seats -------------------------------------------------------------------------


def test_worked_example_4_seats_added_with_500_of_1096_days_left_cost_2897_08_sek() -> None:
    subscription = running(start=date(2027, 3, 1), term=Term.THREE_YEARS)

    subscription.add_seats(
        PLAN, 4, unit_price=sek("49.00"), today=date(2028, 10, 17), cause=cause()
    )

    [added] = subscription.collect_events()
    assert isinstance(added, Subscription.SeatsAdded)
    assert (added.days_remaining, added.days_in_term) == (500, 1096)
    assert added.charge == ChargeLine(
        kind="seats",
        product_id=PLAN,
        description="Workplace Plan – 4 added seat(s), 500/1096 days of 2027-03-01–2030-03-01",
        quantity=4,
        unit_price=sek("49.00"),
        months=36,
        discount=Term.THREE_YEARS.discount,
        amount=sek("2897.08"),
        period_start=date(2028, 10, 17),
        period_end=date(2030, 3, 1),
    )
    assert (added.po_reference, added.separate_invoice) == ("PO-1", False)
    assert subscription.line(PLAN).seats == 9
    assert subscription.term_end == date(2030, 3, 1)  # billing dates do not change


terms_and_starts = st.tuples(
    st.sampled_from(Term), st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
)
unit_prices = st.builds(Money, st.integers(min_value=0, max_value=1_000_000), st.just("SEK"))


@given(terms_and_starts, unit_prices, st.integers(min_value=1, max_value=500))
def test_seats_added_on_the_first_day_of_a_term_cost_the_full_term_price(
    term_and_start: tuple[Term, date], price: Money, seats: int
) -> None:
    term, start = term_and_start
    subscription = running(start=start, term=term)

    subscription.add_seats(PLAN, seats, unit_price=price, today=start, cause=cause())

    [added] = subscription.collect_events()
    assert added.charge.amount == term_price(price, seats, term)
    assert added.days_remaining == added.days_in_term


@given(terms_and_starts, unit_prices, st.integers(min_value=1, max_value=500))
def test_seats_added_on_the_last_day_of_a_term_cost_one_days_worth(
    term_and_start: tuple[Term, date], price: Money, seats: int
) -> None:
    term, start = term_and_start
    subscription = running(start=start, term=term)
    end = term_end(start, term)
    days_in_term = (end - start).days

    subscription.add_seats(
        PLAN, seats, unit_price=price, today=end - timedelta(days=1), cause=cause()
    )

    [added] = subscription.collect_events()
    full = Fraction(price.minor * seats * MONTHS[term]) * (1 - Fraction(term.discount))
    assert added.charge.amount == Money(half_up(full / days_in_term), "SEK")
    assert (added.days_remaining, added.days_in_term) == (1, days_in_term)


def test_seats_added_during_a_renewed_term_are_prorated_over_the_renewed_term() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.EVERY_TIME)
    advance(subscription, date(2027, 3, 2))  # renewed 2027-03-02 – 2028-03-02 (366 days)

    subscription.add_seats(PLAN, 1, unit_price=sek("49.00"), today=date(2027, 9, 2), cause=cause())

    [added] = subscription.collect_events()
    assert (added.days_remaining, added.days_in_term) == (182, 366)
    assert added.charge.amount == Money(half_up(Fraction(4900 * 12 * 182, 366)), "SEK")


def test_seats_added_to_a_monthly_subscription_cost_the_rest_of_the_month() -> None:
    subscription = running(start=date(2026, 3, 1), term=Term.MONTHLY)

    subscription.add_seats(PLAN, 2, unit_price=sek("49.00"), today=date(2026, 3, 17), cause=cause())

    [added] = subscription.collect_events()
    assert (added.days_remaining, added.days_in_term) == (15, 31)
    assert added.charge.amount == sek("47.42")  # 2 × 49 × 15 / 31 = 47.419…
    assert added.charge.kind == "seats"


def test_seats_added_before_the_first_charge_are_covered_by_the_term_charge() -> None:
    subscription = subscribe(start=date(2026, 4, 1))

    subscription.add_seats(PLAN, 4, unit_price=sek("49.00"), today=TODAY, cause=cause())
    [added] = subscription.collect_events()
    [charged] = advance(subscription, date(2026, 4, 1))

    assert added.charge is None
    assert added.days_remaining == 0
    assert (charged.charges[0].quantity, charged.charges[0].amount) == (9, sek("5292.00"))


def test_seats_added_are_part_of_every_later_term() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.EVERY_TIME)
    subscription.add_seats(PLAN, 1, unit_price=sek("49.00"), today=TODAY, cause=cause())
    subscription.collect_events()

    recorded = advance(subscription, date(2027, 3, 2))

    assert charges(recorded)[0].charges[0].quantity == 6


@pytest.mark.parametrize(
    ("product_id", "seats", "price", "error"),
    [
        (PLAN, 0, sek("49.00"), InvalidValue),
        (PLAN, -2, sek("49.00"), InvalidValue),
        (PLAN, 1, Money(490, "EUR"), InvalidValue),
        (UNKNOWN, 1, sek("49.00"), NotFound),
    ],
    ids=["no seat", "negative", "other currency", "product not on it"],
)
def test_adding_seats_needs_a_positive_number_of_a_product_on_it_in_its_currency(
    product_id: UUID, seats: int, price: Money, error: type[Exception]
) -> None:
    subscription = running()

    with pytest.raises(error):
        subscription.add_seats(product_id, seats, unit_price=price, today=TODAY, cause=cause())

    assert subscription.collect_events() == []


# --- removing seats -----------------------------------------------------------------------


@pytest.mark.parametrize("term", PREPAID)
def test_seats_of_a_prepaid_term_cannot_be_removed(term: Term) -> None:
    subscription = running(term=term)

    with pytest.raises(RuleViolation, match="prepaid"):
        subscription.remove_seats(PLAN, 1, cause=cause())

    assert subscription.collect_events() == []
    assert subscription.line(PLAN).seats == 5


def test_removing_monthly_seats_takes_effect_at_the_next_period() -> None:
    subscription = running(start=date(2026, 3, 10), term=Term.MONTHLY)

    subscription.remove_seats(PLAN, 2, cause=cause(date(2026, 3, 20)))
    [scheduled] = subscription.collect_events()
    assert advance(subscription, date(2026, 4, 9)) == []
    recorded = advance(subscription, date(2026, 4, 10))

    assert isinstance(scheduled, Subscription.SeatRemovalScheduled)
    assert (scheduled.seats, scheduled.effective_from) == (2, date(2026, 4, 10))
    assert facts(recorded) == [
        ("renewed", Term.MONTHLY, date(2026, 4, 10), date(2026, 5, 10), RenewalOption.NONE),
        ("seats removed", 2, date(2026, 4, 10)),  # just before that period's charge
        ("charged", date(2026, 4, 10), date(2026, 5, 10)),
    ]
    [line] = charges(recorded)[0].charges
    assert (line.quantity, line.amount) == (3, sek("147.00"))
    assert subscription.line(PLAN).seats == 3


def test_removing_seats_before_the_first_charge_takes_effect_from_the_start() -> None:
    subscription = subscribe(start=date(2026, 4, 1), term=Term.MONTHLY)

    subscription.remove_seats(PLAN, 1, cause=cause())
    [scheduled] = subscription.collect_events()
    recorded = advance(subscription, date(2026, 4, 1))

    assert scheduled.effective_from == date(2026, 4, 1)
    assert facts(recorded)[0] == ("seats removed", 1, date(2026, 4, 1))
    assert charges(recorded)[0].charges[0].quantity == 4


def test_seats_cannot_be_removed_below_the_seats_assigned() -> None:
    subscription = running(term=Term.MONTHLY, lines=[plan(3)])
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.assign_licence(BOB, PLAN, cause=cause())
    subscription.collect_events()

    with pytest.raises(RuleViolation, match="Only 1 seat"):
        subscription.remove_seats(PLAN, 2, cause=cause())

    assert subscription.collect_events() == []
    subscription.remove_seats(PLAN, 1, cause=cause())  # the one free seat may go


def test_seats_cannot_be_removed_twice_over() -> None:
    subscription = running(term=Term.MONTHLY, lines=[plan(3)])
    subscription.remove_seats(PLAN, 2, cause=cause())

    with pytest.raises(RuleViolation):
        subscription.remove_seats(PLAN, 2, cause=cause())


def test_a_seat_scheduled_for_removal_cannot_be_assigned() -> None:
    subscription = running(term=Term.MONTHLY, lines=[plan(2)])
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.remove_seats(PLAN, 1, cause=cause())
    subscription.collect_events()

    assert subscription.free_seats(PLAN) == 0
    with pytest.raises(RuleViolation, match="No free seat"):
        subscription.assign_licence(BOB, PLAN, cause=cause())


@pytest.mark.parametrize("seats", [0, -1])
def test_removing_needs_a_positive_number_of_seats(seats: int) -> None:
    subscription = running(term=Term.MONTHLY)

    with pytest.raises(InvalidValue, match="at least one seat"):
        subscription.remove_seats(PLAN, seats, cause=cause())


# --- PO references --------------------------------------------------------------------------


def test_a_po_change_applies_to_the_next_charge_and_never_to_an_earlier_one() -> None:
    subscription = subscribe(start=TODAY, term=Term.MONTHLY, po="PO-1")
    [first] = advance(subscription, TODAY)
    subscription.add_seats(PLAN, 1, unit_price=sek("49.00"), today=TODAY, cause=cause())
    [added_before] = subscription.collect_events()

    subscription.change_po_reference(" PO-2 ", cause=cause())
    [changed] = subscription.collect_events()
    subscription.add_seats(PLAN, 1, unit_price=sek("49.00"), today=TODAY, cause=cause())
    [added_after] = subscription.collect_events()
    [next_charge] = charges(advance(subscription, date(2026, 4, 2)))

    assert changed.po_reference == "PO-2"
    assert (first.po_reference, added_before.po_reference) == ("PO-1", "PO-1")
    assert (added_after.po_reference, next_charge.po_reference) == ("PO-2", "PO-2")


def test_a_po_reference_can_be_cleared_and_an_unchanged_one_records_nothing() -> None:
    subscription = running(po="PO-1")

    subscription.change_po_reference("PO-1", cause=cause())
    assert subscription.collect_events() == []
    subscription.change_po_reference("   ", cause=cause())

    [cleared] = subscription.collect_events()
    assert cleared.po_reference is None


def test_a_renewal_option_change_applies_at_the_next_term_end() -> None:
    subscription = running(start=TODAY, renewal=RenewalOption.NONE)

    subscription.change_renewal_option(RenewalOption.ONCE, cause=cause())
    subscription.change_renewal_option(RenewalOption.ONCE, cause=cause())  # no change
    [changed] = subscription.collect_events()
    recorded = advance(subscription, date(2027, 3, 2))

    assert changed.renewal_option == RenewalOption.ONCE
    assert fact(recorded[0])[0] == "renewed"


# --- licences -----------------------------------------------------------------------------


def test_assigning_a_licence_consumes_a_seat_and_unassigning_frees_it() -> None:
    subscription = running(lines=[plan(2), backup(1)])

    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.assign_licence(ANN, BACKUP, cause=cause())
    assert (subscription.free_seats(PLAN), subscription.free_seats(BACKUP)) == (1, 0)
    assert set(subscription.products_held_by(ANN)) == {PLAN, BACKUP}

    subscription.unassign_licence(ANN, PLAN, cause=cause())

    assert subscription.free_seats(PLAN) == 2
    assert subscription.products_held_by(ANN) == [BACKUP]
    assigned, _, unassigned = subscription.collect_events()
    assert isinstance(assigned, Subscription.LicenceAssigned)
    assert (assigned.member_id, assigned.product_id) == (ANN, PLAN)
    assert isinstance(unassigned, Subscription.LicenceUnassigned)


def test_no_licence_is_assigned_beyond_the_seats() -> None:
    subscription = running(lines=[plan(1)])
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.collect_events()

    with pytest.raises(RuleViolation, match="No free seat"):
        subscription.assign_licence(BOB, PLAN, cause=cause())

    assert subscription.collect_events() == []


def test_a_member_holds_one_licence_of_a_product_per_subscription() -> None:
    subscription = running(lines=[plan(3)])
    subscription.assign_licence(ANN, PLAN, cause=cause())

    with pytest.raises(RuleViolation, match="already holds"):
        subscription.assign_licence(ANN, PLAN, cause=cause())


def test_only_a_holder_can_be_unassigned() -> None:
    subscription = running()

    with pytest.raises(RuleViolation, match="holds no such licence"):
        subscription.unassign_licence(CAT, PLAN, cause=cause())


def test_a_licence_is_of_a_product_on_the_subscription() -> None:
    subscription = running()

    with pytest.raises(NotFound):
        subscription.assign_licence(ANN, UNKNOWN, cause=cause())


def test_seats_added_make_room_for_more_licences() -> None:
    subscription = running(lines=[plan(1)])
    subscription.assign_licence(ANN, PLAN, cause=cause())

    subscription.add_seats(PLAN, 1, unit_price=sek("49.00"), today=TODAY, cause=cause())
    subscription.assign_licence(BOB, PLAN, cause=cause())

    assert subscription.assigned(PLAN) == 2


# --- replay ---------------------------------------------------------------------------------


def test_a_subscription_rebuilt_from_its_events_has_the_same_state() -> None:
    subscription = Subscription.create(
        subscription_id=SUB,
        company_id=ACME,
        lines=[plan(3), backup(2)],
        start_date=date(2026, 1, 15),
        term=Term.MONTHLY,
        po_reference="PO-1",
        separate_invoice=True,
        renewal_option=RenewalOption.TO_MONTHLY,
        cause=cause(),
    )
    subscription.advance(TODAY, {}, cause())
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.add_seats(BACKUP, 2, unit_price=sek("15.00"), today=TODAY, cause=cause())
    subscription.remove_seats(PLAN, 1, cause=cause())
    subscription.change_po_reference("PO-2", cause=cause())
    subscription.advance(date(2026, 5, 1), {}, cause())
    events = subscription.collect_events()

    rebuilt: Any = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert state(rebuilt) == state(subscription)
