"""The contract between a read model and the projector that runs it.

A projection declares its tables (portable SQL, `?` placeholders, `{table}` names) and
turns one event into view writes through a `ViewSession`. It never reads a clock or
anything but its own tables, so a rebuild from position zero reproduces the live view.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol


class ViewSession(Protocol):
    """One open transaction on the view database; table names in `{braces}`."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class Projection(ABC):
    """A named read model. Bump `version` when its tables or logic change: it is rebuilt."""

    name: str
    version: int = 1
    # Logical table name → CREATE TABLE body (columns and constraints), portable SQL.
    tables: dict[str, str]
    # Extra DDL run after the tables exist, e.g. indexes; may use `{table}` names.
    indexes: tuple[str, ...] = ()
    # The event classes (or their bases) this view folds, less those it ignores. The
    # projector does not even decode other events for it, so `apply` must do nothing with
    # them: declare every class `apply` dispatches on.
    handles: tuple[type, ...]
    ignores: tuple[type, ...] = ()

    def folds(self, event_class: type) -> bool:
        return issubclass(event_class, self.handles) and not issubclass(event_class, self.ignores)

    @abstractmethod
    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        """Fold one event (at its log position) into the view."""


class StoredRecord(Protocol):
    """One stored event as the event store holds it, undecoded."""

    @property
    def position(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def originator_id(self) -> Any: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def state(self) -> bytes: ...


class RecordProjection(Projection):
    """A read model of the stored records themselves: every one, its bytes as stored, never
    decoded (the audit chain). It folds no decoded event, so `apply` is never called."""

    handles = ()

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        """Record projections see records (`apply_record`), not events."""

    @abstractmethod
    def apply_record(self, record: StoredRecord, view: ViewSession) -> None:
        """Fold one stored record (at its log position) into the view."""


def update_row(view: ViewSession, table: str, key: str, event: Any, **values: Any) -> None:
    """Set columns of the row of `table` whose `key` column is the event's aggregate id.
    Table and column names come from the calling projection, never from the event."""
    columns = ", ".join(f"{column} = ?" for column in values)
    view.execute(
        f"UPDATE {{{table}}} SET {columns} WHERE {key} = ?",  # noqa: S608
        (*values.values(), str(event.originator_id)),
    )
