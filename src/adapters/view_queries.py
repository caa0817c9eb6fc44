"""Reads of the read models (portable SQL), with filters and keyset pagination."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from adapters.sql import Database
from projections.device_rules_sql import in_lease_flow_sql, ready_to_release_sql
from projections.jsonable import utc_text

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None

    def to_json(self) -> dict[str, Any]:
        """The body of every list endpoint: the items and the cursor of the next page."""
        return {"items": self.items, "next_cursor": self.next_cursor}


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
    preliminary_choice: str | None = None
    phase: str | None = None
    overdue: bool | None = None
    ready_to_release: bool | None = None
    now: datetime | None = None  # for ready_to_release: offboarding releases are time-bound
    after: int | None = None
    limit: int = 100


# A bought device is ready to release when its linked replacement is received (active) with
# a serial recorded — or its buyer's offboarding release time (05:00 on D) has passed.
READY = ready_to_release_sql()


def query_hardware(db: Database, f: HardwareFilter) -> Page:
    where = _Where()
    where.add("h.company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("h.status = ?", f.status)
    where.add("h.category = ?", f.category.lower() if f.category else None)
    where.add("h.contract_type = ?", f.contract_type)
    where.add("h.assignee_id = ?", str(f.assignee_id) if f.assignee_id else None)
    where.add("h.renewal_date >= ?", f.renewal_from.isoformat() if f.renewal_from else None)
    where.add("h.renewal_date < ?", f.renewal_to.isoformat() if f.renewal_to else None)
    where.add("h.serial = ?", f.serial)
    where.add("h.preliminary_choice = ?", f.preliminary_choice)
    where.add("h.phase = ?", f.phase)
    where.add("h.overdue = ?", f.overdue)
    now_text = utc_text(f.now) if f.now else "9999"
    if f.ready_to_release is not None:
        where.add(READY if f.ready_to_release else f"NOT {READY}", now_text)
    where.add("h.registered_position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT h.device_id, h.company_id, h.registered_position, h.serial, h.model,"
            " h.category, h.contract_type, h.status, h.assignee_id, h.assignee_name,"
            " h.lease_start, h.renewal_date, h.company_cost_minor, h.currency,"
            " h.registered_at, h.version, h.received, h.replacement_for, h.replacement_id,"
            " h.phase, h.preliminary_choice, h.final_decision, h.overdue, h.buyer_id,"
            f" {READY}"
            f" FROM hardware_overview h{where.sql()} ORDER BY h.registered_position LIMIT ?",
            [now_text, *where.params, limit + 1],
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
            "received": bool(r[16]),
            "replacement_for": r[17],
            "replacement_id": r[18],
            "end_of_lease": {
                "phase": r[19],
                "preliminary_choice": r[20],
                "final_decision": r[21],
                "overdue": bool(r[22]),
            },
            "buyer_id": r[23],
            "ready_to_release": bool(r[24]),
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


# One event may carry several charge lines, so the cursor names a line: position and line.
LINES_PER_EVENT = 10_000


def query_charges(db: Database, f: ChargeFilter) -> Page:
    where = _Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("subscription_id = ?", str(f.subscription_id) if f.subscription_id else None)
    where.add("charge_date >= ?", f.charged_from.isoformat() if f.charged_from else None)
    where.add("charge_date < ?", f.charged_to.isoformat() if f.charged_to else None)
    where.add(f"position * {LINES_PER_EVENT} + line_no > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT position, line_no, company_id, subscription_id, charge_date, kind,"
            " product_id, description, quantity, unit_price_minor, months, discount,"
            " amount_minor, currency, po_reference, separate_invoice, period_start, period_end"
            f" FROM charges{where.sql()} ORDER BY position, line_no LIMIT ?",
            [*where.params, limit + 1],
        )
    page = rows[:limit]
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
    last = page[-1] if page else None
    next_cursor = last[0] * LINES_PER_EVENT + last[1] if len(rows) > limit and last else None
    return Page(items=items, next_cursor=next_cursor)


IN_LEASE_FLOW = in_lease_flow_sql()


def leased_devices_in_use(db: Database) -> list[UUID]:
    """Devices the end-of-lease rules apply to: leased, active, assigned, with a renewal."""
    with db.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT device_id FROM hardware_overview WHERE {IN_LEASE_FLOW}"
            " ORDER BY registered_position"
        )
    return [UUID(r[0]) for r in rows]


def bought_devices_by_company(db: Database) -> list[tuple[UUID, str, list[UUID]]]:
    """(company, its time zone, its devices bought by employees and not yet released)."""
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT h.company_id, c.time_zone, h.device_id FROM hardware_overview h"
            " JOIN hardware_overview_companies c ON c.company_id = h.company_id"
            " WHERE h.status = 'active_bought_by_employee'"
            " ORDER BY h.company_id, h.registered_position"
        )
    grouped: dict[str, tuple[str, list[UUID]]] = {}
    for company_id, time_zone, device_id in rows:
        grouped.setdefault(company_id, (time_zone, []))[1].append(UUID(device_id))
    return [(UUID(c), tz, ids) for c, (tz, ids) in grouped.items()]
