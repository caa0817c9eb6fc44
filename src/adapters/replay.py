"""Replay: fold a prefix of the log (or the events of a business-time window) into a fresh
set of read models in another database, never touching the live views.

The target is an ordinary view database — the projector's own tracking and view tables,
made by a `Projector` over the target `Database` — so the same queries read it. Events are
read page by page from the live store and folded by that projector's own fold (one folding
loop in the code base). The live database is only read (docs/adr/0040-replay.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import StoredEvent

from adapters.event_pages import EventPages, LoggedEvent
from adapters.projection_positions import read_positions, set_position
from adapters.projector import Projector
from adapters.replay_cut import ReplayedAsOf, record_cut
from adapters.scratch_views import scratch_views
from adapters.sql import Database
from adapters.view_tables import live_names
from domain.application import LessorApplication
from domain.model.time import require_utc
from projections.base import Projection

Progress = Callable[[int, int], None]  # (position read, last position to read)


class ReplayRefused(ValueError):
    """The replay cannot run as asked (position beyond the head, a target not fresh)."""


@dataclass(frozen=True, slots=True)
class Cut:
    """Where the replay stops: at a log position, or at an instant by recorded time (the
    library's timestamp: "what we knew then") or by business time (each event's `at`)."""

    position: int | None = None
    at: datetime | None = None
    business_time: bool = False

    def __post_init__(self) -> None:
        if (self.position is None) == (self.at is None):
            raise ReplayRefused("Give either a position or an instant.")
        if self.position is not None and self.position < 0:
            raise ReplayRefused("The position must be 0 or more.")
        if self.at is not None:
            object.__setattr__(self, "at", require_utc(self.at))


@dataclass(frozen=True, slots=True)
class ReplayResult:
    position: int  # the last log position read
    folded: int  # events within the cut


def replay(
    app: LessorApplication,
    source: Database,
    target: Database,
    projections: Sequence[Projection],
    cut: Cut,
    *,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> ReplayResult:
    """Fold the log of `source` up to `cut` into fresh read models in `target`."""
    head = int(app.recorder.max_notification_id() or 0)
    if cut.position is not None and cut.position > head:
        raise ReplayRefused(f"Position {cut.position} is beyond the head of the log ({head}).")
    stop = head if cut.position is None else cut.position
    folder = Projector(app, target, projections)
    folder.create_schema()
    with target.transaction() as tx:
        if any(read_positions(tx).values()):
            raise ReplayRefused("The target already holds read models: give a fresh database.")
    pages = EventPages(app.recorder, source.dialect)
    position, folded, last_recorded = 0, 0, None
    with scratch_views(projections) as scratch:  # the rebuild's fast path (ADR 0047)
        while position < stop:
            with source.transaction() as tx:
                events = pages.after(tx, position, batch_size, stop=stop)
            if not events:
                break
            kept, ended = within(app, events, cut)
            with scratch.folding(projections) as targets:
                folder._fold(targets, kept)
            folded += len(kept)
            if kept and cut.at is None:
                last_recorded = decode(app, kept[-1]).timestamp
            if not ended:
                position = events[-1].position
            elif kept:
                position = kept[-1].position
            if progress:
                progress(position, stop)
            if ended:
                break
        with target.transaction() as tx:
            for p in projections:
                scratch.write_into(tx, p, live_names(p))
                set_position(tx, p.name, position, p.version)
            at = cut.at or last_recorded
            record_cut(tx, ReplayedAsOf(position, at, cut.business_time))
    return ReplayResult(position=position, folded=folded)


def decode(app: LessorApplication, logged: LoggedEvent) -> Any:
    """The domain event a stored row holds."""
    return app.mapper.to_domain_event(
        StoredEvent(
            originator_id=logged.originator_id,
            originator_version=logged.originator_version,
            topic=logged.topic,
            state=logged.state,
        )
    )


def within(
    app: LessorApplication, events: Sequence[LoggedEvent], cut: Cut
) -> tuple[list[LoggedEvent], bool]:
    """The events of a page inside the cut, and whether the cut ends in this page.

    By recorded time the log is cut at the first event recorded after the instant (a
    prefix: the state as it was known then). By business time every event whose business
    time is at or before the instant is kept, in log order, whenever it was recorded."""
    if cut.at is None:
        return list(events), False
    until = cut.at
    kept: list[LoggedEvent] = []
    for logged in events:
        event = decode(app, logged)
        recorded: datetime = getattr(event, "timestamp")  # noqa: B009 (not in the protocol)
        if cut.business_time:
            if getattr(event, "at", recorded) <= until:
                kept.append(logged)
        elif recorded > until:
            return kept, True
        else:
            kept.append(logged)
    return kept, False
