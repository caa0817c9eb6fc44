"""Read-your-writes: `?min_position=N` holds a query until its read model has folded N.

The wait runs on the event loop, before the (sync) query takes a worker thread, so waiting
reads cost a coroutine each and never starve other requests of threads. It is bounded: a
position beyond the log head is refused at once (422), each caller may have a few waits
open at a time (429 beyond), and each lasts at most `read_wait_timeout_s`. The waiting
ends when every running read model has folded N (they move together); the query then
checks its own read model without waiting, so a parked one answers 503 at once
(docs/adr/0013-failing-projections-and-read-waits.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from adapters.projector import ProjectionStatus, Projector
from api.bootstrap import Container
from domain.model.errors import InvalidValue
from projections.reading import ViewReads

MAX_WAITS_PER_CALLER = 4
POLL_S = 0.05  # when no in-process projector announces its progress (a separate worker)
RETRY_AFTER = {"Retry-After": "1"}
log = logging.getLogger("lessor.http")


class ReadWaits:
    """The open read-your-writes waits of one app. One poller reads the projections'
    positions for all of them: after each batch the projector commits, or every POLL_S."""

    def __init__(
        self, projector: Projector, *, timeout_s: float, per_caller: int = MAX_WAITS_PER_CALLER
    ) -> None:
        self._projector = projector
        self._timeout_s = timeout_s
        self._per_caller = per_caller
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open: dict[str, int] = {}  # caller → waits open
        self._latest: list[ProjectionStatus] = []
        self._changed = asyncio.Event()  # replaced by a fresh one each time it is set
        self._poked = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def open_waits(self) -> int:
        return sum(self._open.values())

    async def until_folded(self, caller: str, position: int) -> None:
        """Return when every running read model has folded `position`, or the wait is up."""
        self._bind()
        statuses = await run_in_threadpool(self._projector.status)
        if position > max((s.head for s in statuses), default=0):
            raise InvalidValue(
                f"min_position {position} lies beyond the end of the event log: pass the"
                " Lessor-Position a write answered with."
            )
        if _folded(statuses, position):
            return
        if self._open.get(caller, 0) >= self._per_caller:
            raise HTTPException(
                429,
                f"At most {self._per_caller} reads with min_position may wait at a time"
                " for one caller.",
                RETRY_AFTER,
            )
        self._open[caller] = self._open.get(caller, 0) + 1
        try:
            await self._wait(position)
        finally:
            self._open[caller] -= 1
            if not self._open[caller]:
                del self._open[caller]

    async def _wait(self, position: int) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        while not _folded(self._latest, position):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def _poll(self) -> None:
        try:
            while self._open:
                self._poked.clear()
                self._projector.wake()  # an in-process projector need not sleep out its poll
                try:
                    self._latest = await run_in_threadpool(self._projector.status)
                except Exception:  # the waits time out and answer 503; keep polling
                    log.exception("reading the projections' positions failed")
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._poked.wait(), POLL_S)
        finally:
            self._poller = None

    def _bind(self) -> None:
        """Listen to the projector from this event loop (a new one after an app restart)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._loop, self._open, self._latest, self._poller = loop, {}, [], None
        self._changed, self._poked = asyncio.Event(), asyncio.Event()
        self._unsubscribe = self._projector.on_progress(self._from_projector_thread)

    def _from_projector_thread(self) -> None:
        loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(self._poke)

    def _poke(self) -> None:
        self._poked.set()


def _folded(statuses: list[ProjectionStatus], position: int) -> bool:
    """Every read model has folded `position`, but those parked before it (never, as is);
    not yet known (no positions read) is not folded."""
    return bool(statuses) and all(s.position >= position or s.failure is not None for s in statuses)


def require_folded(c: Container, projection: str, min_position: int | None) -> None:
    """After the wait: 503 at once if this query's read model has not folded the write."""
    if not min_position or c.projector.position(projection) >= min_position:
        return
    parked = any(f.name == projection for f in c.projector.failures([projection]))
    raise HTTPException(
        503,
        f"The {projection} read model has not reached position {min_position} yet"
        + (": it is stopped at an event it cannot fold." if parked else "."),
        RETRY_AFTER,
    )


class _ViewsAfter:
    def __init__(self, c: Container, projection: str, min_position: int | None) -> None:
        self._c = c
        self._projection = projection
        self._min_position = min_position

    def transaction(self) -> AbstractContextManager[ViewReads]:
        require_folded(self._c, self._projection, self._min_position)
        return self._c.db.transaction()


def views_after(c: Container, projection: str, min_position: int | None) -> _ViewsAfter:
    """The view database, once `projection` has folded `min_position` (else 503)."""
    return _ViewsAfter(c, projection, min_position)
