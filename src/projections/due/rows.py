"""The due read model's rows: its companies, members and devices, and the one due row each
aggregate has per rule family (`put`). Shared by the projection's handlers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.model.due import Due, Rule
from projections.base import ViewSession
from projections.jsonable import utc_text


def device_ids(view: ViewSession, where: str, params: tuple[Any, ...]) -> list[str]:
    sql = "SELECT device_id FROM {due_devices} WHERE " + where  # noqa: S608 (our clauses)
    return [r[0] for r in view.fetchall(sql + " ORDER BY registered_position", params)]


def company_row(view: ViewSession, company: str) -> tuple[str, str | None]:
    row = view.fetchone(
        "SELECT time_zone, last_digest_week FROM {due_companies} WHERE company_id = ?",
        (company,),
    )
    assert row is not None, company  # a company's registration comes before its facts
    return row[0], row[1]


def company_time_zone(view: ViewSession, company: str) -> str:
    return company_row(view, company)[0]


def member_last_day(view: ViewSession, member: str | None) -> date | None:
    if member is None:
        return None
    row = view.fetchone(
        "SELECT last_employment_day FROM {due_members} WHERE member_id = ?", (member,)
    )
    return date.fromisoformat(row[0]) if row else None


def put_due(
    view: ViewSession,
    aggregate: str,
    rules: tuple[Rule, ...],
    company: str,
    due: Due | None,
    until: datetime | None = None,
) -> None:
    """Replace the aggregate's row among `rules` (one at a time is due) with `due`."""
    marks = ", ".join("?" for _ in rules)
    view.execute(
        f"DELETE FROM {{due}} WHERE aggregate_id = ? AND rule IN ({marks})",  # noqa: S608
        (aggregate, *(r.value for r in rules)),
    )
    if due is not None:
        view.execute(
            "INSERT INTO {due} (aggregate_id, rule, company_id, due_at, until)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                aggregate,
                due.rule.value,
                company,
                utc_text(due.at),
                utc_text(until) if until else None,
            ),
        )
