"""Where a read model that cannot fold an event is parked, and why.

One row per parked projection in `projection_failures`, beside its tracking row: the
position of the event it cannot fold, the error, and how often it was tried. The row is
metadata, not a view: the projection's views and position still move together in one
transaction, and the row is deleted in the transaction that folds that event at last
(docs/adr/0013-failing-projections-and-read-waits.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.sql import SqlSession

FAILURES_TABLE = "projection_failures"
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class ProjectionFailure:
    name: str
    position: int  # the event it cannot fold; the projection has folded everything before
    error_type: str  # the exception's class: all that /healthz shows (it is unauthenticated)
    error: str  # class and first line of the message, for operators (`projections status`)
    attempts: int


def create_failures_table(tx: SqlSession) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {FAILURES_TABLE} ("
        " name TEXT PRIMARY KEY, position BIGINT NOT NULL, error_type TEXT NOT NULL,"
        " error TEXT NOT NULL, attempts INTEGER NOT NULL)"
    )


def read_failures(tx: SqlSession) -> dict[str, ProjectionFailure]:
    rows = tx.fetchall(
        f"SELECT name, position, error_type, error, attempts FROM {FAILURES_TABLE} ORDER BY name"
    )
    return {
        str(r[0]): ProjectionFailure(str(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]))
        for r in rows
    }


def record_failure(tx: SqlSession, name: str, position: int, error: BaseException) -> None:
    """Park `name` at `position` (or count one more failed attempt there)."""
    kind = type(error).__name__
    lines = str(error).strip().splitlines()
    described = f"{kind}: {lines[0]}" if lines else kind
    tx.execute(
        f"INSERT INTO {FAILURES_TABLE} (name, position, error_type, error, attempts)"
        " VALUES (?, ?, ?, ?, 1) ON CONFLICT (name) DO UPDATE SET"
        " position = excluded.position, error_type = excluded.error_type,"
        f" error = excluded.error, attempts = {FAILURES_TABLE}.attempts + 1",
        (name, position, kind, described[:MAX_ERROR_CHARS]),
    )


def clear_failures(tx: SqlSession, names: Sequence[str]) -> None:
    for name in names:
        tx.execute(f"DELETE FROM {FAILURES_TABLE} WHERE name = ?", (name,))
