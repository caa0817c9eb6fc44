"""Event log: every business event as one row — operation, when, done by, details (SPEC §1, §7.2).

Technical records (idempotency memories, uniqueness claims) are left out: they are
plumbing, not operations anyone performed.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.domain import Aggregate

from domain.model.idempotency import IdempotencyRecord
from domain.model.unique_claim import UniqueClaim
from projections.base import Projection, ViewSession
from projections.jsonable import event_details, utc_text

NOT_LOGGED = (IdempotencyRecord.Recorded, UniqueClaim.Claimed)
HIDDEN_DETAILS = frozenset({"token_hash"})
# One encoder for every row: json.dumps(..., sort_keys=True) would build a new one per call.
DETAILS_JSON = json.JSONEncoder(sort_keys=True)


def operation_of(event: Any) -> str:
    """'Device.Registered': aggregate and past-tense fact, as the stored topic reads."""
    return str(type(event).__qualname__)


class EventLog(Projection):
    name = "event_log"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "event_log": """
            position BIGINT PRIMARY KEY,
            company_id TEXT,
            aggregate_type TEXT NOT NULL,
            aggregate_id TEXT NOT NULL,
            aggregate_version INTEGER NOT NULL,
            operation TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            actor_role TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            details TEXT NOT NULL
        """,
    }
    handles = (Aggregate.Event,)
    ignores = NOT_LOGGED
    indexes = (
        "CREATE INDEX IF NOT EXISTS {event_log}_by_aggregate"
        " ON {event_log} (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS {event_log}_by_company ON {event_log} (company_id, position)",
        # The operator-wide filters (ADR 0051): each answered by an index in log order.
        "CREATE INDEX IF NOT EXISTS {event_log}_by_type ON {event_log} (aggregate_type, position)",
        "CREATE INDEX IF NOT EXISTS {event_log}_by_actor ON {event_log} (actor_id, position)",
        "CREATE INDEX IF NOT EXISTS {event_log}_by_operation ON {event_log} (operation, position)",
        "CREATE INDEX IF NOT EXISTS {event_log}_by_short_operation"
        " ON {event_log} ((substr(operation, length(aggregate_type) + 2)), position)",
        "CREATE INDEX IF NOT EXISTS {event_log}_by_time ON {event_log} (occurred_at)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, NOT_LOGGED):  # never sent by the projector; kept for direct calls
            return
        operation = operation_of(event)
        view.execute(
            "INSERT INTO {event_log} (position, company_id, aggregate_type, aggregate_id,"
            " aggregate_version, operation, occurred_at, actor_id, actor_role, correlation_id,"
            " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                position,
                str(event.company_id) if event.company_id is not None else None,
                operation.split(".")[0],
                str(event.originator_id),
                event.originator_version,
                operation,
                utc_text(event.at),
                event.actor.id,
                event.actor.role.value,
                event.correlation_id,
                DETAILS_JSON.encode(event_details(event, HIDDEN_DETAILS)),
            ),
        )
