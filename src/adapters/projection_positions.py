"""How far each read model has folded the log: one row per projection in
`projection_positions` (its name, the version its tables were built for, the position it
has folded up to). The projector moves a row in the same transaction as the view writes it
tracks, so a view and its position never disagree (docs/adr/0002-own-projector.md).
"""

from __future__ import annotations

from adapters.sql import SqlSession

TRACKING_TABLE = "projection_positions"


def create_tracking_table(tx: SqlSession) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} ("
        " name TEXT PRIMARY KEY, version INTEGER NOT NULL, position BIGINT NOT NULL)"
    )


def tracked_version(tx: SqlSession, name: str) -> int | None:
    row = tx.fetchone(f"SELECT version FROM {TRACKING_TABLE} WHERE name = ?", (name,))
    return int(row[0]) if row is not None else None


def track(tx: SqlSession, name: str, version: int) -> None:
    """Start tracking `name` at position 0, unless it is tracked already."""
    tx.execute(
        f"INSERT INTO {TRACKING_TABLE} (name, version, position) VALUES (?, ?, 0)"
        " ON CONFLICT (name) DO NOTHING",
        (name, version),
    )


def set_position(tx: SqlSession, name: str, position: int, version: int | None = None) -> None:
    """Move `name` to `position` (and, given one, record the `version` it was built for)."""
    if version is None:
        tx.execute(f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?", (position, name))
    else:
        tx.execute(
            f"UPDATE {TRACKING_TABLE} SET position = ?, version = ? WHERE name = ?",
            (position, version, name),
        )


def read_position(tx: SqlSession, name: str, *, lock: str = "") -> int | None:
    """The position of `name` (None: not tracked); `lock` is the dialect's FOR UPDATE."""
    row = tx.fetchone(f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?{lock}", (name,))
    return int(row[0]) if row is not None else None


def read_positions(tx: SqlSession) -> dict[str, int]:
    return {
        str(name): int(at)
        for name, at in tx.fetchall(f"SELECT name, position FROM {TRACKING_TABLE}")
    }
