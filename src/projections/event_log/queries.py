"""Reads of the event log: the company's audit trail, and one device's, subscription's or
rental account's.

Event logs are for those who manage a company (operators, admins, service accounts).
Another company's aggregate answers exactly like a missing one; whose it is comes from the
log's own rows, so the answer agrees with the position a reader waited for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.model import bounds
from domain.model.actor import Caller, Role
from domain.model.errors import NotFound
from domain.model.rental_account import account_id_for
from projections.directory.actors import named_actors
from projections.jsonable import utc_text
from projections.reading import MANAGERS, ListFilter, Page, ViewReads, Views, Where, fetch_page


@dataclass(frozen=True, slots=True, kw_only=True)
class EventLogFilter(ListFilter):
    aggregate_id: UUID | None = None
    aggregate_type: str | None = None
    actor_id: str | None = None
    operation: str | None = None  # `Device.FinalDecisionRequested` or `FinalDecisionRequested`
    occurred_from: datetime | None = None  # inclusive
    occurred_to: datetime | None = None  # exclusive: periods are half-open

    def __post_init__(self) -> None:  # a filter is client input too (ADR 0014)
        bounds.optional_instant(self.occurred_from, "occurred_from")
        bounds.optional_instant(self.occurred_to, "occurred_to")


def query_event_log(views: Views, caller: Caller, f: EventLogFilter) -> Page:
    """Every event of the caller's company (operators: of every company, or the one asked)."""
    caller.require(*MANAGERS)
    scoped = replace(f, company_id=caller.scope(f.company_id))
    with views.transaction() as tx:
        return _page(tx, caller, scoped)


def query_device_events(
    views: Views, caller: Caller, device_id: UUID, *, after: int | None = None, limit: int = 100
) -> Page:
    """One device's events. Employees may not read event logs: refused whatever the id."""
    caller.require(*MANAGERS)
    with views.transaction() as tx:
        _require_visible(tx, caller, "Device", device_id)
        return _page(tx, caller, EventLogFilter(aggregate_id=device_id, after=after, limit=limit))


def query_subscription_history(
    views: Views,
    caller: Caller,
    subscription_id: UUID,
    *,
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """One subscription's events. Employees never see subscriptions: not found, whatever
    the id, as when reading one."""
    if caller.role == Role.EMPLOYEE:
        raise NotFound("Subscription not found.")
    caller.require(*MANAGERS)
    with views.transaction() as tx:
        _require_visible(tx, caller, "Subscription", subscription_id)
        filtered = EventLogFilter(aggregate_id=subscription_id, after=after, limit=limit)
        return _page(tx, caller, filtered)


def query_rental_account_history(
    views: Views,
    caller: Caller,
    company_id: UUID,
    *,
    after: int | None = None,
    limit: int = 100,
) -> Page:
    """The company's rental contract history: every redemption, activation, charge,
    suspension, resume, swap and end on its account, oldest first (empty before its first use)."""
    caller.require(*MANAGERS)
    caller.require_company(company_id, "Company")
    account = account_id_for(company_id)
    with views.transaction() as tx:
        return _page(tx, caller, EventLogFilter(aggregate_id=account, after=after, limit=limit))


def query_event(views: Views, caller: Caller, position: int) -> dict[str, Any]:
    """One event, by its log position, with its actor named: another company's answers
    exactly like a position that was never written (or a technical record, never logged)."""
    caller.require(*MANAGERS)
    with views.transaction() as tx:
        row = tx.fetchone("SELECT company_id FROM event_log WHERE position = ?", [position])
        if row is None or (row[0] is None and caller.role != Role.OPERATOR):
            raise NotFound("Event not found.")
        if row[0] is not None:
            caller.require_company(UUID(row[0]), "Event")
        # The page of one: the same columns, names and details as every list shows.
        page = _page(tx, caller, EventLogFilter(after=position - 1, limit=1))
    return page.items[0]


def _require_visible(
    tx: ViewReads, caller: Caller, aggregate_type: str, aggregate_id: UUID
) -> None:
    """A missing id, an id of another kind and another company's id all answer alike."""
    first = tx.fetchone(
        "SELECT aggregate_type, company_id FROM event_log WHERE aggregate_id = ?"
        " ORDER BY position LIMIT 1",
        [str(aggregate_id)],
    )
    if first is None or first[0] != aggregate_type or first[1] is None:
        raise NotFound(f"{aggregate_type} not found.")
    caller.require_company(UUID(first[1]), aggregate_type)


def _page(tx: ViewReads, caller: Caller, f: EventLogFilter) -> Page:
    where = Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("aggregate_id = ?", str(f.aggregate_id) if f.aggregate_id else None)
    where.add("aggregate_type = ?", f.aggregate_type)
    where.add("actor_id = ?", f.actor_id)
    if f.operation is not None and "." not in f.operation:
        # The short name (`FinalDecisionRequested`): the operation less its aggregate type.
        where.add("substr(operation, length(aggregate_type) + 2) = ?", f.operation)
    else:
        where.add("operation = ?", f.operation)
    where.add("occurred_at >= ?", utc_text(f.occurred_from) if f.occurred_from else None)
    where.add("occurred_at < ?", utc_text(f.occurred_to) if f.occurred_to else None)
    rows, more = fetch_page(
        tx,
        "SELECT position, company_id, aggregate_type, aggregate_id, aggregate_version,"
        " operation, occurred_at, actor_id, actor_role, correlation_id, details"
        " FROM event_log",
        where,
        "position",
        f.limit,
        after=f.after,
    )
    # Who is behind each actor id, from the directory, in the same transaction.
    actors = named_actors(tx, caller, ((r[7], r[8]) for r in rows))
    items = [
        {
            "position": r[0],
            "company_id": r[1],
            "aggregate_type": r[2],
            "aggregate_id": r[3],
            "aggregate_version": r[4],
            "operation": r[5],
            "occurred_at": r[6],
            "actor": dict(actors[r[7]]),
            "correlation_id": r[9],
            "details": json.loads(r[10]),
        }
        for r in rows
    ]
    next_cursor = items[-1]["position"] if more else None
    return Page(items=items, next_cursor=next_cursor)
