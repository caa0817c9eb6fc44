"""Reads of the charges: chargeable lines for the invoice run, for operators (every
company's, or the one asked for) and a company's admins (their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.model import bounds
from domain.model.actor import Caller, Role
from projections.jsonable import money_json
from projections.reading import ListFilter, Page, Views, Where, fetch_page

CHARGE_READERS = (Role.OPERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeFilter(ListFilter):
    """`after` names a line: its event's position × LINES_PER_EVENT + its line number."""

    subscription_id: UUID | None = None
    charged_from: date | None = None  # inclusive
    charged_to: date | None = None  # exclusive

    def __post_init__(self) -> None:  # a filter is client input too (ADR 0014)
        bounds.optional_date(self.charged_from, "charged_from")
        bounds.optional_date(self.charged_to, "charged_to")


# One event may carry several charge lines, so the cursor names a line: position and line.
LINES_PER_EVENT = 10_000


def query_charges(views: Views, caller: Caller, f: ChargeFilter) -> Page:
    caller.require(*CHARGE_READERS)
    where = Where.in_scope(caller, f.company_id)
    where.add("subscription_id = ?", str(f.subscription_id) if f.subscription_id else None)
    where.add("charge_date >= ?", f.charged_from.isoformat() if f.charged_from else None)
    where.add("charge_date < ?", f.charged_to.isoformat() if f.charged_to else None)
    if f.after is not None:  # a row comparison, so that the primary key answers it (ADR 0051)
        where.add_each("(position, line_no) > (?, ?)", divmod(f.after, LINES_PER_EVENT))
    with views.transaction() as tx:
        page, more = fetch_page(
            tx,
            "SELECT position, line_no, company_id, subscription_id, charge_date, kind,"
            " product_id, description, quantity, unit_price_minor, months, discount,"
            " amount_minor, currency, po_reference, separate_invoice, period_start, period_end"
            " FROM charges",
            where,
            "position, line_no",
            f.limit,
        )
    items = [
        {
            "company_id": r[2],
            "subscription_id": r[3],
            "date": r[4],
            "kind": r[5],
            "product_id": r[6],
            "description": r[7],
            "quantity": r[8],
            "unit_price": money_json(r[9], r[13]),
            "months": r[10],
            "discount": r[11],
            "amount": money_json(r[12], r[13]),
            "po_reference": r[14],
            "separate_invoice": bool(r[15]),
            "period_start": r[16],
            "period_end": r[17],
        }
        for r in page
    ]
    last = page[-1] if more else None
    next_cursor = last[0] * LINES_PER_EVENT + last[1] if last else None
    return Page(items=items, next_cursor=next_cursor)
