"""The application's event log, read page by page on the projector's own transaction.

The recorder's `select_notifications` opens a connection of its own and builds a
`Notification` from a dict row for every event; here the same table is read as plain rows,
in the transaction that writes the views. Each row's topic comes before its state, so the
projector decodes only the events some projection folds (docs/adr/0007-projector-throughput.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Recorder

from adapters.sql import SqlSession


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One stored event at its log position, not yet decoded."""

    position: int
    topic: str
    originator_id: Any  # a UUID on PostgreSQL, its text on SQLite: the mapper takes both
    originator_version: int
    state: bytes


class EventPages:
    def __init__(self, recorder: Recorder, dialect: str) -> None:
        table: str = recorder.events_table_name  # type: ignore[attr-defined]
        if dialect == "postgresql":
            schema = recorder.datastore.schema  # type: ignore[attr-defined]
            table, position = f'"{schema}"."{table}"', "notification_id"
        else:
            position = "rowid"  # the library's notification id on SQLite
        select = (
            f"SELECT {position}, topic, originator_id, originator_version, state"
            f" FROM {table} WHERE {position} > ?"
        )
        order = f" ORDER BY {position} LIMIT ?"
        self._after = select + order
        self._between = select + f" AND {position} <= ?" + order
        self._count_after = f"SELECT COUNT(*) FROM {table} WHERE {position} > ?"

    def after(
        self, tx: SqlSession, position: int, limit: int, *, stop: int | None = None
    ) -> list[LoggedEvent]:
        """Up to `limit` events after `position` (and at most `stop`), in log order."""
        rows = (
            tx.fetchall(self._after, (position, limit))
            if stop is None
            else tx.fetchall(self._between, (position, stop, limit))
        )
        return [LoggedEvent(r[0], r[1], r[2], r[3], _bytes(r[4])) for r in rows]

    def count_after(self, tx: SqlSession, position: int) -> int:
        """How many events lie after `position`."""
        row = tx.fetchone(self._count_after, (position,))
        return int(row[0]) if row else 0


def _bytes(state: Any) -> bytes:
    """The state column's bytes; a hand-edited SQLite row may hold text there instead."""
    return state.encode("utf-8") if isinstance(state, str) else bytes(state)
