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
from enum import StrEnum
from typing import Any

from domain.model.company import Company
from domain.model.device import Device
from domain.model.device_lifecycle import TERMINAL_STATUSES, registered
from domain.model.end_of_lease import offboarding_release_from
from domain.model.member import Member
from projections.base import Projection, ViewSession, update_row
from projections.hardware_overview.rules_sql import transition_sql
from projections.jsonable import day_text, utc_text

_CLOSED = ", ".join(f"'{status}'" for status in TERMINAL_STATUSES)
# Each filter of the device list across every company, in list order (ADR 0051).
OPERATOR_WIDE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS {hardware_overview}_in_order"
    " ON {hardware_overview} (registered_position)",
    "CREATE INDEX IF NOT EXISTS {hardware_overview}_open_in_order"
    f" ON {{hardware_overview}} (registered_position) WHERE status NOT IN ({_CLOSED})",
    *(
        f"CREATE INDEX IF NOT EXISTS {{hardware_overview}}_by_{column}"
        f" ON {{hardware_overview}} ({column}, registered_position)"
        for column in (
            "status",
            "category",
            "contract_type",
            "assignee_id",
            "serial",
            "preliminary_choice",
            "phase",
        )
    ),
    "CREATE INDEX IF NOT EXISTS {hardware_overview}_by_renewal"
    " ON {hardware_overview} (renewal_date)",
    "CREATE INDEX IF NOT EXISTS {hardware_overview}_overdue"
    " ON {hardware_overview} (registered_position) WHERE overdue",
)


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
        *OPERATOR_WIDE_INDEXES,
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Company.Registered):
            view.execute(
                "INSERT INTO {hardware_overview_companies} (company_id, time_zone) VALUES (?, ?)",
                (str(event.originator_id), event.time_zone),
            )
        elif isinstance(event, Company.TimeZoneChanged):
            update_row(
                view, "hardware_overview_companies", "company_id", event, time_zone=event.time_zone
            )
        elif isinstance(event, Member.Registered):
            view.execute(
                "INSERT INTO {hardware_overview_members} (member_id, company_id, name,"
                " last_employment_day) VALUES (?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.company_id),
                    event.name,
                    day_text(event.last_employment_day),
                ),
            )
        elif isinstance(event, Member.LastEmploymentDaySet):
            day = day_text(event.last_employment_day)
            update_row(
                view, "hardware_overview_members", "member_id", event, last_employment_day=day
            )
            # The buyer's offboarding moves the release time of what they bought.
            view.execute(
                "UPDATE {hardware_overview} SET release_from = ? WHERE buyer_id = ?",
                (self._release_from(view, str(event.originator_id)), str(event.originator_id)),
            )
        elif isinstance(event, Device.Event):
            self._device(event, position, view)

    def _device(self, event: Any, position: int, view: ViewSession) -> None:
        """One statement per event. The lifecycle columns (status, phase, received, final
        decision, overdue) move as `device_lifecycle` declares (`_set`); the rest here."""
        if isinstance(event, Device.Registered):
            self._registered(event, position, view)
        elif isinstance(event, Device.Assigned):
            # No read: the name comes from the side table in a subquery.
            member = str(event.member_id)
            self._set(view, event, _ASSIGNEE_NAME, (member,), assignee_id=member)
        elif isinstance(event, Device.Unassigned):
            self._set(view, event, assignee_id=None, assignee_name=None)
        elif isinstance(event, Device.PreliminaryChoiceMade):
            self._set(view, event, preliminary_choice=str(event.choice) if event.choice else None)
        elif isinstance(event, Device.BuyoutPaid):
            row = view.fetchone(
                "SELECT assignee_id FROM {hardware_overview} WHERE device_id = ?",
                (str(event.originator_id),),
            )
            buyer = row[0] if row else None
            self._set(
                view,
                event,
                buyer_id=buyer,
                release_from=self._release_from(view, buyer) if buyer else None,
            )
        elif isinstance(event, Device.ReplacementLinked | Device.RmaSwapped):
            self._set(view, event, replacement_id=str(event.replacement_id))
        elif isinstance(event, Device.SerialRecorded):
            self._set(view, event, serial=event.serial)
        else:  # only lifecycle columns, if any; the version moves whatever the fact
            self._set(view, event)

    @staticmethod
    def _set(
        view: ViewSession,
        event: Any,
        expression: str = "",
        expression_params: tuple[Any, ...] = (),
        **columns: Any,
    ) -> None:
        items = [
            *transition_sql(type(event).__name__),
            *(f"{name} = ?" for name in columns),
            *([expression] if expression else []),
            "version = ?",
        ]
        view.execute(
            "UPDATE {hardware_overview} SET "  # noqa: S608 (column names and values are ours)
            + ", ".join(items)
            + " WHERE device_id = ?",
            (
                *columns.values(),
                *expression_params,
                event.originator_version,
                str(event.originator_id),
            ),
        )

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
        lifecycle = registered(replacement=event.replacement_for is not None)
        row = {
            "device_id": str(event.originator_id),
            "company_id": str(event.company_id),
            "registered_position": position,
            "serial": event.serial,
            "model": event.model,
            "category": event.category,
            "contract_type": str(event.contract_type),
            "lease_start": day_text(event.lease_start),
            "renewal_date": day_text(event.renewal_date),
            "company_cost_minor": event.company_cost.minor,
            "currency": event.company_cost.currency,
            "registered_at": utc_text(event.at),
            "replacement_for": str(event.replacement_for) if event.replacement_for else None,
            **{name: _plain(value) for name, value in lifecycle.items()},
            "version": event.originator_version,
        }
        view.execute(
            "INSERT INTO {hardware_overview} ("  # noqa: S608 (column names are ours)
            + ", ".join(row)
            + ") VALUES ("
            + ", ".join("?" for _ in row)
            + ")",
            tuple(row.values()),
        )


def _plain(value: Any) -> Any:
    """An enum as its value: drivers adapt plain str, not every str subclass alike."""
    return value.value if isinstance(value, StrEnum) else value


_ASSIGNEE_NAME = (
    "assignee_name = (SELECT name FROM {hardware_overview_members} WHERE member_id = ?)"
)
