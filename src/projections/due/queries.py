"""What the `due` read model answers: the jobs due at an instant, and a digest's candidates.

The reader hands an open view transaction with the live table names; the scheduler is the
only caller (jobs are system work: no caller, no tenancy to apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.model.due import DIGEST_RULES, Rule, digest_due
from projections.base import ViewSession
from projections.jsonable import utc_text


@dataclass(frozen=True, slots=True)
class DueJob:
    aggregate_id: UUID
    rule: Rule
    company_id: UUID
    due_at: str  # fixed-width UTC text, as stored


def due_jobs(view: ViewSession, now: datetime) -> list[DueJob]:
    """Every row due at `now`, oldest first. A weekly row re-armed by a sent digest has no
    end: it is due on Mondays from 09:00 local only."""
    at = utc_text(now)
    rows = view.fetchall(
        "SELECT d.aggregate_id, d.rule, d.company_id, d.due_at, d.until, c.time_zone"
        " FROM {due} d JOIN {due_companies} c ON c.company_id = d.company_id"
        " WHERE d.due_at <= ? AND (d.until IS NULL OR d.until > ?)"
        " ORDER BY d.due_at, d.aggregate_id, d.rule",
        (at, at),
    )
    jobs = []
    for aggregate_id, rule, company_id, due_at, until, time_zone in rows:
        weekly = Rule(rule) in DIGEST_RULES and until is None
        if weekly and not digest_due(now, time_zone):
            continue
        jobs.append(DueJob(UUID(aggregate_id), Rule(rule), UUID(company_id), due_at))
    return jobs


def digest_candidates(view: ViewSession, company_id: UUID) -> list[UUID]:
    """The company's devices bought by their employees and not yet released."""
    rows = view.fetchall(
        "SELECT device_id FROM {due_devices} WHERE company_id = ? AND bought"
        " ORDER BY registered_position",
        (str(company_id),),
    )
    return [UUID(r[0]) for r in rows]
