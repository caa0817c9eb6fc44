"""Buyout valuation: standard curves, exact interpolation, floors, whole-unit half-up prices."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.errors import InvalidValue
from domain.model.money import CURRENCY_EXPONENTS, Money
from domain.model.time import add_months, completed_months
from domain.model.valuation import (
    MAX_MONTHS,
    STANDARD_CURVES,
    Curve,
    buyout_price,
    chart,
    percent_at,
    standard_curve,
)

ANCHORS = (0, 12, 24, 36, 48, 60)
TABLE = {  # SPEC §2.1: percent at the anchor months, then the floor
    "phone": ((100, 55, 35, 22, 15, 10), 10),
    "laptop": ((100, 65, 48, 35, 22, 15), 10),
    "tablet": ((100, 60, 42, 30, 20, 12), 10),
    "desktop": ((100, 60, 42, 28, 18, 10), 5),
    "monitor": ((100, 82, 64, 46, 28, 10), 10),
}
PHONE = STANDARD_CURVES["phone"]


def dec(value: str | int) -> Decimal:
    return Decimal(value)


def curve(*points: tuple[int, str | int], floor: str | int = 0) -> Curve:
    return Curve(points=tuple((m, dec(p)) for m, p in points), floor=dec(floor))


def whole(money: Money) -> bool:
    return money.minor % unit(money) == 0


def unit(money: Money) -> int:
    """Minor units per whole currency unit (100 for SEK, 1 for JPY, 1000 for BHD)."""
    return int(10 ** CURRENCY_EXPONENTS[money.currency])


# --- strategies ---------------------------------------------------------------------------

percents = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def curves(draw: st.DrawFn, *, first: Decimal | None = None) -> Curve:
    """Any valid curve: 2..8 points, gaps of 1..36 months, drops of 0..100 %, a floor."""
    start = first if first is not None else draw(percents)
    steps = draw(
        st.lists(st.tuples(st.integers(1, 36), percents), min_size=1, max_size=7),
    )
    points = [(0, start)]
    for gap, drop in steps:
        month, percent = points[-1]
        points.append((month + gap, max(Decimal(0), percent - drop)))
    floor = Decimal(draw(st.integers(min_value=0, max_value=int(start * 100)))).scaleb(-2)
    return Curve(points=tuple(points), floor=floor)


standard_curves = st.sampled_from(sorted(STANDARD_CURVES)).map(STANDARD_CURVES.__getitem__)
any_curves = st.one_of(standard_curves, curves())
ages = st.integers(min_value=0, max_value=400)
currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
costs = st.builds(Money, st.integers(min_value=0, max_value=10**12), currencies)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


# --- the worked example -------------------------------------------------------------------


def test_worked_example_a_12000_sek_phone_after_30_months_is_bought_out_for_3420_sek() -> None:
    # 35 − 13 × 6/12 = 28.5 % of 12 000 SEK.
    cost = Money.of("12000", "SEK")
    start, at = date(2024, 1, 15), date(2026, 7, 15)

    price = buyout_price(cost, PHONE, start=start, at=at)

    assert completed_months(start, at) == 30
    assert percent_at(PHONE, 30) == Fraction(57, 2)
    assert price == Money(342_000, "SEK")
    assert str(price) == "3420.00 SEK"


def test_given_the_worked_example_when_a_day_short_of_month_31_then_the_price_is_unchanged() -> (
    None
):
    start, at = date(2024, 1, 15), date(2026, 8, 14)

    price = buyout_price(Money.of("12000", "SEK"), PHONE, start=start, at=at)

    assert completed_months(start, at) == 30
    assert price == Money.of("3420", "SEK")


def test_given_the_worked_example_when_month_31_completes_then_the_price_drops() -> None:
    # 35 − 13 × 7/12 = 27.41666… % of 12 000 = 3 290 SEK exactly.
    price = buyout_price(
        Money.of("12000", "SEK"), PHONE, start=date(2024, 1, 15), at=date(2026, 8, 15)
    )

    assert price == Money.of("3290", "SEK")


# --- the standard curves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "month", "expected"),
    [
        (category, month, percent)
        for category, (percents_by_year, _) in TABLE.items()
        for month, percent in zip(ANCHORS, percents_by_year, strict=True)
    ],
)
def test_each_standard_curve_at_its_anchor_months_is_the_spec_table(
    category: str, month: int, expected: int
) -> None:
    assert percent_at(STANDARD_CURVES[category], month) == expected


@pytest.mark.parametrize(("category", "expected"), [(c, f) for c, (_, f) in TABLE.items()])
def test_each_standard_curve_has_the_spec_floor_and_anchor_points(
    category: str, expected: int
) -> None:
    curve = STANDARD_CURVES[category]

    assert curve.floor == expected
    assert curve.points == tuple(
        (month, dec(percent)) for month, percent in zip(ANCHORS, TABLE[category][0], strict=True)
    )


def test_the_standard_curves_are_exactly_the_five_categories_of_the_spec() -> None:
    assert set(STANDARD_CURVES) == set(TABLE)


@pytest.mark.parametrize("category", ["headset", "accessory", "smartwatch", ""])
def test_given_a_category_without_automatic_valuation_then_it_has_no_standard_curve(
    category: str,
) -> None:
    assert standard_curve(category) is None


@pytest.mark.parametrize("category", ["phone", "Phone", " LAPTOP ", "monitor"])
def test_a_standard_curve_is_found_by_the_category_as_devices_store_it(category: str) -> None:
    assert standard_curve(category) is STANDARD_CURVES[category.strip().lower()]


def test_given_the_standard_curves_when_someone_tries_to_change_them_then_it_is_refused() -> None:
    with pytest.raises(TypeError):
        STANDARD_CURVES["phone"] = PHONE  # type: ignore[index]


@pytest.mark.parametrize(
    ("category", "month", "expected"),
    [
        ("phone", 72, 10),  # flat after the last point, which equals the floor
        ("desktop", 72, 10),  # flat at the last point: the 5 % floor never bites
        ("laptop", 1200, 15),
        ("monitor", 6, 91),  # 100 − 18 × 6/12
    ],
)
def test_after_the_last_anchor_a_standard_curve_stays_flat(
    category: str, month: int, expected: int
) -> None:
    assert percent_at(STANDARD_CURVES[category], month) == expected


# --- interpolation and the floor ----------------------------------------------------------


def test_between_anchors_the_percent_is_exact_not_a_rounded_decimal() -> None:
    # 55 − 20 × 1/12 = 53⅓ %
    assert percent_at(PHONE, 13) == Fraction(160, 3)


def test_given_a_floor_above_later_points_then_it_takes_over_where_the_curve_drops_below_it() -> (
    None
):
    steep = curve((0, 100), (12, 20), floor=30)

    assert percent_at(steep, 6) == 60
    assert percent_at(steep, 10) == Fraction(100, 3)  # 100 − 80 × 10/12, still above
    assert percent_at(steep, 11) == 30  # 100 − 80 × 11/12 = 26.67, below the floor
    assert percent_at(steep, 12) == 30
    assert percent_at(steep, 600) == 30


@given(any_curves, ages)
def test_the_percent_never_rises_with_age(curve: Curve, age: int) -> None:
    assert percent_at(curve, age + 1) <= percent_at(curve, age)


@given(any_curves, ages)
def test_the_percent_is_never_below_the_floor_nor_outside_0_to_100(curve: Curve, age: int) -> None:
    percent = percent_at(curve, age)

    assert curve.floor <= percent <= 100


@given(any_curves)
def test_at_each_anchor_the_percent_is_the_point_or_the_floor(curve: Curve) -> None:
    for month, percent in curve.points:
        assert percent_at(curve, month) == max(percent, curve.floor)


@given(any_curves, ages)
def test_between_two_anchors_the_percent_is_their_weighted_average(curve: Curve, age: int) -> None:
    _, last_percent = curve.points[-1]
    expected = Fraction(last_percent)
    for (m0, p0), (m1, p1) in pairwise(curve.points):
        if m0 <= age <= m1:
            expected = Fraction(p0 * (m1 - age) + p1 * (age - m0)) / (m1 - m0)
            break

    assert percent_at(curve, age) == max(expected, Fraction(curve.floor))


# --- the price ----------------------------------------------------------------------------


@given(costs, any_curves, dates, dates)
def test_a_price_is_a_whole_unit_amount_never_negative_nor_above_the_cost(
    cost: Money, curve: Curve, start: date, at: date
) -> None:
    price = buyout_price(cost, curve, start=start, at=at)

    assert price.currency == cost.currency
    assert whole(price)
    assert Money.zero(cost.currency) <= price <= cost


@given(costs, any_curves, dates, dates)
def test_a_price_is_the_cost_times_the_percent_rounded_half_up_once_to_whole_units(
    cost: Money, curve: Curve, start: date, at: date
) -> None:
    exact = Fraction(cost.minor, unit(cost)) * percent_at(curve, completed_months(start, at)) / 100

    price = buyout_price(cost, curve, start=start, at=at)

    # Half-up to whole units (floor of x + ½), unless that passes the cost: then rounded down.
    half_up = math.floor(exact + Fraction(1, 2))
    assert price.minor == min(half_up, cost.minor // unit(cost)) * unit(cost)


@given(costs, any_curves, dates, st.integers(min_value=0, max_value=120))
def test_a_price_never_rises_as_the_device_ages(
    cost: Money, curve: Curve, start: date, months: int
) -> None:
    at = add_months(start, months)

    assert buyout_price(cost, curve, start=start, at=add_months(start, months + 1)) <= (
        buyout_price(cost, curve, start=start, at=at)
    )


@given(standard_curves, currencies, st.integers(min_value=0, max_value=10**9), dates)
def test_at_month_0_a_standard_curve_prices_a_whole_unit_cost_at_the_cost(
    curve: Curve, currency: str, units: int, start: date
) -> None:
    cost = Money(units * 10 ** CURRENCY_EXPONENTS[currency], currency)

    assert buyout_price(cost, curve, start=start, at=start) == cost


@given(curves(first=dec(100)), costs, dates)
def test_at_month_0_a_curve_from_100_prices_at_the_cost_in_whole_units_never_above_it(
    curve: Curve, cost: Money, start: date
) -> None:
    price = buyout_price(cost, curve, start=start, at=start)

    assert price == Money(cost.minor // unit(cost) * unit(cost), cost.currency)


def test_a_cost_with_minor_units_at_100_percent_rounds_down_rather_than_above_the_cost() -> None:
    # Half-up would give 101 SEK for 100.60 SEK: more than the company paid.
    start = date(2026, 1, 10)

    assert buyout_price(Money.of("100.60", "SEK"), PHONE, start=start, at=start) == (
        Money.of("100", "SEK")
    )
    assert buyout_price(Money.of("100.40", "SEK"), PHONE, start=start, at=start) == (
        Money.of("100", "SEK")
    )


def test_given_a_date_before_the_lease_start_then_the_device_is_priced_as_new() -> None:
    cost = Money.of("12000", "SEK")

    price = buyout_price(cost, PHONE, start=date(2026, 5, 1), at=date(2026, 4, 1))

    assert price == cost


def test_given_a_zero_cost_then_the_price_is_zero() -> None:
    price = buyout_price(Money.zero("SEK"), PHONE, start=date(2024, 1, 1), at=date(2026, 1, 1))

    assert price == Money.zero("SEK")


def test_given_a_negative_cost_then_no_price_is_computed() -> None:
    with pytest.raises(InvalidValue, match="negative"):
        buyout_price(Money(-100, "SEK"), PHONE, start=date(2024, 1, 1), at=date(2026, 1, 1))


# --- age in completed months, end-of-month clamped ----------------------------------------


@pytest.mark.parametrize(
    ("start", "at", "months", "price"),
    [
        (date(2024, 1, 31), date(2024, 2, 28), 0, "12000"),
        (date(2024, 1, 31), date(2024, 2, 29), 1, "11550"),  # 100 − 45/12 = 96.25 %
        (date(2024, 1, 31), date(2024, 3, 30), 1, "11550"),
        (date(2024, 1, 31), date(2024, 3, 31), 2, "11100"),  # 92.5 %
        (date(2023, 1, 31), date(2023, 2, 28), 1, "11550"),
        (date(2024, 2, 29), date(2025, 2, 28), 12, "6600"),  # 55 %
        (date(2024, 1, 15), date(2024, 2, 14), 0, "12000"),
    ],
)
def test_age_counts_completed_months_clamped_to_the_month_end(
    start: date, at: date, months: int, price: str
) -> None:
    assert completed_months(start, at) == months
    assert buyout_price(Money.of("12000", "SEK"), PHONE, start=start, at=at) == (
        Money.of(price, "SEK")
    )


# --- whole-unit rounding in currencies with 0 and 3 decimals ------------------------------


@pytest.mark.parametrize(
    ("cost", "months", "price"),
    [
        (Money(10, "JPY"), 24, Money(4, "JPY")),  # 3.5 → 4: halves round up
        (Money(99_999, "JPY"), 30, Money(28_500, "JPY")),  # 28 499.715
        (Money(7, "JPY"), 24, Money(2, "JPY")),  # 2.45
        (Money(10_000, "BHD"), 24, Money(4_000, "BHD")),  # 10.000 × 35 % = 3.5 → 4.000
        (Money(9_997, "BHD"), 24, Money(3_000, "BHD")),  # 3.49895 → 3.000, not 3.499
        (Money(1_234_567, "BHD"), 30, Money(352_000, "BHD")),  # 351.851595 → 352.000
        (Money(1_000, "SEK"), 24, Money(400, "SEK")),  # 10.00 × 35 % = 3.50 → 4.00, not 3.50
    ],
)
def test_a_price_rounds_half_up_to_whole_units_whatever_the_currency_decimals(
    cost: Money, months: int, price: Money
) -> None:
    start = date(2024, 1, 1)

    assert buyout_price(cost, PHONE, start=start, at=add_months(start, months)) == price


# --- the chart ----------------------------------------------------------------------------


def test_the_default_chart_shows_every_month_from_0_to_60() -> None:
    rows = chart(PHONE)

    assert [month for month, _ in rows] == list(range(61))
    assert [rows[m][1] for m in ANCHORS] == [dec(p) for p in TABLE["phone"][0]]
    assert rows[30] == (30, dec("28.50"))
    assert rows[1] == (1, dec("96.25"))


def test_the_chart_shows_a_repeating_percent_to_two_decimals() -> None:
    assert chart(PHONE, 13)[13] == (13, dec("53.33"))  # 53⅓ %
    assert chart(PHONE, 14)[14] == (14, dec("51.67"))  # 51⅔ %


@given(any_curves, st.integers(min_value=0, max_value=120))
def test_the_chart_agrees_with_the_percent_used_for_prices(curve: Curve, months: int) -> None:
    rows = chart(curve, months)

    assert len(rows) == months + 1
    for month, shown in rows:
        exact = percent_at(curve, month)
        assert abs(shown - Decimal(exact.numerator) / Decimal(exact.denominator)) <= dec("0.005")
        if (exact * 100).denominator == 1:  # representable with two decimals: shown exactly
            assert shown == exact


@given(any_curves)
def test_the_chart_shows_every_anchor_exactly(curve: Curve) -> None:
    rows = chart(curve, curve.points[-1][0])

    for month, percent in curve.points:
        assert rows[month][1] == max(percent, curve.floor)


@pytest.mark.parametrize("months", [-1, MAX_MONTHS + 1, True, 1.5])
def test_a_chart_of_a_negative_absurd_or_fractional_length_is_refused(months: object) -> None:
    with pytest.raises(InvalidValue):
        chart(PHONE, months)  # type: ignore[arg-type]


# --- curve validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "floor", "message"),
    [
        (((0, dec(100)),), dec(0), "at least two points"),
        ((), dec(0), "at least two points"),
        (((1, dec(100)), (12, dec(50))), dec(0), "starts at month 0"),
        (((0, dec(100)), (12, dec(50)), (12, dec(40))), dec(0), "strictly increase"),
        (((0, dec(100)), (24, dec(50)), (12, dec(40))), dec(0), "strictly increase"),
        (((0, dec(100)), (12, dec(50)), (24, dec(60))), dec(0), "never rises"),
        (((0, dec(101)), (12, dec(50))), dec(0), "within 0..100"),
        (((0, dec(100)), (12, dec(-1))), dec(0), "within 0..100"),
        (((0, dec(100)), (12, dec("NaN"))), dec(0), "finite Decimal"),
        (((0, dec(100)), (12, dec("Infinity"))), dec(0), "finite Decimal"),
        (((0, dec(100)), (12, 50.0)), dec(0), "finite Decimal"),
        (((0, dec(100)), (12, 50)), dec(0), "finite Decimal"),
        (((0, dec(100)), (12, dec("28.125"))), dec(0), "two decimals"),
        (((0, dec(100)), (12, dec("1E-999999999"))), dec(0), "two decimals"),
        (((0, dec(100)), (12.0, dec(50))), dec(0), "whole number of months"),
        (((0, dec(100)), (True, dec(50))), dec(0), "whole number of months"),
        (((0, dec(100)), (-12, dec(50))), dec(0), "negative"),
        (((0, dec(100)), (MAX_MONTHS + 1, dec(50))), dec(0), "at most 1200"),
        (((0, dec(100)), (12, dec(50), "x")), dec(0), "pair"),
        (((0, dec(100)), 12), dec(0), "pair"),
        ("0:100,12:50", dec(0), "sequence of pairs"),
        (((0, dec(100)), (12, dec(50))), dec(-1), "within 0..100"),
        (((0, dec(100)), (12, dec(50))), dec(101), "within 0..100"),
        (((0, dec(100)), (12, dec(50))), 10, "finite Decimal"),
        (((0, dec(100)), (12, dec(50))), dec("10.001"), "two decimals"),
        (((0, dec(80)), (12, dec(50))), dec(90), "cannot exceed the value at month 0"),
    ],
)
def test_given_an_invalid_curve_then_it_is_refused_with_a_reason(
    points: object, floor: object, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        Curve(points=points, floor=floor)  # type: ignore[arg-type]


def test_a_curve_may_start_below_100_and_its_floor_may_exceed_later_points() -> None:
    lenient = curve((0, 90), (12, 20), (24, 0), floor=25)

    assert percent_at(lenient, 0) == 90
    assert percent_at(lenient, 24) == 25


def test_a_curve_given_as_lists_is_stored_as_tuples_and_equals_the_same_curve() -> None:
    as_lists = Curve(points=[[0, dec(100)], [12, dec(50)]], floor=dec(10))  # type: ignore[arg-type]

    assert as_lists.points == ((0, dec(100)), (12, dec(50)))
    assert as_lists == curve((0, 100), (12, 50), floor=10)
    assert hash(as_lists) == hash(curve((0, 100), (12, 50), floor=10))


def test_a_flat_curve_is_a_valid_curve() -> None:
    flat = curve((0, 50), (1, 50), floor=50)

    assert {percent_at(flat, m) for m in range(30)} == {50}


@pytest.mark.parametrize("age", [-1, True, 1.0])
def test_a_negative_or_fractional_age_is_refused(age: object) -> None:
    with pytest.raises(InvalidValue):
        percent_at(PHONE, age)  # type: ignore[arg-type]
