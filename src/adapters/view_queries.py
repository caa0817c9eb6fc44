"""Reads of the read models (portable SQL), with filters and keyset pagination."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from adapters.sql import Database
from projections.jsonable import utc_text

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None


@dataclass(slots=True)
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, value: Any) -> None:
        if value is not None:
            self.clauses.append(clause)
            self.params.append(value)

    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


@dataclass(frozen=True, slots=True)
class EventLogFilter:
    company_id: UUID | None = None
    aggregate_id: UUID | None = None
    aggregate_type: str | None = None
    actor_id: str | None = None
    operation: str | None = None
    occurred_from: datetime | None = None  # inclusive
    occurred_to: datetime | None = None  # exclusive: periods are half-open
    after: int | None = None  # cursor: the last position of the previous page
    limit: int = 100


def query_event_log(db: Database, f: EventLogFilter) -> Page:
    where = _Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("aggregate_id = ?", str(f.aggregate_id) if f.aggregate_id else None)
    where.add("aggregate_type = ?", f.aggregate_type)
    where.add("actor_id = ?", f.actor_id)
    where.add("operation = ?", f.operation)
    where.add("occurred_at >= ?", utc_text(f.occurred_from) if f.occurred_from else None)
    where.add("occurred_at < ?", utc_text(f.occurred_to) if f.occurred_to else None)
    where.add("position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT position, company_id, aggregate_type, aggregate_id, aggregate_version,"
            " operation, occurred_at, actor_id, actor_role, correlation_id, details"
            f" FROM event_log{where.sql()} ORDER BY position LIMIT ?",
            [*where.params, limit + 1],
        )
    items = [
        {
            "position": r[0],
            "company_id": r[1],
            "aggregate_type": r[2],
            "aggregate_id": r[3],
            "aggregate_version": r[4],
            "operation": r[5],
            "occurred_at": r[6],
            "actor": {"id": r[7], "role": r[8]},
            "correlation_id": r[9],
            "details": json.loads(r[10]),
        }
        for r in rows[:limit]
    ]
    next_cursor = items[-1]["position"] if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class HardwareFilter:
    company_id: UUID | None = None
    status: str | None = None
    category: str | None = None
    contract_type: str | None = None
    assignee_id: UUID | None = None
    renewal_from: date | None = None  # inclusive
    renewal_to: date | None = None  # exclusive
    serial: str | None = None
    after: int | None = None
    limit: int = 100


def query_hardware(db: Database, f: HardwareFilter) -> Page:
    where = _Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("status = ?", f.status)
    where.add("category = ?", f.category.lower() if f.category else None)
    where.add("contract_type = ?", f.contract_type)
    where.add("assignee_id = ?", str(f.assignee_id) if f.assignee_id else None)
    where.add("renewal_date >= ?", f.renewal_from.isoformat() if f.renewal_from else None)
    where.add("renewal_date < ?", f.renewal_to.isoformat() if f.renewal_to else None)
    where.add("serial = ?", f.serial)
    where.add("registered_position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT device_id, company_id, registered_position, serial, model, category,"
            " contract_type, status, assignee_id, assignee_name, lease_start, renewal_date,"
            " company_cost_minor, currency, registered_at, version"
            f" FROM hardware_overview{where.sql()} ORDER BY registered_position LIMIT ?",
            [*where.params, limit + 1],
        )
    items = [
        {
            "device_id": r[0],
            "company_id": r[1],
            "serial": r[3],
            "model": r[4],
            "category": r[5],
            "contract_type": r[6],
            "status": r[7],
            "assignee": {"member_id": r[8], "name": r[9]} if r[8] else None,
            "lease_start": r[10],
            "renewal_date": r[11],
            "company_cost": {"minor": r[12], "currency": r[13]},
            "registered_at": r[14],
            "version": r[15],
        }
        for r in rows[:limit]
    ]
    next_cursor = rows[limit - 1][2] if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    company_id: UUID | None = None
    status: str | None = None
    subscription_id: UUID | None = None
    after: int | None = None
    limit: int = 100


def query_subscriptions(db: Database, f: SubscriptionFilter) -> Page:
    where = _Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("status = ?", f.status)
    where.add("subscription_id = ?", str(f.subscription_id) if f.subscription_id else None)
    where.add("created_position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT subscription_id, company_id, created_position, status, term, start_date,"
            " term_start, term_end, charged_through, renewal_option, cancel_at_term_end,"
            " po_reference, separate_invoice, version"
            f" FROM subscriptions{where.sql()} ORDER BY created_position LIMIT ?",
            [*where.params, limit + 1],
        )
        ids = [r[0] for r in rows[:limit]]
        lines: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            marks = ", ".join("?" for _ in ids)
            for r in tx.fetchall(
                "SELECT subscription_id, product_id, product_name, kind, seats, assigned,"
                " pending_removal, unit_price_minor, currency FROM subscription_lines"
                f" WHERE subscription_id IN ({marks}) ORDER BY product_name, product_id",
                ids,
            ):
                lines[r[0]].append(
                    {
                        "product_id": r[1],
                        "product_name": r[2],
                        "kind": r[3],
                        "seats": r[4],
                        "assigned": r[5],
                        "free": max(r[4] - r[6] - r[5], 0),
                        "pending_removal": r[6],
                        "unit_price": {"minor": r[7], "currency": r[8]},
                    }
                )
    items = [
        {
            "subscription_id": r[0],
            "company_id": r[1],
            "status": r[3],
            "term": r[4],
            "start_date": r[5],
            "term_start": r[6],
            "term_end": r[7],
            "charged_through": r[8],
            "next_renewal": r[7] if r[3] not in ("expired", "cancelled") else None,
            "renewal_option": r[9],
            "cancel_at_term_end": bool(r[10]),
            "po_reference": r[11],
            "separate_invoice": bool(r[12]),
            "version": r[13],
            "lines": lines[r[0]],
        }
        for r in rows[:limit]
    ]
    next_cursor = rows[limit - 1][2] if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def open_subscription_ids(db: Database) -> list[UUID]:
    """Subscriptions the scheduler must look at: every one that has not ended."""
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT subscription_id FROM subscriptions"
            " WHERE status NOT IN ('expired', 'cancelled') ORDER BY created_position"
        )
    return [UUID(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class ChargeFilter:
    company_id: UUID | None = None
    subscription_id: UUID | None = None
    charged_from: date | None = None  # inclusive
    charged_to: date | None = None  # exclusive
    after: int | None = None  # cursor: position of the last line's event
    limit: int = 100


def query_charges(db: Database, f: ChargeFilter) -> Page:
    where = _Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("subscription_id = ?", str(f.subscription_id) if f.subscription_id else None)
    where.add("charge_date >= ?", f.charged_from.isoformat() if f.charged_from else None)
    where.add("charge_date < ?", f.charged_to.isoformat() if f.charged_to else None)
    where.add("position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT position, line_no, company_id, subscription_id, charge_date, kind,"
            " product_id, description, quantity, unit_price_minor, months, discount,"
            " amount_minor, currency, po_reference, separate_invoice, period_start, period_end"
            f" FROM charges{where.sql()} ORDER BY position, line_no LIMIT ?",
            [*where.params, limit + 1],
        )
    # A page ends at an event boundary, so the cursor (a position) never splits an event.
    page = rows[:limit]
    if len(rows) > limit:
        last = page[-1][0]
        cut = [r for r in page if r[0] != last] or page
        page = cut
    items = [
        {
            "company_id": r[2],
            "subscription_id": r[3],
            "date": r[4],
            "kind": r[5],
            "product_id": r[6],
            "description": r[7],
            "quantity": r[8],
            "unit_price": {"minor": r[9], "currency": r[13]},
            "months": r[10],
            "discount": r[11],
            "amount": {"minor": r[12], "currency": r[13]},
            "po_reference": r[14],
            "separate_invoice": bool(r[15]),
            "period_start": r[16],
            "period_end": r[17],
        }
        for r in page
    ]
    next_cursor = page[-1][0] if len(rows) > limit and page else None
    return Page(items=items, next_cursor=next_cursor)
