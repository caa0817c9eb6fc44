"""A subscription's lines: the seats it holds and the charge lines it records.

Both are stored inside Subscription events by name (transcodings `seat_line`,
`charge_line`), so this module may move without changing a stored byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.model import bounds
from domain.model.bounds import MAX_LINES
from domain.model.errors import InvalidValue
from domain.model.money import Money
from domain.model.pricing import Term, prorated_price, term_price
from domain.model.product import ProductKind
from domain.model.text import bounded_text


@dataclass(frozen=True, slots=True)
class SeatLine:
    """Seats of one product, at the price of the latest sale or renewal."""

    product_id: UUID
    product_name: str
    kind: ProductKind
    seats: int
    unit_price: Money  # per seat per month


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """A chargeable fact the invoice run collects: what, how many, at what price, for when."""

    kind: str  # "term" | "monthly" | "seats"
    product_id: UUID
    description: str
    quantity: int
    unit_price: Money  # per seat per month
    months: int
    discount: Decimal
    amount: Money
    period_start: date
    period_end: date


def checked_lines(lines: Sequence[SeatLine]) -> list[SeatLine]:
    """The lines a new subscription may start with: one currency, each product once."""
    if not lines:
        raise InvalidValue("A subscription needs at least one product line.")
    if len(lines) > MAX_LINES:
        raise InvalidValue(f"A subscription has at most {MAX_LINES} product lines.")
    if len({line.product_id for line in lines}) != len(lines):
        raise InvalidValue("Each product appears on one line only.")
    for line in lines:
        bounds.seats(line.seats, f"The seats of {line.product_name}")
    if len({line.unit_price.currency for line in lines}) != 1:
        raise InvalidValue("All lines of a subscription share one currency.")
    return list(lines)


def term_charges(lines: Iterable[SeatLine], term: Term, start: date, end: date) -> list[ChargeLine]:
    """A term's charge in advance: one line per product with seats."""
    kind = "term" if term.is_prepaid else "monthly"
    label = "monthly licence" if kind == "monthly" else f"{term.value} prepaid term"
    return [
        ChargeLine(
            kind=kind,
            product_id=line.product_id,
            description=f"{line.product_name} – {label} {start.isoformat()}–{end.isoformat()}",
            quantity=line.seats,
            unit_price=line.unit_price,
            months=term.months,
            discount=term.discount,
            amount=term_price(line.unit_price, line.seats, term),
            period_start=start,
            period_end=end,
        )
        for line in lines
        if line.seats > 0
    ]


def added_seats_charge(
    line: SeatLine,
    seats: int,
    unit_price: Money,
    term: Term,
    *,
    term_start: date,
    term_end: date,
    on: date,
) -> ChargeLine:
    """Seats added on `on` to a charged term: pro rata for the days left in it."""
    days_in_term = (term_end - term_start).days
    days_remaining = (term_end - max(on, term_start)).days
    return ChargeLine(
        kind="seats",
        product_id=line.product_id,
        description=(
            f"{line.product_name} – {seats} added seat(s), {days_remaining}/"
            f"{days_in_term} days of {term_start.isoformat()}–{term_end.isoformat()}"
        ),
        quantity=seats,
        unit_price=unit_price,
        months=term.months,
        discount=term.discount,
        amount=prorated_price(
            unit_price, seats, term, days_remaining=days_remaining, days_in_term=days_in_term
        ),
        period_start=max(on, term_start),
        period_end=term_end,
    )


def repriced(lines: Iterable[SeatLine], list_prices: Mapping[UUID, Money]) -> list[SeatLine]:
    """The lines at the list prices in force now (a product without one keeps its price)."""
    result = []
    for line in lines:
        price = list_prices.get(line.product_id, line.unit_price)
        if price.currency != line.unit_price.currency:
            raise InvalidValue(f"No {line.unit_price.currency} price for {line.product_name}.")
        result.append(replace(line, unit_price=price))
    return result


def clean_po_reference(po_reference: str | None) -> str | None:
    """A PO reference as stored: in normal form (domain/model/text.py), None when blank, at
    most 100 characters."""
    if po_reference is None:
        return None
    return bounded_text(po_reference, "PO reference", 100) or None
