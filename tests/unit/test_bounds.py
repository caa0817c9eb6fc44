"""The domain's input bounds (ADR 0014): money, dates, seats, rates, and the catch-up that
keeps a long backdated start to a bounded number of events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model import bounds
from domain.model.actor import Actor, Role
from domain.model.bounds import EARLIEST_DATE, LATEST_DATE, MAX_MINOR, MAX_SEATS
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from domain.model.money import CURRENCY_EXPONENTS, Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import Product, ProductKind
from domain.model.subscription import SeatLine, Subscription
from domain.model.subscription_catch_up import CATCH_UP_AFTER
from domain.model.time import add_months

CAUSE = Cause(Actor("tok-admin", Role.ADMIN), datetime(2026, 3, 2, 9, tzinfo=UTC), "req-1")
TODAY = date(2026, 3, 2)
currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))

# --- money ----------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**20), max_value=10**20), currencies)
def test_money_holds_exactly_the_amounts_within_the_bound(minor: int, currency: str) -> None:
    if abs(minor) <= MAX_MINOR:
        assert Money(minor, currency).minor == minor
    else:
        with pytest.raises(InvalidValue, match="too large"):
            Money(minor, currency)


def test_the_bound_leaves_room_for_nine_thousand_amounts_in_a_64_bit_column() -> None:
    assert 9_000 * MAX_MINOR < 2**63


@pytest.mark.parametrize(
    ("amount", "currency", "allowed"),
    [
        ("10000000000000.00", "SEK", True),
        ("-10000000000000.00", "SEK", True),
        ("10000000000000.01", "SEK", False),
        ("1000000000000000", "JPY", True),
        ("1000000000000001", "JPY", False),
        ("1000000000000.000", "BHD", True),
        ("10000000000000000000000000", "SEK", False),
        ("1E+999999999", "SEK", False),
    ],
)
def test_parsed_amounts_are_bounded_with_a_message_naming_the_largest(
    amount: str, currency: str, allowed: bool
) -> None:
    if allowed:
        assert abs(Money.of(amount, currency).minor) == MAX_MINOR
        return
    with pytest.raises(InvalidValue, match="too large") as refused:
        Money.of(amount, currency)
    assert f"{Money(MAX_MINOR, currency).amount:f} {currency}" in str(refused.value)


def test_arithmetic_past_the_bound_is_refused() -> None:
    largest = Money(MAX_MINOR, "SEK")
    with pytest.raises(InvalidValue, match="too large"):
        largest + Money(1, "SEK")
    with pytest.raises(InvalidValue, match="too large"):
        largest.times(2)
    assert (largest - Money(1, "SEK")).minor == MAX_MINOR - 1


def test_an_amount_read_back_from_the_store_is_not_checked_again() -> None:
    """History written before the bound must stay loadable (ADR 0008, 0014)."""
    stored = Money.from_dict({"minor": 10**25, "currency": "SEK"})
    assert stored.minor == 10**25
    with pytest.raises(InvalidValue):
        Money.from_dict({"minor": 10**25, "currency": "XYZ"})


@pytest.mark.parametrize("minor", [MAX_MINOR + 1, -1])
def test_product_prices_are_bounded(minor: int) -> None:
    with pytest.raises(InvalidValue, match="SEK price"):
        Product.add(
            product_id=UUID(int=1),
            code="P",
            name="P",
            kind=ProductKind.OPTION,
            prices={"SEK": minor},
            cause=CAUSE,
        )


# --- dates ----------------------------------------------------------------------------------


@given(st.dates())
def test_a_business_date_is_accepted_exactly_within_the_window(day: date) -> None:
    if EARLIEST_DATE <= day <= LATEST_DATE:
        assert bounds.business_date(day, "The day") == day
    else:
        with pytest.raises(InvalidValue, match=r"The day must lie within 2000-01-01\.\.2100-12-31"):
            bounds.business_date(day, "The day")


def test_an_instant_is_bounded_by_its_utc_date_and_needs_an_offset() -> None:
    assert bounds.instant(datetime(2000, 1, 1, tzinfo=UTC), "from")
    east = timezone(timedelta(hours=14))
    with pytest.raises(InvalidValue, match="UTC"):
        bounds.instant(datetime(2000, 1, 1, 13, tzinfo=east), "from")  # 1999-12-31 in UTC
    with pytest.raises(InvalidValue, match="UTC"):
        bounds.instant(datetime(1, 1, 1, tzinfo=east), "from")
    with pytest.raises(InvalidValue, match="offset"):
        bounds.instant(datetime(2026, 1, 1), "from")
    with pytest.raises(InvalidValue, match="date"):
        bounds.business_date(datetime(2026, 1, 1, tzinfo=UTC), "The day")


def test_a_start_may_lie_at_most_five_years_back() -> None:
    assert bounds.backdated_start(date(2021, 3, 2), TODAY) == date(2021, 3, 2)
    with pytest.raises(InvalidValue, match="at most 5 years"):
        bounds.backdated_start(date(2021, 3, 1), TODAY)
    assert bounds.backdated_start(date(2100, 12, 31), TODAY)


# --- counts and rates -----------------------------------------------------------------------


@given(st.integers(min_value=-5, max_value=MAX_SEATS + 5))
def test_seats_lie_within_one_and_the_bound(seats: int) -> None:
    if 1 <= seats <= MAX_SEATS:
        assert bounds.seats(seats, "Seats") == seats
    else:
        with pytest.raises(InvalidValue, match="at most 100,000"):
            bounds.seats(seats, "Seats")


@pytest.mark.parametrize("value", [True, 2.0, "3"])
def test_seats_are_ints(value: Any) -> None:
    with pytest.raises(InvalidValue):
        bounds.seats(value, "Seats")


@pytest.mark.parametrize(
    ("rate", "allowed"),
    [
        ("0", True),
        ("25", True),
        ("12.345", True),
        ("100", True),
        ("12.3456", False),
        ("1E-999999", False),
        ("100.001", False),
        ("-1", False),
        ("NaN", False),
    ],
)
def test_a_vat_rate_is_a_percentage_with_at_most_three_decimals(rate: str, allowed: bool) -> None:
    if allowed:
        assert bounds.vat_rate(Decimal(rate)) == Decimal(rate)
    else:
        with pytest.raises(InvalidValue, match="VAT rate"):
            bounds.vat_rate(Decimal(rate))


def test_a_line_holds_at_most_the_bound_in_seats_however_many_requests() -> None:
    sub = _subscription(date(2026, 3, 2), Term.MONTHLY, RenewalOption.EVERY_TIME, seats=MAX_SEATS)
    with pytest.raises(InvalidValue, match="with those added"):
        sub.add_seats(PLAN, 1, unit_price=Money(4900, "SEK"), today=TODAY, cause=CAUSE)


# --- the catch-up ---------------------------------------------------------------------------

PLAN, BACKUP = UUID(int=0x91A0), UUID(int=0xBAC)


def _subscription(start: date, term: Term, option: RenewalOption, seats: int = 3) -> Subscription:
    return Subscription.create(
        subscription_id=UUID(int=0x5B),
        company_id=UUID(int=0xAC),
        lines=[
            SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, seats, Money(4900, "SEK")),
            SeatLine(BACKUP, "Backup", ProductKind.OPTION, 2, Money(1333, "SEK")),
        ],
        start_date=start,
        term=term,
        po_reference="PO-1",
        separate_invoice=False,
        renewal_option=option,
        cause=CAUSE,
    )


def _charged(events: list[Any]) -> dict[UUID, tuple[int, int]]:
    """Per product: months charged and their amount, over every charge the events carry."""
    totals: dict[UUID, tuple[int, int]] = {}
    for event in events:
        for charge in getattr(event, "charges", []):
            months, minor = totals.get(charge.product_id, (0, 0))
            totals[charge.product_id] = (months + charge.months, minor + charge.amount.minor)
    return totals


def _state(sub: Subscription) -> tuple[Any, ...]:
    return (
        sub.term_code,
        sub.term_start,
        sub.term_end,
        sub.charged_through,
        sub.months_to_term_start,
        sub.renewal_option,
        sub.status,
    )


@given(
    st.integers(min_value=0, max_value=60 * 31),  # days back: up to the five-year bound
    st.sampled_from(Term),
    st.sampled_from(RenewalOption),
)
def test_a_catch_up_ends_where_charging_term_by_term_ends_and_charges_the_same(
    days_back: int, term: Term, option: RenewalOption
) -> None:
    start = max(TODAY - timedelta(days=days_back), add_months(TODAY, -60))
    one_by_one = _subscription(start, term, option)
    one_by_one.advance(TODAY, {}, CAUSE)
    caught_up = _subscription(start, term, option)
    caught_up.charge_past_terms(TODAY, CAUSE)
    caught_up.advance(TODAY, {}, CAUSE)

    assert _state(caught_up) == _state(one_by_one)
    expected, recorded = one_by_one.collect_events(), caught_up.collect_events()
    assert _charged(recorded) == _charged(expected)
    assert len(recorded) <= 2 * CATCH_UP_AFTER + 3  # created, charges and renewals, an end
    caught_up_at_all = any(isinstance(e, Subscription.PastTermsCharged) for e in recorded)
    assert caught_up_at_all == (len(recorded) < len(expected))


def test_a_five_year_backdated_monthly_start_is_one_catch_up_then_the_month_in_progress() -> None:
    sub = _subscription(date(2021, 3, 2), Term.MONTHLY, RenewalOption.EVERY_TIME)

    sub.charge_past_terms(TODAY, CAUSE)
    sub.advance(TODAY, {}, CAUSE)

    kinds = [type(e).__name__ for e in sub.collect_events()]
    assert kinds == ["Created", "PastTermsCharged", "Renewed", "TermCharged"]
    assert (sub.term_start, sub.charged_through) == (date(2026, 3, 2), date(2026, 4, 2))


def test_the_catch_up_is_only_for_a_subscription_nothing_has_charged() -> None:
    sub = _subscription(date(2021, 3, 2), Term.MONTHLY, RenewalOption.EVERY_TIME)
    sub.advance(date(2021, 3, 2), {}, CAUSE)
    version = sub.version

    sub.charge_past_terms(TODAY, CAUSE)

    assert sub.version == version
