"""Reads of the hardware overview: the filtered device list, and what the scheduler visits.

Admins and service accounts see their own company's devices, operators every company's
(or the one asked for), employees only the devices assigned to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.model import bounds
from domain.model.actor import Caller, Role
from domain.model.device_lifecycle import TERMINAL_STATUSES
from projections.hardware_overview.rules_sql import in_lease_flow_sql, ready_to_release_sql
from projections.jsonable import money_json, utc_text
from projections.reading import ListFilter, Page, Views, Where, fetch_page


@dataclass(frozen=True, slots=True, kw_only=True)
class HardwareFilter(ListFilter):
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
    include_closed: bool = False  # released (bought) and removed devices; a status shows them
    now: datetime | None = None  # for ready_to_release: offboarding releases are time-bound

    def __post_init__(self) -> None:  # a filter is client input too (ADR 0014)
        bounds.optional_date(self.renewal_from, "renewal_from")
        bounds.optional_date(self.renewal_to, "renewal_to")


# A bought device is ready to release when its linked replacement is received (active) with
# a serial recorded — or its buyer's offboarding release time (05:00 on D) has passed.
READY = ready_to_release_sql()
IN_LEASE_FLOW = in_lease_flow_sql()
# Devices whose story is over (released to their buyer, removed): left out of the default list.
CLOSED = tuple(str(status) for status in TERMINAL_STATUSES)


def query_hardware(views: Views, caller: Caller, f: HardwareFilter) -> Page:
    where = Where.in_scope(caller, f.company_id, "h.company_id")
    # Employees see their own devices only, whoever they ask about.
    assignee_id = caller.member_id if caller.role == Role.EMPLOYEE else f.assignee_id
    where.add("h.status = ?", f.status)
    if f.status is None and not f.include_closed:
        where.add_each(f"h.status NOT IN ({', '.join('?' * len(CLOSED))})", CLOSED)
    where.add("h.category = ?", f.category.lower() if f.category else None)
    where.add("h.contract_type = ?", f.contract_type)
    where.add("h.assignee_id = ?", str(assignee_id) if assignee_id else None)
    where.add("h.renewal_date >= ?", f.renewal_from.isoformat() if f.renewal_from else None)
    where.add("h.renewal_date < ?", f.renewal_to.isoformat() if f.renewal_to else None)
    where.add("h.serial = ?", f.serial)
    where.add("h.preliminary_choice = ?", f.preliminary_choice)
    where.add("h.phase = ?", f.phase)
    where.add("h.overdue = ?", f.overdue)
    now_text = utc_text(f.now) if f.now else "9999"
    if f.ready_to_release is not None:
        where.add(READY if f.ready_to_release else f"NOT {READY}", now_text)
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            "SELECT h.device_id, h.company_id, h.registered_position, h.serial, h.model,"
            " h.category, h.contract_type, h.status, h.assignee_id, h.assignee_name,"
            " h.lease_start, h.renewal_date, h.company_cost_minor, h.currency,"
            " h.registered_at, h.version, h.received, h.replacement_for, h.replacement_id,"
            " h.phase, h.preliminary_choice, h.final_decision, h.overdue, h.buyer_id,"
            f" {READY}"
            " FROM hardware_overview h",
            where,
            "h.registered_position",
            f.limit,
            after=f.after,
            select_params=[now_text],
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
            "company_cost": money_json(r[12], r[13]),
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
        for r in rows
    ]
    return Page(items=items, next_cursor=rows[-1][2] if more else None)


def leased_devices_in_use(views: Views) -> list[UUID]:
    """Devices the end-of-lease rules apply to: leased, active, assigned, with a renewal."""
    with views.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT device_id FROM hardware_overview WHERE {IN_LEASE_FLOW}"
            " ORDER BY registered_position"
        )
    return [UUID(r[0]) for r in rows]
