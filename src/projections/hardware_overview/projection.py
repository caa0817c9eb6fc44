"""Hardware overview: one row per device — status, assignee, category, contract, renewal, and
the end-of-lease state (phase, preliminary choice, final decision, overdue, replacement,
buyer, offboarding release time) that admins filter by.

Side tables fed by member and company events give assignee names and the time zone that
turns a last employment day into its 05:00 release instant, so nothing is looked up outside
the log. Whether a bought device is ready to release is answered at query time from the
replacement's row (and, for offboarding, the clock).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.model.company import Company
from domain.model.device import Device, DeviceStatus
from domain.model.end_of_lease import offboarding_release_from
from domain.model.member import Member
from projections.base import Projection, ViewSession
from projections.jsonable import utc_text


class HardwareOverview(Projection):
    name = "hardware_overview"
    version = 2
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
            received BOOLEAN NOT NULL,
            replacement_for TEXT,
            replacement_id TEXT,
            phase TEXT NOT NULL,
            preliminary_choice TEXT,
            final_decision TEXT,
            overdue BOOLEAN NOT NULL,
            buyer_id TEXT,
            release_from TEXT,
            version INTEGER NOT NULL
        """,
        "hardware_overview_members": """
            member_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            name TEXT NOT NULL,
            last_employment_day TEXT
        """,
        "hardware_overview_companies": """
            company_id TEXT PRIMARY KEY,
            time_zone TEXT NOT NULL
        """,
    }
    handles = (
        Company.Registered,
        Company.TimeZoneChanged,
        Member.Registered,
        Member.LastEmploymentDaySet,
        Device.Event,
    )
    indexes = (
        "CREATE INDEX IF NOT EXISTS {hardware_overview}_by_company"
        " ON {hardware_overview} (company_id, registered_position)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Company.Registered):
            view.execute(
                "INSERT INTO {hardware_overview_companies} (company_id, time_zone) VALUES (?, ?)",
                (str(event.originator_id), event.time_zone),
            )
        elif isinstance(event, Company.TimeZoneChanged):
            view.execute(
                "UPDATE {hardware_overview_companies} SET time_zone = ? WHERE company_id = ?",
                (event.time_zone, str(event.originator_id)),
            )
        elif isinstance(event, Member.Registered):
            view.execute(
                "INSERT INTO {hardware_overview_members} (member_id, company_id, name,"
                " last_employment_day) VALUES (?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.company_id),
                    event.name,
                    _iso(event.last_employment_day),
                ),
            )
        elif isinstance(event, Member.LastEmploymentDaySet):
            view.execute(
                "UPDATE {hardware_overview_members} SET last_employment_day = ?"
                " WHERE member_id = ?",
                (_iso(event.last_employment_day), str(event.originator_id)),
            )
            # The buyer's offboarding moves the release time of what they bought.
            view.execute(
                "UPDATE {hardware_overview} SET release_from = ? WHERE buyer_id = ?",
                (self._release_from(view, str(event.originator_id)), str(event.originator_id)),
            )
        elif isinstance(event, Device.Event):
            self._device(event, position, view)

    def _device(self, event: Any, position: int, view: ViewSession) -> None:
        device = str(event.originator_id)
        version = event.originator_version
        if isinstance(event, Device.Registered):
            self._registered(event, position, view)
        elif isinstance(event, Device.Assigned):
            # One statement, no read: the name comes from the side table in a subquery.
            view.execute(
                "UPDATE {hardware_overview} SET assignee_id = ?, assignee_name = (SELECT name"
                " FROM {hardware_overview_members} WHERE member_id = ?),"
                " status = CASE WHEN status = ? AND received THEN ? ELSE status END,"
                " version = ? WHERE device_id = ?",
                (
                    str(event.member_id),
                    str(event.member_id),
                    DeviceStatus.IN_STOCK.value,
                    DeviceStatus.ACTIVE.value,
                    version,
                    device,
                ),
            )
        elif isinstance(event, Device.Unassigned):
            view.execute(
                "UPDATE {hardware_overview} SET assignee_id = NULL, assignee_name = NULL,"
                " status = CASE WHEN status = ? THEN ? ELSE status END, version = ?"
                " WHERE device_id = ?",
                (DeviceStatus.ACTIVE.value, DeviceStatus.IN_STOCK.value, version, device),
            )
        elif isinstance(event, Device.EndOfLeaseOpened):
            self._set(view, device, version, phase="preliminary")
        elif isinstance(event, Device.PreliminaryChoiceMade):
            self._set(
                view,
                device,
                version,
                preliminary_choice=str(event.choice) if event.choice else None,
            )
        elif isinstance(event, Device.FinalDecisionRequested):
            self._set(view, device, version, phase="final")
        elif isinstance(event, Device.ReturnChosen):
            self._set(
                view,
                device,
                version,
                phase="decided",
                final_decision="return",
                overdue=False,
                status=DeviceStatus.ACTIVE_PENDING_RETURN.value,
            )
        elif isinstance(event, Device.BuyoutCheckoutStarted):
            self._set(view, device, version, phase="checkout_open")
        elif isinstance(event, Device.BuyoutCheckoutFailed):
            self._set(view, device, version, phase="final")
        elif isinstance(event, Device.BuyoutPaid):
            row = view.fetchone(
                "SELECT assignee_id FROM {hardware_overview} WHERE device_id = ?", (device,)
            )
            buyer = row[0] if row else None
            self._set(
                view,
                device,
                version,
                phase="decided",
                final_decision="buyout",
                overdue=False,
                status=DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE.value,
                buyer_id=buyer,
                release_from=self._release_from(view, buyer) if buyer else None,
            )
        elif isinstance(event, Device.MarkedOverdue):
            self._set(view, device, version, overdue=True)
        elif isinstance(event, Device.ReplacementLinked | Device.RmaSwapped):
            extra = (
                {"status": DeviceStatus.RMA_PENDING.value}
                if isinstance(event, Device.RmaSwapped)
                else {}
            )
            self._set(view, device, version, replacement_id=str(event.replacement_id), **extra)
        elif isinstance(event, Device.MarkedReceived):
            view.execute(
                "UPDATE {hardware_overview} SET received = ?, status = CASE WHEN status = ?"
                " AND assignee_id IS NOT NULL THEN ? ELSE status END, version = ?"
                " WHERE device_id = ?",
                (True, DeviceStatus.IN_STOCK.value, DeviceStatus.ACTIVE.value, version, device),
            )
        elif isinstance(event, Device.SerialRecorded):
            self._set(view, device, version, serial=event.serial)
        elif isinstance(event, Device.Released):
            self._set(view, device, version, status=DeviceStatus.BOUGHT_BY_EMPLOYEE.value)
        elif isinstance(event, Device.ReturnConfirmed):
            self._set(view, device, version, status=DeviceStatus.RETURNED.value)
        elif isinstance(event, Device.Removed):
            self._set(view, device, version, status=DeviceStatus.REMOVED.value)
        else:  # facts that change no column here still move the version
            self._set(view, device, version)

    @staticmethod
    def _set(view: ViewSession, device: str, version: int, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        sql = "UPDATE {hardware_overview} SET " + (  # noqa: S608 (column names are ours)
            assignments + ", " if assignments else ""
        )
        view.execute(sql + "version = ? WHERE device_id = ?", (*columns.values(), version, device))

    @staticmethod
    def _release_from(view: ViewSession, member_id: str | None) -> str | None:
        """05:00 local on the buyer's last employment day, as fixed-width UTC text."""
        if member_id is None:
            return None
        row = view.fetchone(
            "SELECT m.last_employment_day, c.time_zone FROM {hardware_overview_members} m"
            " JOIN {hardware_overview_companies} c ON c.company_id = m.company_id"
            " WHERE m.member_id = ?",
            (member_id,),
        )
        if row is None or row[0] is None:
            return None
        return utc_text(offboarding_release_from(date.fromisoformat(row[0]), row[1]))

    def _registered(self, event: Device.Registered, position: int, view: ViewSession) -> None:
        view.execute(
            "INSERT INTO {hardware_overview} (device_id, company_id, registered_position, serial,"
            " model, category, contract_type, status, assignee_id, assignee_name, lease_start,"
            " renewal_date, company_cost_minor, currency, registered_at, received,"
            " replacement_for, replacement_id, phase, preliminary_choice, final_decision,"
            " overdue, buyer_id, release_from, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, NULL, 'none',"
            " NULL, NULL, ?, NULL, NULL, ?)",
            (
                str(event.originator_id),
                str(event.company_id),
                position,
                event.serial,
                event.model,
                event.category,
                str(event.contract_type),
                DeviceStatus.IN_STOCK.value,
                _iso(event.lease_start),
                _iso(event.renewal_date),
                event.company_cost.minor,
                event.company_cost.currency,
                utc_text(event.at),
                event.replacement_for is None,
                str(event.replacement_for) if event.replacement_for else None,
                False,
                event.originator_version,
            ),
        )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
