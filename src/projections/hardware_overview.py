"""Hardware overview: one row per device with status, assignee, category, contract, renewal.

Member names are kept in a side table fed by member events, so the overview can show
who holds a device without looking outside the log.
"""

from __future__ import annotations

from typing import Any

from domain.model.device import Device, DeviceStatus
from domain.model.member import Member
from projections.base import Projection, ViewSession
from projections.jsonable import utc_text


class HardwareOverview(Projection):
    name = "hardware_overview"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "hardware_overview": """
            device_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            registered_position BIGINT NOT NULL,
            serial TEXT NOT NULL,
            model TEXT NOT NULL,
            category TEXT NOT NULL,
            contract_type TEXT NOT NULL,
            status TEXT NOT NULL,
            assignee_id TEXT,
            assignee_name TEXT,
            lease_start TEXT,
            renewal_date TEXT,
            company_cost_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            version INTEGER NOT NULL
        """,
        "hardware_overview_members": """
            member_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            name TEXT NOT NULL
        """,
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {hardware_overview}_by_company"
        " ON {hardware_overview} (company_id, registered_position)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Member.Registered):
            view.execute(
                "INSERT INTO {hardware_overview_members} (member_id, company_id, name)"
                " VALUES (?, ?, ?)",
                (str(event.originator_id), str(event.company_id), event.name),
            )
        elif isinstance(event, Device.Registered):
            self._registered(event, position, view)
        elif isinstance(event, Device.Assigned):
            row = view.fetchone(
                "SELECT name FROM {hardware_overview_members} WHERE member_id = ?",
                (str(event.member_id),),
            )
            view.execute(
                "UPDATE {hardware_overview} SET assignee_id = ?, assignee_name = ?,"
                " status = CASE WHEN status = ? THEN ? ELSE status END, version = ?"
                " WHERE device_id = ?",
                (
                    str(event.member_id),
                    row[0] if row else None,
                    DeviceStatus.IN_STOCK.value,
                    DeviceStatus.ACTIVE.value,
                    event.originator_version,
                    str(event.originator_id),
                ),
            )
        elif isinstance(event, Device.Unassigned):
            view.execute(
                "UPDATE {hardware_overview} SET assignee_id = NULL, assignee_name = NULL,"
                " status = CASE WHEN status = ? THEN ? ELSE status END, version = ?"
                " WHERE device_id = ?",
                (
                    DeviceStatus.ACTIVE.value,
                    DeviceStatus.IN_STOCK.value,
                    event.originator_version,
                    str(event.originator_id),
                ),
            )

    def _registered(self, event: Device.Registered, position: int, view: ViewSession) -> None:
        view.execute(
            "INSERT INTO {hardware_overview} (device_id, company_id, registered_position, serial,"
            " model, category, contract_type, status, assignee_id, assignee_name, lease_start,"
            " renewal_date, company_cost_minor, currency, registered_at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                str(event.company_id),
                position,
                event.serial,
                event.model,
                event.category,
                str(event.contract_type),
                DeviceStatus.IN_STOCK.value,
                event.lease_start.isoformat() if event.lease_start else None,
                event.renewal_date.isoformat() if event.renewal_date else None,
                event.company_cost.minor,
                event.company_cost.currency,
                utc_text(event.at),
                event.originator_version,
            ),
        )
