"""Money: exact minor units, one currency at a time, one rounding rule, lossless splits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.bounds import MAX_MINOR
from domain.model.errors import CurrencyMismatch, DomainError, InvalidValue
from domain.model.money import (
    CURRENCY_EXPONENTS,
    Money,
    exponent,
    round_half_up,
    to_minor,
)

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
minor_amounts = st.integers(min_value=-(10**15), max_value=10**15)
ratios = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=12,
).filter(lambda rs: sum(rs) > 0)
finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)


def sek(minor: int) -> Money:
    return Money(minor, "SEK")


# --- the currency table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("SEK", 2),
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("NOK", 2),
        ("DKK", 2),
        ("CHF", 2),
        ("PLN", 2),
        ("CZK", 2),
        ("CAD", 2),
        ("AUD", 2),
        ("NZD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
    ],
)
def test_exponent_gives_the_iso_4217_minor_unit_digits(currency: str, digits: int) -> None:
    assert exponent(currency) == digits


@pytest.mark.parametrize("code", ["XXX", "sek", "SEKK", "", "XAU"])
def test_an_unknown_currency_is_refused_everywhere(code: str) -> None:
    with pytest.raises(InvalidValue):
        exponent(code)
    with pytest.raises(InvalidValue):
        Money(100, code)
    with pytest.raises(InvalidValue):
        Money.of("1", code)
    with pytest.raises(InvalidValue):
        Money.zero(code)


def test_the_currency_table_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        CURRENCY_EXPONENTS["SEK"] = 3  # type: ignore[index]


# --- construction ---------------------------------------------------------------------


@pytest.mark.parametrize("minor", [True, False, 1.0, Decimal(1), "100", None])
def test_minor_units_must_be_a_plain_int(minor: object) -> None:
    with pytest.raises(InvalidValue):
        Money(minor, "SEK")  # type: ignore[arg-type]


def test_invalid_value_is_a_domain_error_and_mismatch_is_its_own_kind() -> None:
    assert issubclass(InvalidValue, DomainError)
    assert issubclass(CurrencyMismatch, DomainError)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.5", "SEK", 1250),
        ("12.50", "SEK", 1250),
        ("12.500000", "SEK", 1250),  # trailing zeros are still exact
        (Decimal("0.01"), "SEK", 1),
        (12, "SEK", 1200),
        ("-3.75", "EUR", -375),
        ("12000", "JPY", 12000),
        ("12.0", "JPY", 12),
        ("1.234", "BHD", 1234),
        ("0", "KWD", 0),
        ("1E+3", "SEK", 100000),
        ("9999999999999.99", "SEK", 999_999_999_999_999),  # the largest but one (ADR 0014)
        ("1000000000000000", "JPY", 10**15),
    ],
)
def test_of_converts_major_units_exactly(
    amount: str | Decimal | int, currency: str, minor: int
) -> None:
    assert Money.of(amount, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("12.5", "JPY"),
        ("12.345", "SEK"),
        (Decimal("0.001"), "EUR"),
        ("1.2345", "BHD"),
        ("1E-30", "SEK"),
        ("1E-999999999", "SEK"),
    ],
)
def test_of_refuses_more_decimals_than_the_currency_has(
    amount: str | Decimal, currency: str
) -> None:
    # Given an amount that is not a whole number of minor units, when it becomes money,
    # then it is refused rather than silently rounded.
    with pytest.raises(InvalidValue):
        Money.of(amount, currency)


@pytest.mark.parametrize(
    "amount", ["abc", "", "NaN", "Infinity", "-inf", "sNaN", "1E+999999999", 1.5, True, None]
)
def test_of_refuses_what_is_not_an_exact_finite_amount(amount: object) -> None:
    with pytest.raises(InvalidValue):
        Money.of(amount, "SEK")  # type: ignore[arg-type]


@given(minor_amounts, currencies)
def test_of_and_amount_round_trip(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.of(money.amount, currency) == money
    assert Money.of(str(money.amount), currency) == money


def test_amount_is_exact_with_the_currency_digits() -> None:
    assert Money(342000, "SEK").amount == Decimal("3420.00")
    assert str(Money(342000, "SEK").amount) == "3420.00"
    assert str(Money(1234, "BHD").amount) == "1.234"
    assert str(Money(12000, "JPY").amount) == "12000"


# --- rounding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("2.5", 3),
        ("-2.5", -3),
        ("2.4999", 2),
        ("-2.4999", -2),
        ("0.5", 1),
        ("-0.5", -1),
        ("0.4999999999999999999999999999999", 0),
        ("1.5", 2),
        ("3", 3),
        ("0", 0),
        ("12345678901234567890123456789012345.5", 12345678901234567890123456789012346),
    ],
)
def test_round_half_up_rounds_halves_away_from_zero(value: str, rounded: int) -> None:
    assert round_half_up(Decimal(value)) == rounded


@given(finite_decimals)
def test_round_half_up_moves_a_value_by_at_most_half(value: Decimal) -> None:
    rounded = round_half_up(value)
    assert abs(Fraction(rounded) - Fraction(value)) <= Fraction(1, 2)


@given(finite_decimals)
def test_round_half_up_is_symmetric_around_zero(value: Decimal) -> None:
    # copy_negate, not unary minus: -value would round to the context's 28 digits
    assert round_half_up(value.copy_negate()) == -round_half_up(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), 2.5, 2])
def test_round_half_up_refuses_non_finite_and_non_decimal_values(value: object) -> None:
    with pytest.raises(InvalidValue):
        round_half_up(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("3420.004", "SEK", 342000),
        ("3420.005", "SEK", 342001),
        ("-0.005", "SEK", -1),
        ("12.5", "JPY", 13),
        ("1.2345", "BHD", 1235),
        ("28.5", "SEK", 2850),
    ],
)
def test_to_minor_rounds_computed_major_units_half_up(
    amount: str, currency: str, minor: int
) -> None:
    assert to_minor(Decimal(amount), currency) == minor


def test_to_minor_refuses_an_unknown_currency() -> None:
    with pytest.raises(InvalidValue):
        to_minor(Decimal("1"), "ABC")


# --- arithmetic -----------------------------------------------------------------------


def test_addition_subtraction_and_negation_stay_in_the_currency() -> None:
    assert sek(1250) + sek(250) == sek(1500)
    assert sek(1250) - sek(1500) == sek(-250)
    assert -sek(1250) == sek(-1250)
    assert Money.zero("EUR") == Money(0, "EUR")


def test_predicates() -> None:
    assert Money.zero("SEK").is_zero
    assert not sek(1).is_zero
    assert sek(1).is_positive
    assert not sek(0).is_positive
    assert not sek(-1).is_positive
    assert sek(-1).is_negative
    assert not sek(0).is_negative


def test_comparisons_within_one_currency() -> None:
    assert sek(1) < sek(2)
    assert sek(2) <= sek(2)
    assert sek(3) > sek(2)
    assert sek(2) >= sek(2)
    assert not sek(2) < sek(2)
    assert max([sek(5), sek(-7), sek(3)]) == sek(5)


@given(minor_amounts, minor_amounts, st.lists(currencies, min_size=2, max_size=2, unique=True))
def test_currencies_never_mix(a: int, b: int, pair: list[str]) -> None:
    # Given two amounts of different currencies
    first, second = pair
    x, y = Money(a, first), Money(b, second)
    # then arithmetic and ordering refuse, and they are simply not equal
    with pytest.raises(CurrencyMismatch):
        x + y
    with pytest.raises(CurrencyMismatch):
        x - y
    with pytest.raises(CurrencyMismatch):
        x < y  # noqa: B015
    with pytest.raises(CurrencyMismatch):
        x <= y  # noqa: B015
    with pytest.raises(CurrencyMismatch):
        x > y  # noqa: B015
    with pytest.raises(CurrencyMismatch):
        x >= y  # noqa: B015
    assert x != y
    assert Money(a, first) != Money(a, second)


def test_money_does_not_mix_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        sek(100) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        sek(100) < 1  # type: ignore[operator]  # noqa: B015
    money: object = sek(100)
    assert money != 100


def test_equal_money_hashes_equal() -> None:
    assert hash(sek(100)) == hash(Money.of("1.00", "SEK"))
    assert len({sek(100), Money.of("1", "SEK"), Money(100, "EUR")}) == 2


def test_money_is_immutable() -> None:
    money = sek(100)
    with pytest.raises(AttributeError):
        money.minor = 200  # type: ignore[misc]


# --- multiplication -------------------------------------------------------------------


def test_times_applies_a_percentage_exactly_then_rounds_once() -> None:
    # Given a phone that cost 12 000 SEK, valued at 28.5 % (spec §2.1)
    cost = Money.of("12000", "SEK")
    # when the percentage is applied
    value = cost.times(Decimal("0.285"))
    # then the value is exactly 3 420.00 SEK
    assert value == Money(342000, "SEK")
    assert str(value) == "3420.00 SEK"


@pytest.mark.parametrize(
    ("minor", "factor", "expected"),
    [
        (1, Decimal("0.5"), 1),
        (-1, Decimal("0.5"), -1),
        (3, Decimal("0.5"), 2),
        (1, Decimal("0.4999"), 0),
        (100, 3, 300),
        (100, -2, -200),
        (100, Decimal("1E-40"), 0),
        # 28 digits (the default context) would round the product up to ...5 and then to 5E14.
        (10**15 - 1, Decimal("0.499999999999999999999999999999"), 499_999_999_999_999),
    ],
)
def test_times_rounds_half_up(minor: int, factor: int | Decimal, expected: int) -> None:
    assert sek(minor).times(factor) == sek(expected)


@pytest.mark.parametrize("factor", [Decimal("NaN"), Decimal("-Infinity"), 0.5, True])
def test_times_refuses_inexact_factors(factor: object) -> None:
    with pytest.raises(InvalidValue):
        sek(100).times(factor)  # type: ignore[arg-type]


@given(minor_amounts, st.decimals(min_value=-1000, max_value=1000, places=6))
def test_times_is_the_exact_product_rounded_once(minor: int, factor: Decimal) -> None:
    exact = Fraction(minor) * Fraction(factor)
    if abs(exact) >= MAX_MINOR + Fraction(1, 2):  # rounds past the bound: refused
        with pytest.raises(InvalidValue, match="too large"):
            sek(minor).times(factor)
        return
    result = sek(minor).times(factor).minor
    assert abs(Fraction(result) - exact) <= Fraction(1, 2)


# --- allocation -----------------------------------------------------------------------


@given(minor_amounts, currencies, ratios)
def test_allocation_loses_nothing(minor: int, currency: str, weights: list[int | Decimal]) -> None:
    whole = Money(minor, currency)
    parts = whole.allocate(weights)
    assert len(parts) == len(weights)
    assert all(part.currency == currency for part in parts)
    assert sum(part.minor for part in parts) == minor


@given(minor_amounts, currencies, ratios)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    minor: int, currency: str, weights: list[int | Decimal]
) -> None:
    parts = Money(minor, currency).allocate(weights)
    total = sum(Fraction(weight) for weight in weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(minor) * Fraction(weight) / total
        assert abs(part.minor - exact) < 1
        if weight == 0:
            assert part.minor == 0


@given(minor_amounts, ratios)
def test_allocating_a_negative_amount_mirrors_the_positive_one(
    minor: int, weights: list[int | Decimal]
) -> None:
    assert sek(-minor).allocate(weights) == [-part for part in sek(minor).allocate(weights)]


def test_allocation_gives_leftover_units_to_the_largest_remainders() -> None:
    # 100 öre in 1:1:1 → 33.33 each; the single leftover öre goes to the first part
    assert sek(100).allocate([1, 1, 1]) == [sek(34), sek(33), sek(33)]
    # 100 öre in 1:2 → 33.33 and 66.67; the leftover goes to the larger remainder
    assert sek(100).allocate([1, 2]) == [sek(33), sek(67)]
    assert sek(-100).allocate([1, 2]) == [sek(-33), sek(-67)]
    assert sek(5).allocate([Decimal("0.7"), Decimal("0.3")]) == [sek(4), sek(1)]
    assert sek(100).allocate([0, 1]) == [sek(0), sek(100)]


@pytest.mark.parametrize(
    "bad_ratios",
    [
        [],
        [0, 0],
        [1, -1],
        [Decimal("-0.5"), 2],
        [Decimal("NaN"), 1],
        [Decimal("Infinity"), 1],
        [0.5, 0.5],
        [True, 1],
    ],
)
def test_allocation_refuses_ratios_without_a_positive_sum_or_of_the_wrong_kind(
    bad_ratios: list[int | Decimal],
) -> None:
    with pytest.raises(InvalidValue):
        sek(100).allocate(bad_ratios)


def test_split_into_near_equal_parts() -> None:
    assert sek(100).split(3) == [sek(34), sek(33), sek(33)]
    assert sek(-100).split(3) == [sek(-34), sek(-33), sek(-33)]
    assert sek(2).split(4) == [sek(1), sek(1), sek(0), sek(0)]
    assert Money(7, "JPY").split(1) == [Money(7, "JPY")]


@given(minor_amounts, st.integers(min_value=1, max_value=50))
def test_split_parts_sum_back_and_differ_by_at_most_one(minor: int, n: int) -> None:
    parts = [part.minor for part in sek(minor).split(n)]
    assert sum(parts) == minor
    assert max(parts) - min(parts) <= 1


@pytest.mark.parametrize("n", [0, -1, True])
def test_split_refuses_a_non_positive_count(n: int) -> None:
    with pytest.raises(InvalidValue):
        sek(100).split(n)


# --- presentation and serialisation ---------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(342000, "SEK"), "3420.00 SEK"),
        (Money(1200000, "SEK"), "12000.00 SEK"),
        (Money(-5, "SEK"), "-0.05 SEK"),
        (Money(0, "EUR"), "0.00 EUR"),
        (Money(12000, "JPY"), "12000 JPY"),
        (Money(1234, "BHD"), "1.234 BHD"),
        (Money(-1, "KWD"), "-0.001 KWD"),
    ],
)
def test_str_shows_the_amount_with_the_currency_digits_then_the_code(
    money: Money, text: str
) -> None:
    assert str(money) == text


@given(minor_amounts, currencies)
def test_dict_round_trip(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert money.to_dict() == {"minor": minor, "currency": currency}
    assert Money.from_dict(money.to_dict()) == money


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"minor": 100},
        {"minor": "100", "currency": "SEK"},
        {"minor": 1.0, "currency": "SEK"},
        {"minor": True, "currency": "SEK"},
        {"minor": 100, "currency": "XXX"},
        {"minor": 100, "currency": "SEK", "extra": 1},
        {"amount": "1.00", "currency": "SEK"},
    ],
)
def test_from_dict_refuses_malformed_data(data: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        Money.from_dict(data)
