"""Subscription pricing (SPEC §3): terms, prepaid discounts, quotes and pro-rata seats.

List prices are per seat per month. A prepaid term is charged in full at its start:
seats × price × months × (1 − discount). Seats added mid-term cost the same, times the
days left in the term over the days in it. Everything stays exact (Fraction) until the one
rounding of each line (money.round_half_up, half-up to the minor unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypedDict

from domain.model import bounds
from domain.model.bounds import MAX_LINES
from domain.model.errors import InvalidValue
from domain.model.money import Money
from domain.model.time import add_months


class Term(StrEnum):
    MONTHLY = "monthly"
    ONE_YEAR = "1y"
    THREE_YEARS = "3y"
    FIVE_YEARS = "5y"

    @property
    def months(self) -> int:
        return {"monthly": 1, "1y": 12, "3y": 36, "5y": 60}[self.value]

    @property
    def discount(self) -> Decimal:
        return {
            "monthly": Decimal(0),
            "1y": Decimal(0),
            "3y": Decimal("0.10"),
            "5y": Decimal("0.15"),
        }[self.value]

    @property
    def is_prepaid(self) -> bool:
        return self != Term.MONTHLY


class RenewalOption(StrEnum):
    NONE = "none"  # expires at term end
    ONCE = "once"  # one more term, then behaves as none
    EVERY_TIME = "every_time"  # renews each term at the list price then in force
    TO_MONTHLY = "to_monthly"  # continues as monthly licences


def after_term(term: Term, option: RenewalOption) -> tuple[Term, RenewalOption] | None:
    """What follows a term of `term` under `option` (left alone, not cancelled): the next
    term and the option in force during it, or None when the subscription expires then.
    A monthly licence runs on as it is; a prepaid term renews (`once` then stands at `none`)
    or continues as monthly licences. `Subscription` and the catch-up walk both follow it."""
    if not term.is_prepaid:
        return term, option
    if option == RenewalOption.NONE:
        return None
    if option == RenewalOption.TO_MONTHLY:
        return Term.MONTHLY, option
    return term, RenewalOption.NONE if option == RenewalOption.ONCE else RenewalOption.EVERY_TIME


class SaleTerms(TypedDict):
    """What a subscription is sold on besides its lines (the subscriptions service passes
    it through to `Subscription.create`)."""

    start_date: date
    term: Term
    po_reference: str | None
    separate_invoice: bool
    renewal_option: RenewalOption


def term_end(start: date, term: Term) -> date:
    """The exclusive end of a term starting on `start` (month-end clamped)."""
    return add_months(start, term.months)


def _term_factor(term: Term) -> Fraction:
    return Fraction(term.months) * (1 - Fraction(term.discount))


def term_price(unit_price: Money, seats: int, term: Term) -> Money:
    """seats × price per seat per month × months × (1 − discount), rounded once."""
    _check_seats(seats)
    return unit_price.times(seats * _term_factor(term))


def prorated_price(
    unit_price: Money, seats: int, term: Term, *, days_remaining: int, days_in_term: int
) -> Money:
    """The full-term price of `seats`, times days remaining over days in the term."""
    _check_seats(seats)
    if days_in_term <= 0 or not 0 <= days_remaining <= days_in_term:
        raise InvalidValue("Days remaining must lie within the term.")
    return unit_price.times(seats * _term_factor(term) * Fraction(days_remaining, days_in_term))


@dataclass(frozen=True, slots=True)
class QuoteLine:
    product_name: str
    seats: int
    unit_price: Money  # per seat per month
    amount: Money


def quote(lines: list[tuple[str, int, Money]], term: Term) -> tuple[list[QuoteLine], Money]:
    """The estimated cost of one term before buying: per line and in total."""
    if not lines:
        raise InvalidValue("A quote needs at least one product line.")
    if len(lines) > MAX_LINES:
        raise InvalidValue(f"A quote has at most {MAX_LINES} product lines.")
    quoted = [
        QuoteLine(name, seats, price, term_price(price, seats, term))
        for name, seats, price in lines
    ]
    total = Money.zero(quoted[0].amount.currency)
    for line in quoted:
        total = total + line.amount
    return quoted, total


def _check_seats(seats: int) -> None:
    bounds.seats(seats, "Seats", least=0)
