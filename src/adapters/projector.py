"""The projector: folds the notification log into read models, exactly once.

Each batch is one transaction on the view database that (1) locks the projections'
tracking rows, (2) reads the events after the lowest position and folds each into the
views that have not passed it, decoding it once, and (3) moves the positions — so a crash
at any point leaves the views and their positions consistent. Two projectors serialise on
the row locks; the loser sees the moved positions and skips. Identical on SQLite and
PostgreSQL (docs/adr/0002-own-projector.md, docs/adr/0007-projector-throughput.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from adapters.event_pages import EventPages, LoggedEvent
from adapters.sql import Database, SqlSession
from domain.application import LessorApplication
from projections.base import Projection

log = logging.getLogger("lessor.projector")
TRACKING_TABLE = "projection_positions"
ASIDE_SUFFIX = "__aside"

Progress = Callable[[int, int], None]  # (position reached, head)


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


@dataclass(frozen=True, slots=True)
class TableDiff:
    table: str
    only_live: list[tuple[Any, ...]]
    only_rebuilt: list[tuple[Any, ...]]


def live_names(projection: Projection) -> dict[str, str]:
    return {table: table for table in projection.tables}


def aside_names(projection: Projection) -> dict[str, str]:
    return {table: table + ASIDE_SUFFIX for table in projection.tables}


class Projector:
    def __init__(
        self,
        app: LessorApplication,
        db: Database,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.db = db
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._advanced = threading.Condition()
        self._wake = threading.Event()
        self.errors: dict[str, str] = {}  # projection → last failure, until it recovers
        self.log = EventPages(app.recorder, db.dialect)
        self._folded_topics: dict[str, dict[str, bool]] = {name: {} for name in self.projections}

    # ------------------------------------------------------------------ schema

    def create_schema(self) -> None:
        """Create tracking and view tables (an explicit step: `lessor db init`)."""
        with self.db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} ("
                " name TEXT PRIMARY KEY, version INTEGER NOT NULL, position BIGINT NOT NULL)"
            )
            for projection in self.projections.values():
                row = tx.fetchone(
                    f"SELECT version FROM {TRACKING_TABLE} WHERE name = ?", (projection.name,)
                )
                if row is not None and int(row[0]) != projection.version:
                    # A new version of the read model: drop it and fold the log again.
                    self._drop_tables(tx, live_names(projection))
                    tx.execute(
                        f"UPDATE {TRACKING_TABLE} SET version = ?, position = 0 WHERE name = ?",
                        (projection.version, projection.name),
                    )
                self._create_tables(tx, projection, live_names(projection))
                tx.execute(
                    f"INSERT INTO {TRACKING_TABLE} (name, version, position) VALUES (?, ?, 0)"
                    " ON CONFLICT (name) DO NOTHING",
                    (projection.name, projection.version),
                )

    def _create_tables(
        self, tx: SqlSession, projection: Projection, names: dict[str, str], *, aside: bool = False
    ) -> None:
        named = tx.with_names(names)
        # Aside tables are scratch space: a crash mid-rebuild loses nothing that the log
        # cannot give again, so PostgreSQL need not write them to its WAL.
        create = "CREATE UNLOGGED TABLE" if aside and tx.dialect == "postgresql" else "CREATE TABLE"
        for table, body in projection.tables.items():
            named.execute(f"{create} IF NOT EXISTS {{{table}}} ({body})")
        if aside:
            # Aside tables are only written while folding (by key) and then copied into the
            # live ones, which have the indexes: maintaining them here too is pure cost.
            return
        for ddl in projection.indexes:
            named.execute(ddl)

    def _drop_tables(self, tx: SqlSession, names: dict[str, str]) -> None:
        for table in names.values():
            tx.execute(f"DROP TABLE IF EXISTS {table}")

    # ------------------------------------------------------------- processing

    def run_batch(self, name: str) -> int:
        """Apply the next batch of events to one projection; returns how many were read."""
        return self.run_batches([name])

    def run_batches(self, names: Sequence[str]) -> int:
        """Apply the next batch of events to each named projection, in one transaction.

        Each event is read and decoded once, for every projection that folds it and has
        not yet passed it. Returns how many events were read.
        """
        # Rows are locked in one order by every projector, so two never deadlock.
        projections = [self.projections[name] for name in sorted(set(names))]
        with self.db.transaction() as tx:
            positions = {p.name: self._locked_position(tx, p.name) for p in projections}
            events = self.log.after(tx, min(positions.values()), self.batch_size)
            if not events:
                return 0
            views = [(p, tx.with_names(live_names(p), batched=True)) for p in projections]
            self._fold(views, events, positions)
            for name, position in positions.items():
                tx.execute(
                    f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?",
                    (max(position, events[-1].position), name),
                )
        self._announce()
        return len(events)

    def catch_up(self, name: str | None = None) -> None:
        """Process until every (or the named) projection has reached the head."""
        names = [name] if name else list(self.projections)
        while self.run_batches(names):
            pass

    def run_forever(self, stop: threading.Event, *, poll_interval_s: float = 0.5) -> None:
        """Poll; an in-process commit (or NOTIFY relay) only wakes the loop early.

        Every projection moves in one batch. A batch that fails is rolled back whole; then
        each projection runs on its own, so one bad projection does not stop the others,
        and its failure is kept in `errors` (reported by /healthz) and retried with backoff.
        """
        backoff = poll_interval_s
        names = list(self.projections)
        while not stop.is_set():
            try:
                moved = self.run_batches(names)
                self.errors.clear()
                failed = False
            except Exception:  # find out which projection failed, and let the others move
                log.debug("joint batch failed; running each projection alone", exc_info=True)
                moved, failed = self._run_each(names)
            if failed:
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = poll_interval_s
            if not moved:
                self._wake.wait(poll_interval_s)
                self._wake.clear()

    def _run_each(self, names: Sequence[str]) -> tuple[int, bool]:
        moved, failed = 0, False
        for name in names:
            try:
                moved += self.run_batch(name)
                self.errors.pop(name, None)
            except Exception as error:  # logged, reported, retried; never silently lost
                failed = True
                self.errors[name] = f"{type(error).__name__}: {error}"
                log.exception("projection %s failed; retrying", name)
        return moved, failed

    def wake(self, _position: int = 0) -> None:
        self._wake.set()

    def _locked_position(self, tx: SqlSession, name: str) -> int:
        row = tx.fetchone(
            f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?{self.db.for_update()}", (name,)
        )
        if row is None:
            raise LookupError(f"Unknown projection '{name}': run `lessor db init`.")
        return int(row[0])

    def _fold(
        self,
        targets: Sequence[tuple[Projection, SqlSession]],
        events: Sequence[LoggedEvent],
        positions: Mapping[str, int] | None = None,
    ) -> None:
        """Apply each event to every target projection that folds it (and, given their
        `positions`, has not passed it yet), decoding it once."""
        for logged in events:
            folding = [
                (p, view)
                for p, view in targets
                if self._folds(p, logged.topic)
                and (positions is None or logged.position > positions[p.name])
            ]
            if not folding:
                continue  # e.g. a uniqueness claim: no view reads it, so it is never decoded
            event = self.app.mapper.to_domain_event(
                StoredEvent(
                    originator_id=logged.originator_id,
                    originator_version=logged.originator_version,
                    topic=logged.topic,
                    state=logged.state,
                )
            )
            for projection, view in folding:
                projection.apply(event, logged.position, view)

    def _folds(self, projection: Projection, topic: str) -> bool:
        """Whether `projection` folds events of this topic (resolved once per topic)."""
        known = self._folded_topics[projection.name]
        folds = known.get(topic)
        if folds is None:
            folds = known[topic] = projection.folds(resolve_topic(topic))
        return folds

    # --------------------------------------------------------------- queries

    def position(self, name: str) -> int:
        with self.db.transaction() as tx:
            row = tx.fetchone(f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?", (name,))
        return int(row[0]) if row else 0

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        return [
            ProjectionStatus(
                name=p.name, version=p.version, position=self.position(p.name), head=head
            )
            for p in self.projections.values()
        ]

    def wait_for(self, name: str, position: int, timeout_s: float) -> bool:
        """Read-your-writes: block (bounded) until `name` has folded `position`."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.position(name) >= position:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._wake.set()
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))

    def _announce(self) -> None:
        with self._advanced:
            self._advanced.notify_all()

    # ------------------------------------------------------ rebuild and verify

    def _build_aside(self, projections: Sequence[Projection], progress: Progress | None) -> int:
        """Fold the whole log into fresh aside tables, every projection in the same pass
        (each event is read and decoded once); returns the position reached."""
        with self.db.transaction() as tx:
            for projection in projections:
                self._drop_tables(tx, aside_names(projection))
                self._create_tables(tx, projection, aside_names(projection), aside=True)
        head, position = self.head(), 0
        while True:
            with self.db.transaction() as tx:
                events = self.log.after(tx, position, self.batch_size * 4)
                if not events:
                    break
                self._fold(_aside_targets(tx, projections), events)
            position = events[-1].position
            if progress:
                progress(position, max(head, position))
        return position

    def _catch_up_aside(
        self, tx: SqlSession, projection: Projection, since: int, until: int
    ) -> None:
        position = since
        while position < until:
            events = self.log.after(tx, position, self.batch_size * 4, stop=until)
            if not events:
                break
            self._fold(_aside_targets(tx, [projection]), events)
            position = events[-1].position

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Rebuild one projection: see `rebuild_many`."""
        return self.rebuild_many([name], progress)[name]

    def rebuild_many(
        self, names: Sequence[str], progress: Progress | None = None
    ) -> dict[str, int]:
        """Rebuild from position zero beside the live tables, then swap in one transaction.

        All the named projections are folded in one pass over the log. Returns the
        position each one has reached.
        """
        projections = [self.projections[name] for name in names]
        built = self._build_aside(projections, progress)
        reached: dict[str, int] = {}
        with self.db.transaction() as tx:
            for projection in projections:
                live = self._locked_position(tx, projection.name)
                self._catch_up_aside(tx, projection, built, live)  # the live one moved on
                for table, aside in aside_names(projection).items():
                    tx.execute(f"DELETE FROM {table}")
                    tx.execute(f"INSERT INTO {table} SELECT * FROM {aside}")
                self._drop_tables(tx, aside_names(projection))
                reached[projection.name] = max(live, built)
                tx.execute(
                    f"UPDATE {TRACKING_TABLE} SET position = ?, version = ? WHERE name = ?",
                    (reached[projection.name], projection.version, projection.name),
                )
        self._announce()
        return reached

    def verify(self, name: str, progress: Progress | None = None) -> list[TableDiff]:
        """Rebuild aside and compare with the live view at the same position."""
        projection = self.projections[name]
        built = self._build_aside([projection], progress)
        diffs: list[TableDiff] = []
        try:
            with self.db.transaction() as tx:
                live = self._locked_position(tx, name)
                if live < built:  # compare at the same position: bring the live view level
                    self._fold(
                        [(projection, tx.with_names(live_names(projection)))],
                        self.log.after(tx, live, built - live, stop=built),
                    )
                    tx.execute(
                        f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?", (built, name)
                    )
                self._catch_up_aside(tx, projection, built, live)
                for table, aside in aside_names(projection).items():
                    live_rows = _multiset(tx.fetchall(f"SELECT * FROM {table}"))
                    rebuilt_rows = _multiset(tx.fetchall(f"SELECT * FROM {aside}"))
                    only_live = _minus(live_rows, rebuilt_rows)
                    only_rebuilt = _minus(rebuilt_rows, live_rows)
                    if only_live or only_rebuilt:
                        diffs.append(TableDiff(table, only_live, only_rebuilt))
        finally:
            with self.db.transaction() as tx:
                self._drop_tables(tx, aside_names(projection))
        return diffs


def _aside_targets(
    tx: SqlSession, projections: Sequence[Projection]
) -> list[tuple[Projection, SqlSession]]:
    return [(p, tx.with_names(aside_names(p), batched=True)) for p in projections]


def _multiset(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    counts: dict[tuple[Any, ...], int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    return counts


def _minus(a: dict[tuple[Any, ...], int], b: dict[tuple[Any, ...], int]) -> list[tuple[Any, ...]]:
    return sorted((row for row, n in a.items() for _ in range(n - b.get(row, 0))), key=repr)
