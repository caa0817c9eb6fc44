"""Reads of the subscription overview: subscriptions with their seat lines, for those who
manage a company (operators: every company's, or the one asked for); and what the
scheduler visits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.model.actor import Caller
from domain.model.device_lifecycle import DeviceStatus
from domain.model.management_rights import DEFAULT_RIGHT
from domain.model.product import PRODUCT_GROUPS, ProductKind
from projections.jsonable import money_json
from projections.reading import (
    MANAGERS,
    MAX_PAGE,
    ListFilter,
    Page,
    Views,
    Where,
    every_item,
    fetch_page,
    rows_by_key,
)
from projections.subscription_overview.projection import ENDED_STATUSES as ENDED

# Devices in use at a company: assigned and not (yet) returned or bought out.
DEPLOYED = tuple(s.value for s in DeviceStatus if s.value.startswith("active"))


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionFilter(ListFilter):
    status: str | None = None
    subscription_id: UUID | None = None


def query_subscriptions(views: Views, caller: Caller, f: SubscriptionFilter) -> Page:
    caller.require(*MANAGERS)
    where = Where.in_scope(caller, f.company_id)
    where.add("status = ?", f.status)
    where.add("subscription_id = ?", str(f.subscription_id) if f.subscription_id else None)
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            "SELECT subscription_id, company_id, created_position, status, term, start_date,"
            " term_start, term_end, charged_through, renewal_option, cancel_at_term_end,"
            " po_reference, separate_invoice, version, management_right"
            " FROM subscriptions LEFT JOIN company_rights USING (company_id)",
            where,
            "created_position",
            f.limit,
            after=f.after,
        )
        found = rows_by_key(
            tx,
            "SELECT subscription_id, product_id, product_name, kind, seats, assigned,"
            " pending_removal, unit_price_minor, currency FROM subscription_lines",
            "subscription_id",
            [r[0] for r in rows],
            "product_name, product_id",
        )
        lines = {
            subscription_id: [
                {
                    "product_id": r[1],
                    "product_name": r[2],
                    "kind": r[3],
                    "group": PRODUCT_GROUPS[ProductKind(r[3])],
                    "seats": r[4],
                    "assigned": r[5],
                    "free": max(r[4] - r[6] - r[5], 0),
                    "pending_removal": r[6],
                    "unit_price": money_json(r[7], r[8]),
                }
                for r in found_lines
            ]
            for subscription_id, found_lines in found.items()
        }
        deployed = _deployed_devices(tx, {r[1] for r in rows})
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
            "management_right": r[14] or DEFAULT_RIGHT.value,
            "lines": lines[r[0]],
            "groups": _groups(lines[r[0]]),
            "deployed_devices": deployed.get(r[1], 0),
        }
        for r in rows
    ]
    return Page(items=items, next_cursor=rows[-1][2] if more else None)


def _groups(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines by product group (services, options, applications, custom), each with
    its seats and assignments summed; groups without lines left out."""
    groups = []
    for group in PRODUCT_GROUPS.values():
        mine = [line for line in lines if line["group"] == group]
        if mine:
            groups.append(
                {
                    "group": group,
                    "seats": sum(line["seats"] for line in mine),
                    "assigned": sum(line["assigned"] for line in mine),
                    "product_ids": [line["product_id"] for line in mine],
                }
            )
    return groups


def _deployed_devices(tx: Any, companies: set[str]) -> dict[str, int]:
    """Per company, its devices in use (the hardware overview's active statuses): what the
    seats should match (seed 001)."""
    if not companies:
        return {}
    marks = ", ".join("?" for _ in companies)
    statuses = ", ".join("?" for _ in DEPLOYED)
    found = tx.fetchall(
        f"SELECT company_id, COUNT(*) FROM hardware_overview WHERE company_id IN ({marks})"
        f" AND status IN ({statuses}) GROUP BY company_id",
        [*sorted(companies), *DEPLOYED],
    )
    return {company: int(count) for company, count in found}


def company_subscription_ids(views: Views, caller: Caller, company_id: UUID) -> list[UUID]:
    """A company's subscriptions not ended, oldest first (the licences a member file takes)."""
    items = every_item(
        lambda after: query_subscriptions(
            views, caller, SubscriptionFilter(company_id=company_id, after=after, limit=MAX_PAGE)
        )
    )
    return [UUID(i["subscription_id"]) for i in items if i["status"] not in ENDED]
