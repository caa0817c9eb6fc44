"""Pricing of subscriptions (SPEC §3, §6): terms, prepaid discounts, quotes and pro rata seats.

The oracle in these tests is plain Fraction arithmetic: seats × price per seat per month ×
months × (1 − discount) × days remaining / days in term, rounded half-up once per line.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.errors import CurrencyMismatch, InvalidValue
from domain.model.money import Money
from domain.model.pricing import Term, prorated_price, quote, term_end, term_price
from domain.model.time import add_months

# The decided terms, written out independently of the code under test.
MONTHS = {Term.MONTHLY: 1, Term.ONE_YEAR: 12, Term.THREE_YEARS: 36, Term.FIVE_YEARS: 60}
DISCOUNT = {
    Term.MONTHLY: Fraction(0),
    Term.ONE_YEAR: Fraction(0),
    Term.THREE_YEARS: Fraction(10, 100),
    Term.FIVE_YEARS: Fraction(15, 100),
}

prices = st.builds(Money, st.integers(min_value=0, max_value=10_000_000), st.just("SEK"))
seat_counts = st.integers(min_value=1, max_value=1_000)
terms = st.sampled_from(Term)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def half_up(exact: Fraction) -> int:
    """The one rounding of a (non-negative) line: to the nearest minor unit, halves up."""
    return math.floor(exact + Fraction(1, 2))


def exact_term_amount(price: Money, seats: int, term: Term) -> Fraction:
    return Fraction(price.minor * seats * MONTHS[term]) * (1 - DISCOUNT[term])


def sek(amount: str) -> Money:
    return Money.of(amount, "SEK")


# --- terms --------------------------------------------------------------------------------


@pytest.mark.parametrize("term", list(Term))
def test_a_term_has_the_decided_length_and_discount(term: Term) -> None:
    assert term.months == MONTHS[term]
    assert Fraction(term.discount) == DISCOUNT[term]
    assert term.is_prepaid == (term != Term.MONTHLY)


@pytest.mark.parametrize(
    ("start", "term", "end"),
    [
        (date(2024, 2, 29), Term.ONE_YEAR, date(2025, 2, 28)),
        (date(2024, 2, 29), Term.THREE_YEARS, date(2027, 2, 28)),
        (date(2024, 2, 29), Term.FIVE_YEARS, date(2029, 2, 28)),
        (date(2023, 2, 28), Term.ONE_YEAR, date(2024, 2, 28)),
        (date(2024, 1, 31), Term.MONTHLY, date(2024, 2, 29)),
        (date(2025, 1, 31), Term.MONTHLY, date(2025, 2, 28)),
        (date(2024, 8, 31), Term.MONTHLY, date(2024, 9, 30)),
        (date(2027, 3, 1), Term.THREE_YEARS, date(2030, 3, 1)),
    ],
)
def test_a_term_ends_on_the_same_day_so_many_months_later_clamped_to_the_month_end(
    start: date, term: Term, end: date
) -> None:
    assert term_end(start, term) == end


def test_the_worked_three_year_term_has_1096_days_because_it_holds_29_february_2028() -> None:
    start = date(2027, 3, 1)

    end = term_end(start, Term.THREE_YEARS)

    assert (end - start).days == 1096
    assert end - timedelta(days=500) == date(2028, 10, 17)  # the day with 500 days left


@given(starts, terms)
def test_a_term_ends_in_the_month_so_many_months_on_on_the_same_or_the_last_day(
    start: date, term: Term
) -> None:
    end = term_end(start, term)

    months_on = (end.year - start.year) * 12 + end.month - start.month
    assert months_on == MONTHS[term]
    next_day = end + timedelta(days=1)
    assert end.day == start.day or (end.day < start.day and next_day.day == 1)


# --- the price of a term ------------------------------------------------------------------


def test_worked_example_a_3_year_term_of_5_seats_at_49_sek_costs_7938_sek() -> None:
    # 5 × 49.00 × 36 × (1 − 0.10) = 7 938.00
    assert term_price(sek("49.00"), 5, Term.THREE_YEARS) == sek("7938.00")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (Term.MONTHLY, "245.00"),  # 5 × 49 × 1
        (Term.ONE_YEAR, "2940.00"),  # 5 × 49 × 12, no discount
        (Term.THREE_YEARS, "7938.00"),  # 5 × 49 × 36 × 0.90
        (Term.FIVE_YEARS, "12495.00"),  # 5 × 49 × 60 × 0.85
    ],
)
def test_five_seats_at_49_sek_per_month_cost_per_term(term: Term, expected: str) -> None:
    assert term_price(sek("49.00"), 5, term) == sek(expected)


@given(prices, st.integers(min_value=0, max_value=10_000), terms)
def test_a_term_costs_seats_times_price_times_months_less_the_discount_rounded_once(
    price: Money, seats: int, term: Term
) -> None:
    amount = term_price(price, seats, term)

    assert amount == Money(half_up(exact_term_amount(price, seats, term)), "SEK")


def test_a_discounted_term_rounds_half_up_once_on_the_line() -> None:
    # 1 seat × 0.05 SEK × 36 × 0.90 = 1.62 SEK exactly; 1 × 0.01 × 60 × 0.85 = 0.51 exactly;
    # 1 × 0.03 × 36 × 0.90 = 0.972 → 0.97; 1 × 0.05 × 60 × 0.85 = 2.55 exactly.
    assert term_price(Money(5, "SEK"), 1, Term.THREE_YEARS) == Money(162, "SEK")
    assert term_price(Money(1, "SEK"), 1, Term.FIVE_YEARS) == Money(51, "SEK")
    assert term_price(Money(3, "SEK"), 1, Term.THREE_YEARS) == Money(97, "SEK")
    # In JPY (no minor digits): 1 seat × 1 JPY × 60 × 0.85 = 51; 1 × 1 × 36 × 0.9 = 32.4 → 32.
    assert term_price(Money(1, "JPY"), 1, Term.FIVE_YEARS) == Money(51, "JPY")
    assert term_price(Money(1, "JPY"), 1, Term.THREE_YEARS) == Money(32, "JPY")


@pytest.mark.parametrize("seats", [-1, True, 1.5])
def test_seats_are_a_whole_number_of_at_least_zero(seats: object) -> None:
    with pytest.raises(InvalidValue, match="whole number"):
        term_price(sek("49.00"), seats, Term.ONE_YEAR)  # type: ignore[arg-type]


# --- pro rata ------------------------------------------------------------------------------


@given(prices, seat_counts, terms, st.integers(min_value=1, max_value=1830))
def test_seats_added_on_the_first_day_of_a_term_cost_the_full_term_price(
    price: Money, seats: int, term: Term, days_in_term: int
) -> None:
    amount = prorated_price(
        price, seats, term, days_remaining=days_in_term, days_in_term=days_in_term
    )

    assert amount == term_price(price, seats, term)


@given(prices, seat_counts, terms, st.integers(min_value=1, max_value=1830))
def test_seats_added_on_the_last_day_of_a_term_cost_one_days_worth(
    price: Money, seats: int, term: Term, days_in_term: int
) -> None:
    amount = prorated_price(price, seats, term, days_remaining=1, days_in_term=days_in_term)

    one_day = exact_term_amount(price, seats, term) / days_in_term
    assert amount == Money(half_up(one_day), "SEK")


@given(prices, seat_counts, terms, st.integers(min_value=1, max_value=1830))
def test_a_term_charged_day_by_day_is_off_the_full_price_by_at_most_half_a_unit_per_day(
    price: Money, seats: int, term: Term, days_in_term: int
) -> None:
    one_day = prorated_price(price, seats, term, days_remaining=1, days_in_term=days_in_term)

    day_by_day = one_day.minor * days_in_term  # every single day of the term costs the same

    exact = exact_term_amount(price, seats, term)
    assert abs(day_by_day - exact) <= Fraction(days_in_term, 2)


@given(
    prices,
    seat_counts,
    terms,
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12),
)
def test_a_term_split_into_pieces_is_off_the_full_price_by_at_most_half_a_unit_per_piece(
    price: Money, seats: int, term: Term, pieces: list[int]
) -> None:
    days_in_term = sum(pieces)

    charged = sum(
        prorated_price(price, seats, term, days_remaining=days, days_in_term=days_in_term).minor
        for days in pieces
    )

    exact = exact_term_amount(price, seats, term)
    assert abs(charged - exact) <= Fraction(len(pieces), 2)
    assert abs(charged - term_price(price, seats, term).minor) <= Fraction(len(pieces) + 1, 2)


@given(
    prices,
    seat_counts,
    terms,
    st.integers(min_value=1, max_value=1830).flatmap(
        lambda days: st.tuples(st.just(days), st.integers(min_value=0, max_value=days))
    ),
)
def test_pro_rata_is_the_term_price_times_days_left_over_days_in_term_rounded_once(
    price: Money, seats: int, term: Term, days: tuple[int, int]
) -> None:
    days_in_term, days_remaining = days

    amount = prorated_price(
        price, seats, term, days_remaining=days_remaining, days_in_term=days_in_term
    )

    exact = exact_term_amount(price, seats, term) * Fraction(days_remaining, days_in_term)
    assert amount == Money(half_up(exact), "SEK")
    assert amount <= term_price(price, seats, term)


def test_worked_example_4_seats_with_500_of_1096_days_left_cost_2897_08_sek() -> None:
    # 4 × 49.00 × 36 × 0.90 × 500 / 1 096 = 2 897.0802… → 2 897.08
    amount = prorated_price(
        sek("49.00"), 4, Term.THREE_YEARS, days_remaining=500, days_in_term=1096
    )

    assert amount == sek("2897.08")


def test_no_days_left_cost_nothing() -> None:
    assert prorated_price(
        sek("49.00"), 4, Term.ONE_YEAR, days_remaining=0, days_in_term=365
    ) == sek("0.00")


@pytest.mark.parametrize(("remaining", "in_term"), [(-1, 365), (366, 365), (0, 0), (1, -1)])
def test_days_remaining_must_lie_within_the_term(remaining: int, in_term: int) -> None:
    with pytest.raises(InvalidValue, match="within the term"):
        prorated_price(
            sek("49.00"), 1, Term.ONE_YEAR, days_remaining=remaining, days_in_term=in_term
        )


# --- quotes ---------------------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=10), seat_counts, prices), min_size=1, max_size=8
    ),
    terms,
)
def test_a_quote_total_is_the_sum_of_its_lines_each_priced_as_a_term(
    lines: list[tuple[str, int, Money]], term: Term
) -> None:
    quoted, total = quote(lines, term)

    assert [(q.product_name, q.seats, q.unit_price) for q in quoted] == lines
    assert [q.amount for q in quoted] == [term_price(p, s, term) for _, s, p in lines]
    assert total.minor == sum(q.amount.minor for q in quoted)
    assert total.currency == "SEK"


def test_a_quote_of_the_worked_example_plus_an_option() -> None:
    quoted, total = quote(
        [("Workplace Plan", 5, sek("49.00")), ("Backup", 5, sek("15.00"))], Term.THREE_YEARS
    )

    assert [q.amount for q in quoted] == [sek("7938.00"), sek("2430.00")]
    assert total == sek("10368.00")


def test_a_quote_needs_a_line() -> None:
    with pytest.raises(InvalidValue, match="at least one product line"):
        quote([], Term.ONE_YEAR)


def test_a_quote_does_not_mix_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        quote([("Plan", 1, sek("49.00")), ("Option", 1, Money(100, "EUR"))], Term.ONE_YEAR)


@given(starts, terms)
def test_term_end_is_add_months_of_the_term_length(start: date, term: Term) -> None:
    assert term_end(start, term) == add_months(start, MONTHS[term])
