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
from datetime import datetime, time
from functools import partial
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters.projector import Projector
from adapters.sql import Database
from adapters.view_queries import (
    bought_devices_by_company,
    leased_devices_in_use,
    open_subscription_ids,
)
from domain.application import LessorApplication
from domain.model.errors import DomainError
from domain.model.time import local_date, local_instant

log = logging.getLogger("lessor.scheduler")
MAX_ATTEMPTS = 5


@dataclass
class TickReport:
    at: datetime
    subscriptions_advanced: int = 0
    devices_advanced: int = 0
    digests_sent: int = 0
    events: int = 0
    failures: list[str] = field(default_factory=list)


class Scheduler:
    def __init__(self, app: LessorApplication, db: Database, projector: Projector) -> None:
        self.app = app
        self.db = db
        self.projector = projector

    def tick(self, now: datetime) -> TickReport:
        report = TickReport(at=now)
        for name in ("subscription_overview", "hardware_overview"):
            self.projector.catch_up(name)  # see what was created just now
        self._devices(now, report)
        self._digests(now, report)
        for subscription_id in open_subscription_ids(self.db):
            events = self._with_retries(
                partial(self.app.subscriptions.advance, subscription_id, now)
            )
            if events is None:
                report.failures.append(f"subscription {subscription_id}")
            elif events:
                report.subscriptions_advanced += 1
                report.events += events
        return report

    def _devices(self, now: datetime, report: TickReport) -> None:
        """R − 3 months, R − 1 month (the final-decision email), R (overdue)."""
        for device_id in leased_devices_in_use(self.db):
            events = self._with_retries(partial(self.app.end_of_lease.advance, device_id, now))
            if events is None:
                report.failures.append(f"device {device_id}")
            elif events:
                report.devices_advanced += 1
                report.events += events

    def _digests(self, now: datetime, report: TickReport) -> None:
        """Monday 09:00 local, per company: devices ready to release, once per week."""
        for company_id, time_zone, device_ids in bought_devices_by_company(self.db):
            if not digest_due(now, time_zone):
                continue
            sent = self._with_retries(partial(self._send_digest, company_id, device_ids, now))
            if sent is None:
                report.failures.append(f"digest {company_id}")
            elif sent:
                report.digests_sent += 1

    def _send_digest(self, company_id: UUID, device_ids: list[UUID], now: datetime) -> int:
        return int(self.app.replacements.send_release_digest(company_id, device_ids, now))

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


def digest_due(now: datetime, time_zone: str) -> bool:
    """Monday from 09:00 local: the weekly digest's day. (Once per week is the company's
    own record; a scheduler down all Monday skips that week rather than mail mid-week.)"""
    today = local_date(now, time_zone)
    return today.weekday() == 0 and now >= local_instant(today, time(9, 0), time_zone)
