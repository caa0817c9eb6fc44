"""The projector: folds the notification log into read models, exactly once.

Each batch is one transaction on the view database that (1) locks the projections'
tracking rows, (2) reads the events after the lowest position and folds each into the
views that have not passed it, decoding it once, and (3) moves the positions — so a crash
at any point leaves the views and their positions consistent. Two projectors serialise on
the row locks; the loser sees the moved positions and skips. Identical on SQLite and
PostgreSQL (docs/adr/0002-own-projector.md, docs/adr/0007-projector-throughput.md).

A projection that cannot fold an event is parked just before it, with the error recorded
(`adapters/projection_failures.py`), and retried on its own with back-off; the others go
on without it (docs/adr/0013-failing-projections-and-read-waits.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from adapters.event_folding import EventFolder
from adapters.event_pages import EventPages, LoggedEvent
from adapters.projection_failures import (
    ProjectionFailure,
    clear_failures,
    create_failures_table,
    read_failures,
    record_failure,
)
from adapters.projection_positions import (
    TRACKING_TABLE,
    create_tracking_table,
    read_position,
    read_positions,
    set_position,
    track,
    tracked_version,
)
from adapters.scratch_views import ScratchViews, scratch_views
from adapters.sql import Database, SqlSession
from adapters.view_tables import (
    TableDiff,
    aside_names,
    create_tables,
    diff_table,
    drop_tables,
    live_names,
)

__all__ = ["TRACKING_TABLE", "ProjectionStatus", "Projector", "TableDiff", "live_names"]
from domain.application import LessorApplication
from projections.base import Projection

log = logging.getLogger("lessor.projector")

Progress = Callable[[int, int], None]  # (position reached, head)
MAX_RETRY_DELAY_S = 30.0  # a parked projection is retried at least this often


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    head: int
    failure: ProjectionFailure | None = None  # parked: it cannot fold the event at failure.position

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class LiveViewCannotFold(Exception):
    """`verify` could not bring a live view level with the rebuild: the live rows cannot
    fold the log (a corrupted or parked view), so it differs from a rebuild."""

    def __init__(self, name: str, position: int, cause: BaseException) -> None:
        super().__init__(
            f"{name}: the live view cannot fold the log after position {position}: {cause!r}"
        )
        self.name, self.position, self.cause = name, position, cause


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
        self._listeners: list[Callable[[], None]] = []
        self.log = EventPages(app.recorder, db.dialect)
        self.folder = EventFolder(app.mapper, projections)

    # ------------------------------------------------------------------ schema

    def create_schema(self) -> None:
        """Create tracking and view tables (an explicit step: `lessor db init`)."""
        with self.db.transaction() as tx:
            create_tracking_table(tx)
            create_failures_table(tx)
            for projection in self.projections.values():
                version = tracked_version(tx, projection.name)
                if version is not None and version != projection.version:
                    # A new version of the read model: drop it and fold the log again.
                    drop_tables(tx, live_names(projection))
                    set_position(tx, projection.name, 0, projection.version)
                    clear_failures(tx, [projection.name])
                create_tables(tx, projection, live_names(projection))
                track(tx, projection.name, projection.version)

    # ------------------------------------------------------------- processing

    def run_batch(self, name: str) -> int:
        """Apply the next batch of events to one projection; returns how many were read."""
        return self.run_batches([name])

    def run_batches(
        self, names: Sequence[str], *, limit: int | None = None, retrying: bool = False
    ) -> int:
        """Apply the next batch of events to each named projection, in one transaction.

        Each event is read and decoded once, for every projection that folds it and has
        not yet passed it. A parked projection is left where it is unless `retrying`; one
        that folds the event it was parked on is unparked in the same transaction.
        Returns how many events were read.
        """
        # Rows are locked in one order by every projector, so two never deadlock.
        projections = [self.projections[name] for name in sorted(set(names))]
        with self.db.transaction() as tx:
            positions = {p.name: self._locked_position(tx, p.name) for p in projections}
            parked = {n: f.position for n, f in read_failures(tx).items() if n in positions}
            if not retrying:
                positions = {n: at for n, at in positions.items() if n not in parked}
            if not positions:
                return 0
            events = self.log.after(tx, min(positions.values()), limit or self.batch_size)
            if not events:
                return 0
            views = [
                (p, tx.with_names(live_names(p), batched=True))
                for p in projections
                if p.name in positions
            ]
            self._fold(views, events, positions)
            reached = events[-1].position
            for name, position in positions.items():
                set_position(tx, name, max(position, reached))
            clear_failures(tx, [n for n in positions if n in parked and reached >= parked[n]])
        self._announce()
        return len(events)

    def run_round(self, names: Sequence[str] | None = None) -> int:
        """Move every running (not parked) projection by one batch; returns the events read.

        Those near the front move in one batch, those far behind (new, rebuilt or just
        unparked) in another, so a laggard does not hold the front back. A failed batch is
        rolled back whole; its projections then run alone, and one that fails alone is
        parked at the event it cannot fold.
        """
        positions, parked = self._tracking(names or list(self.projections))
        running = {name: at for name, at in positions.items() if name not in parked}
        moved = 0
        for group in _packs(running, self.batch_size):
            try:
                moved += self.run_batches(group)
            except Exception:  # find out which projection failed, and let the others move
                log.debug("joint batch of %s failed; running each alone", group, exc_info=True)
                moved += self._run_each(group)
        return moved

    def _run_each(self, names: Sequence[str]) -> int:
        if len(names) == 1:
            return self._park_at_failure(names[0])
        moved = 0
        for name in names:
            try:
                moved += self.run_batch(name)
            except Exception:  # it fails alone too: find the event
                moved += self._park_at_failure(name)
        return moved

    def _park_at_failure(self, name: str) -> int:
        """`name` failed alone: halve its batch until the one event it cannot fold is
        found, fold (and commit) everything before it, and park it on that event."""
        limit, moved = max(self.batch_size // 2, 1), 0
        while moved < self.batch_size:  # past the window that failed: it was transient
            try:
                read = self.run_batches([name], limit=limit)
            except Exception as error:
                if limit > 1:
                    limit //= 2
                    continue
                self._park(name, error)
                log.error("projection %s parked; the others go on", name, exc_info=error)
                break
            if not read:
                break
            moved += read
        return moved

    def _park(self, name: str, error: BaseException) -> None:
        with self.db.transaction() as tx:
            position = self._locked_position(tx, name)
            failing = self.log.after(tx, position, 1)
            at = failing[0].position if failing else position + 1
            record_failure(tx, name, at, error)
        log.warning("projection %s cannot fold the event at %d: %r", name, at, error)

    def retry(self, name: str) -> bool:
        """Try a parked projection's event once more; True when it folded it (unparked)."""
        try:
            self.run_batches([name], limit=1, retrying=True)
        except Exception as error:  # still failing: recorded, retried later
            self._park(name, error)
            return False
        return True

    def catch_up(self, name: str | None = None) -> list[ProjectionFailure]:
        """Process until every (or the named) running projection has reached the head.

        A parked projection is retried once first (so a removed cause recovers here);
        one that still fails, or fails now, is left parked. Returns what stays parked.
        """
        names = [name] if name else list(self.projections)
        for failure in self.failures(names):
            self.retry(failure.name)
        while self.run_round(names):
            pass
        return self.failures(names)

    def run_forever(self, stop: threading.Event, *, poll_interval_s: float = 0.5) -> None:
        """Poll; an in-process commit (or NOTIFY relay) only wakes the loop early.

        Each round moves every running projection (`run_round`); a parked one is retried on
        its own, with a back-off of its own (from `poll_interval_s` up to 30 s), so the
        others keep their pace. Only an error outside any projection (the database is
        gone) makes the whole loop back off.
        """
        retries: dict[str, tuple[float, float]] = {}  # parked name → (next try, delay)
        backoff = poll_interval_s
        while not stop.is_set():
            try:
                for name in _due(retries, time.monotonic()):
                    if not self.retry(name):
                        delay = min(retries[name][1] * 2, MAX_RETRY_DELAY_S)
                        retries[name] = (time.monotonic() + delay, delay)
                moved = self.run_round()
                parked = {f.name for f in self.failures()}
            except Exception:  # keep the loop alive; the next round tries again
                log.exception("projector round failed; retrying")
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_RETRY_DELAY_S)
                continue
            backoff = poll_interval_s
            retries = {n: retries.get(n, (time.monotonic() + backoff, backoff)) for n in parked}
            if not moved:
                next_retry = min((at for at, _ in retries.values()), default=float("inf"))
                self._wake.wait(max(0.0, min(poll_interval_s, next_retry - time.monotonic())))
                self._wake.clear()

    def wake(self, _position: int = 0) -> None:
        self._wake.set()

    def on_progress(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` (on the projector's thread; keep it quick) after every batch
        commits; returns the function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _locked_position(self, tx: SqlSession, name: str) -> int:
        position = read_position(tx, name, lock=self.db.for_update())
        if position is None:
            raise LookupError(f"Unknown projection '{name}': run `lessor db init`.")
        return position

    def _fold(
        self,
        targets: Sequence[tuple[Projection, SqlSession]],
        events: Sequence[LoggedEvent],
        positions: Mapping[str, int] | None = None,
    ) -> None:
        self.folder.fold(targets, events, positions)

    # --------------------------------------------------------------- queries

    def position(self, name: str) -> int:
        with self.db.transaction() as tx:
            return read_position(tx, name) or 0

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        positions, failures = self._tracking(list(self.projections))
        return [
            ProjectionStatus(
                name=p.name,
                version=p.version,
                position=positions.get(p.name, 0),
                head=head,
                failure=failures.get(p.name),
            )
            for p in self.projections.values()
        ]

    def failures(self, names: Sequence[str] | None = None) -> list[ProjectionFailure]:
        """The parked projections (of `names`), with the event each cannot fold."""
        _, failures = self._tracking(names or list(self.projections))
        return list(failures.values())

    def _tracking(
        self, names: Sequence[str]
    ) -> tuple[dict[str, int], dict[str, ProjectionFailure]]:
        """Positions and failures of the named projections, read together."""
        with self.db.transaction() as tx:
            tracked = read_positions(tx)
            failures = read_failures(tx)
        positions = {name: at for name, at in tracked.items() if name in names}
        return positions, {n: f for n, f in failures.items() if n in names}

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
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a listener's trouble is never the projector's
                log.exception("progress listener failed")

    # ------------------------------------------------------ rebuild and verify

    def _fold_log(
        self,
        scratch: ScratchViews,
        projections: Sequence[Projection],
        progress: Progress | None,
        *,
        since: int = 0,
        until: int | None = None,
        tx: SqlSession | None = None,
    ) -> int:
        """Fold the log after `since` (up to `until`) into the scratch views, every
        projection in the same pass (each event read and decoded once); returns the
        position reached. Pages are read on `tx`, else each on a transaction of its own."""
        head = self.head() if until is None else until
        position = since
        while until is None or position < until:
            with nullcontext(tx) if tx is not None else self.db.transaction() as read:
                events = self.log.after(read, position, self.batch_size * 4, stop=until)
            if not events:
                break
            with scratch.folding(projections) as targets:
                self._fold(targets, events)
            position = events[-1].position
            if progress:
                progress(position, max(head, position))
        return position

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Rebuild one projection: see `rebuild_many`."""
        return self.rebuild_many([name], progress)[name]

    def rebuild_many(
        self, names: Sequence[str], progress: Progress | None = None
    ) -> dict[str, int]:
        """Rebuild from position zero in scratch views, then swap in one transaction.

        All the named projections are folded in one pass over the log, in a private SQLite
        file (`adapters/scratch_views.py`); the swap empties each live table and writes it
        once. Returns the position each one has reached.
        """
        projections = [self.projections[name] for name in names]
        reached: dict[str, int] = {}
        with scratch_views(projections) as scratch:
            built = self._fold_log(scratch, projections, progress)
            with self.db.transaction() as tx:
                for projection in projections:
                    live = self._locked_position(tx, projection.name)
                    # The live one moved on meanwhile: fold what it has that we lack.
                    self._fold_log(scratch, [projection], None, since=built, until=live, tx=tx)
                    for table in projection.tables:
                        tx.execute(f"DELETE FROM {table}")
                    scratch.write_into(tx, projection, live_names(projection))
                    reached[projection.name] = max(live, built)
                    set_position(tx, projection.name, reached[projection.name], projection.version)
                    clear_failures(tx, [projection.name])  # it folded the whole log this time
        self._announce()
        return reached

    def verify(self, name: str, progress: Progress | None = None) -> list[TableDiff]:
        """Rebuild as `rebuild` does and compare with the live view at the same position.

        Raises `LiveViewCannotFold` when the live view cannot be brought to that position."""
        outcome = self.verify_many([name], progress)[name]
        if isinstance(outcome, LiveViewCannotFold):
            raise outcome
        return outcome

    def verify_many(
        self, names: Sequence[str], progress: Progress | None = None
    ) -> dict[str, list[TableDiff] | LiveViewCannotFold]:
        """`verify` of each named projection, all folded in one pass over the log (as
        `rebuild_many`), then each compared in a transaction of its own."""
        projections = [self.projections[name] for name in names]
        outcomes: dict[str, list[TableDiff] | LiveViewCannotFold] = {}
        with scratch_views(projections) as scratch:
            built = self._fold_log(scratch, projections, progress)
            for projection in projections:
                try:
                    outcomes[projection.name] = self._compare(scratch, projection, built)
                except LiveViewCannotFold as error:
                    outcomes[projection.name] = error
        return outcomes

    def _compare(
        self, scratch: ScratchViews, projection: Projection, built: int
    ) -> list[TableDiff]:
        name = projection.name
        diffs: list[TableDiff] = []
        try:
            with self.db.transaction() as tx:
                live = self._locked_position(tx, name)
                if live < built:  # compare at the same position: bring the live view level
                    try:
                        self._fold(
                            [(projection, tx.with_names(live_names(projection)))],
                            self.log.after(tx, live, built - live, stop=built),
                        )
                    except Exception as error:  # the transaction rolls back: nothing changes
                        raise LiveViewCannotFold(name, live, error) from error
                    set_position(tx, name, built)
                    clear_failures(tx, [name])  # folded past any event it was parked on
                self._fold_log(scratch, [projection], None, since=built, until=live, tx=tx)
                # Compared on the view database, so both sides have its types.
                drop_tables(tx, aside_names(projection))
                create_tables(tx, projection, aside_names(projection), aside=True)
                scratch.write_into(tx, projection, aside_names(projection))
                for table, aside in aside_names(projection).items():
                    diff = diff_table(tx, table, aside)
                    if diff is not None:
                        diffs.append(diff)
        finally:
            with self.db.transaction() as tx:
                drop_tables(tx, aside_names(projection))
        return diffs


def _packs(positions: Mapping[str, int], batch_size: int) -> list[list[str]]:
    """The projections within a batch of the front, and those further behind."""
    if not positions:
        return []
    front = max(positions.values()) - batch_size
    near = [name for name, at in positions.items() if at >= front]
    behind = [name for name, at in positions.items() if at < front]
    return [group for group in (near, behind) if group]


def _due(retries: Mapping[str, tuple[float, float]], now: float) -> list[str]:
    return [name for name, (at, _) in retries.items() if at <= now]
