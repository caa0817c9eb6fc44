"""The scheduler: given `now`, run every time rule that is due (SPEC §8).

It is told the time, so tests drive it across month ends and DST changes. Each job is
idempotent by construction — the aggregate knows what it already did (a subscription
knows which periods it charged) — so a tick run twice, or by two processes at once,
does each thing once: the loser of a race reloads and finds nothing left to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from eventsourcing.persistence import IntegrityError

from adapters.projector import Projector
from adapters.sql import Database
from adapters.view_queries import open_subscription_ids
from domain.application import LessorApplication
from domain.model.errors import DomainError

log = logging.getLogger("lessor.scheduler")
MAX_ATTEMPTS = 5


@dataclass
class TickReport:
    at: datetime
    subscriptions_advanced: int = 0
    events: int = 0
    failures: list[str] = field(default_factory=list)


class Scheduler:
    def __init__(self, app: LessorApplication, db: Database, projector: Projector) -> None:
        self.app = app
        self.db = db
        self.projector = projector

    def tick(self, now: datetime) -> TickReport:
        report = TickReport(at=now)
        self.projector.catch_up("subscription_overview")  # see subscriptions created just now
        for subscription_id in open_subscription_ids(self.db):
            events = self._with_retries(
                partial(self.app.advance_subscription, subscription_id, now)
            )
            if events is None:
                report.failures.append(f"subscription {subscription_id}")
            elif events:
                report.subscriptions_advanced += 1
                report.events += events
        return report

    def _with_retries(self, job: Callable[[], int]) -> int | None:
        for _ in range(MAX_ATTEMPTS):
            try:
                return job()
            except IntegrityError:
                continue  # someone else advanced it first: reload and look again
            except DomainError as error:
                log.error("scheduled job refused: %s", error)
                return None
        return None

    def run_forever(
        self, clock: Callable[[], datetime], stop: threading.Event, *, interval_s: float = 60.0
    ) -> None:
        while not stop.is_set():
            try:
                self.tick(clock())
            except Exception:  # keep the schedule alive; the next tick retries
                log.exception("scheduler tick failed")
            stop.wait(interval_s)
