"""Usage: each entity's active intervals with the first and last local month they touch.

A batch's changes are folded into `usage_marks`; each touched entity's intervals are then
recomputed from its own marks by the ledger's rule (domain/model/usage.py: `intervals`) and
its rows in `usage_intervals` replaced — never a rescan of the ledger or of other entities,
and exact whatever the order changes arrive in. A month's entities are the rows with
first_month <= M <= last_month (last_month NULL: still active). A company's new time zone
recomputes the months of its own rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.model.company import Company
from domain.model.time import DEFAULT_TIME_ZONE
from domain.model.usage import ActiveInterval, UsageChange, intervals, months_touched
from domain.model.usage_ledger import UsageLedger
from domain.model.usage_price_list import UsagePriceList
from projections.base import Projection, ViewSession, update_row
from projections.jsonable import utc_text

_IN_LIST = 500  # entity ids per read of their marks


class UsageProjection(Projection):
    name = "usage"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "usage_companies": """
            company_id TEXT PRIMARY KEY,
            time_zone TEXT NOT NULL,
            currency TEXT NOT NULL
        """,
        "usage_marks": """
            company_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            change_id TEXT NOT NULL,
            PRIMARY KEY (company_id, kind, entity_id, at)
        """,
        "usage_intervals": """
            company_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            start_at TEXT NOT NULL,
            end_at TEXT,
            first_month TEXT NOT NULL,
            last_month TEXT,
            PRIMARY KEY (company_id, kind, entity_id, start_at)
        """,
        "usage_prices": """
            kind TEXT NOT NULL,
            currency TEXT NOT NULL,
            minor BIGINT NOT NULL,
            PRIMARY KEY (kind, currency)
        """,
        "usage_descriptions": """
            kind TEXT PRIMARY KEY,
            description TEXT NOT NULL
        """,
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {usage_intervals}_by_month"
        " ON {usage_intervals} (company_id, first_month)",
        "CREATE INDEX IF NOT EXISTS {usage_marks}_by_entity"
        " ON {usage_marks} (company_id, entity_id)",
    )
    handles = (
        UsageLedger.ChangesRecorded,
        UsagePriceList.PriceSet,
        Company.Registered,
        Company.TimeZoneChanged,
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        del position  # the rows are keyed by company, entity and instant, not by position
        if isinstance(event, UsageLedger.ChangesRecorded):
            self._changes(view, str(event.company_id), event.changes)
        elif isinstance(event, UsagePriceList.PriceSet):
            view.execute("DELETE FROM {usage_prices} WHERE kind = ?", (event.kind,))
            for currency, minor in sorted(event.prices.items()):
                view.execute(
                    "INSERT INTO {usage_prices} (kind, currency, minor) VALUES (?, ?, ?)",
                    (event.kind, currency, minor),
                )
            view.execute("DELETE FROM {usage_descriptions} WHERE kind = ?", (event.kind,))
            view.execute(
                "INSERT INTO {usage_descriptions} (kind, description) VALUES (?, ?)",
                (event.kind, event.description),
            )
        elif isinstance(event, Company.Registered):
            view.execute(
                "INSERT INTO {usage_companies} (company_id, time_zone, currency) VALUES (?, ?, ?)",
                (str(event.originator_id), event.time_zone, event.currency),
            )
        elif isinstance(event, Company.TimeZoneChanged):
            update_row(view, "usage_companies", "company_id", event, time_zone=event.time_zone)
            self._remonth(view, str(event.originator_id), event.time_zone)

    def _changes(self, view: ViewSession, company: str, changes: list[UsageChange]) -> None:
        tz = _zone(view, company)
        touched: dict[tuple[str, str], None] = {}
        for c in changes:
            view.execute(
                "INSERT INTO {usage_marks} (company_id, kind, entity_id, at, action, change_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (company, c.kind, c.entity_id, utc_text(c.at), c.action, c.change_id),
            )
            touched[(c.kind, c.entity_id)] = None
        # One read for every touched entity's marks (the batch's included), then writes only.
        timelines: dict[tuple[str, str], list[UsageChange]] = {key: [] for key in touched}
        entity_ids = sorted({entity for _, entity in touched})
        for start in range(0, len(entity_ids), _IN_LIST):
            chunk = entity_ids[start : start + _IN_LIST]
            marks = ", ".join("?" for _ in chunk)
            for kind, entity, at, action, cid in view.fetchall(
                "SELECT kind, entity_id, at, action, change_id FROM {usage_marks}"  # noqa: S608 (placeholders only)
                f" WHERE company_id = ? AND entity_id IN ({marks}) ORDER BY at",
                (company, *chunk),
            ):
                if (kind, entity) in timelines:
                    timelines[(kind, entity)].append(
                        UsageChange(
                            change_id=cid, kind=kind, entity_id=entity, action=action, at=_at(at)
                        )
                    )
        for kind, entity in timelines:
            view.execute(
                "DELETE FROM {usage_intervals} WHERE company_id = ? AND kind = ? AND entity_id = ?",
                (company, kind, entity),
            )
        for (kind, entity), timeline in timelines.items():
            for interval in intervals(timeline):
                first, last = months_touched(interval, tz)
                view.execute(
                    "INSERT INTO {usage_intervals} (company_id, kind, entity_id, start_at,"
                    " end_at, first_month, last_month) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        company,
                        kind,
                        entity,
                        utc_text(interval.start),
                        None if interval.end is None else utc_text(interval.end),
                        first,
                        last,
                    ),
                )

    @staticmethod
    def _remonth(view: ViewSession, company: str, tz: str) -> None:
        rows = view.fetchall(
            "SELECT kind, entity_id, start_at, end_at FROM {usage_intervals} WHERE company_id = ?",
            (company,),
        )
        for kind, entity, start, end in rows:
            interval = ActiveInterval(_at(start), None if end is None else _at(end))
            first, last = months_touched(interval, tz)
            view.execute(
                "UPDATE {usage_intervals} SET first_month = ?, last_month = ?"
                " WHERE company_id = ? AND kind = ? AND entity_id = ? AND start_at = ?",
                (first, last, company, kind, entity, start),
            )


def _zone(view: ViewSession, company: str) -> str:
    row = view.fetchone("SELECT time_zone FROM {usage_companies} WHERE company_id = ?", (company,))
    return str(row[0]) if row else DEFAULT_TIME_ZONE


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
