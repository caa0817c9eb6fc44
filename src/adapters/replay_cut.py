"""What a replayed database is a replay of: one row in `replay_cut`, written by `replay`
with its views (position reached, the instant, which cut), so whoever opens the database
later (the console's `lessor serve --views`, ADR 0054) can say what it shows without
asking the live store. A database without the row is not a replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adapters.sql import Database, SqlSession

TABLE = "replay_cut"


@dataclass(frozen=True, slots=True)
class ReplayedAsOf:
    position: int  # the last log position folded
    at: datetime | None  # --at, else the recorded time of the last event folded
    business_time: bool  # --at cut by business time (not a prefix of the log)


def record_cut(tx: SqlSession, as_of: ReplayedAsOf) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " position BIGINT NOT NULL, at TEXT, business_time INTEGER NOT NULL)"
    )
    tx.execute(f"DELETE FROM {TABLE}")
    at = as_of.at.isoformat() if as_of.at is not None else None
    tx.execute(
        f"INSERT INTO {TABLE} (position, at, business_time) VALUES (?, ?, ?)",
        (as_of.position, at, int(as_of.business_time)),
    )


def replayed_as_of(db: Database) -> ReplayedAsOf | None:
    """The cut a replayed database records, or None (not made by `lessor replay`)."""
    with db.transaction() as tx:
        if not _has_table(tx):
            return None
        row = tx.fetchone(f"SELECT position, at, business_time FROM {TABLE}")
    if row is None:
        return None
    at = datetime.fromisoformat(row[1]) if row[1] else None
    return ReplayedAsOf(position=int(row[0]), at=at, business_time=bool(row[2]))


def _has_table(tx: SqlSession) -> bool:
    if tx.dialect == "postgresql":
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = ?"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return tx.fetchone(sql, (TABLE,)) is not None
