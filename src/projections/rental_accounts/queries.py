"""Reads of the rental accounts: the accounts with their rentals, for those who manage a
company (operators: every company's, or the one asked for); the key batches, for operators."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.model.actor import Caller, Role
from projections.jsonable import money_json
from projections.reading import MANAGERS, Page, Views, Where, fetch_page, rows_by_key


@dataclass(frozen=True, slots=True)
class RentalAccountFilter:
    company_id: UUID | None = None
    suspended: bool | None = None
    after: int | None = None  # cursor: the opened position of the previous page's last
    limit: int = 100


def query_rental_accounts(views: Views, caller: Caller, f: RentalAccountFilter) -> Page:
    caller.require(*MANAGERS)
    where = Where.in_scope(caller, f.company_id)
    if f.suspended is not None:
        where.add_each(f"suspended_since IS {'NOT ' if f.suspended else ''}NULL", [])
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            "SELECT account_id, company_id, opened_position, balance, daily_total, runway,"
            " suspended_since, version FROM rental_accounts",
            where,
            "opened_position",
            f.limit,
            after=f.after,
        )
        rentals = rows_by_key(
            tx,
            "SELECT account_id, device_id, rate, since, paid_through FROM rental_account_rentals",
            "account_id",
            [r[0] for r in rows],
            "since, device_id",
        )
    items = [
        {
            "account_id": r[0],
            "company_id": r[1],
            "balance": r[3],
            "daily_total": r[4],
            "runway": r[5],
            "suspended_since": r[6],
            "version": r[7],
            "rentals": [
                {
                    "device_id": rental[1],
                    "rate": rental[2],
                    "since": rental[3],
                    "paid_through": rental[4],
                    "status": "suspended" if r[6] else "active",
                }
                for rental in rentals[r[0]]
            ],
        }
        for r in rows
    ]
    return Page(items=items, next_cursor=rows[-1][2] if more else None)


def query_key_batches(
    views: Views, caller: Caller, *, after: int | None = None, limit: int = 100
) -> Page:
    """Every batch (never a code), oldest first, with how many of its keys were redeemed."""
    caller.require(Role.OPERATOR)
    where = Where()
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            "SELECT batch_id, issued_position, company_id, credits, key_count, redeemed,"
            " price_minor, currency, label, issued_at, voided_at FROM key_batches",
            where,
            "issued_position",
            limit,
            after=after,
        )
    items = [
        {
            "id": r[0],
            "company_id": r[2],
            "credits": r[3],
            "count": r[4],
            "redeemed": r[5],
            "price": money_json(r[6], r[7]) if r[7] else None,
            "label": r[8],
            "issued_at": r[9],
            "voided_at": r[10],
        }
        for r in rows
    ]
    return Page(items=items, next_cursor=rows[-1][1] if more else None)
