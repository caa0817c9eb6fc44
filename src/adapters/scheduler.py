"""The scheduler: given `now`, run every time rule that is due (SPEC §8).

It is told the time, so tests drive it across month ends and DST changes. A tick first
catches up the `due` read model, then touches only the aggregates it names as due at
`now` (docs/adr/0010): its cost grows with what is due, not with every device.

Any number of schedulers may run on one store (SPEC §8): a tick holds the database claim
`scheduler-tick` (adapters/claims.py, docs/adr/0052-scale-out.md), so ticks never overlap;
a second scheduler waits, then finds the due rows moved and nothing left to do. Each job is
also idempotent by construction — the aggregate knows what it already did (a subscription
knows which periods it charged) — so a tick run twice does each thing once, and a command
racing a job loses on the aggregate's version, reloads and finds nothing left to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters.audit_checkpoints import AuditCheckpoints
from adapters.claims import claimed
from adapters.loop import run_every
from adapters.projector import Projector, live_names
from adapters.sql import Database
from domain.application import LessorApplication
from domain.application.core import BatchResult
from domain.model.due import (
    DEVICE_RULES,
    DIGEST_RULES,
    INVOICE_RULES,
    RENTAL_RULES,
    SUBSCRIPTION_RULES,
)
from domain.model.errors import DomainError
from projections.due import DueProjection
from projections.due.queries import DueJob, digest_candidates, due_jobs
from projections.invoices import Invoices, open_drafts

log = logging.getLogger("lessor.scheduler")
MAX_ATTEMPTS = 5
TICK_CLAIM = "scheduler-tick"  # held by one tick at a time, across processes
BATCH = 100  # subscriptions advanced, or companies' invoice runs, saved in one transaction


@dataclass
class TickReport:
    at: datetime
    subscriptions_advanced: int = 0
    devices_advanced: int = 0
    digests_sent: int = 0
    rental_accounts_charged: int = 0
    invoice_runs: int = 0
    invoices_issued: int = 0
    invoice_events: int = 0  # of `events`: the runs' and automatic issues'
    events: int = 0
    checkpoints_signed: int = 0  # of the audit chain's head
    jobs_due: int = 0  # aggregates the due read model named (each touched once)
    failures: list[str] = field(default_factory=list)


class Scheduler:
    def __init__(
        self,
        app: LessorApplication,
        db: Database,
        projector: Projector,
        *,
        auto_issue_invoices: bool = False,
        audit: AuditCheckpoints | None = None,
    ) -> None:
        self.app = app
        self.db = db
        self.projector = projector
        self.auto_issue_invoices = auto_issue_invoices
        self._due = live_names(DueProjection())
        self.audit = audit

    def tick(self, now: datetime) -> TickReport:
        """Run what is due at `now`, once the claim is ours (another tick may hold it)."""
        with claimed(self.db, TICK_CLAIM):
            return self._tick(now)

    def _tick(self, now: datetime) -> TickReport:
        report = TickReport(at=now)
        # See what was written just now. A read model that cannot fold an event is parked,
        # not fatal: the tick goes on with what it folded (commands apply due time rules
        # first anyway, so nothing is decided on the stale part).
        for failure in self.projector.catch_up(DueProjection.name):
            log.warning(
                "%s is parked at position %d (%s): what came after is not seen this tick",
                failure.name,
                failure.position,
                failure.error,
            )
        jobs = self.due(now)
        devices = _distinct(j.aggregate_id for j in jobs if j.rule in DEVICE_RULES)
        companies = _distinct(j.company_id for j in jobs if j.rule in DIGEST_RULES)
        subscriptions = _distinct(j.aggregate_id for j in jobs if j.rule in SUBSCRIPTION_RULES)
        accounts = _distinct(j.aggregate_id for j in jobs if j.rule in RENTAL_RULES)
        invoicing = _distinct(j.company_id for j in jobs if j.rule in INVOICE_RULES)
        report.jobs_due = (
            len(devices) + len(companies) + len(subscriptions) + len(accounts) + len(invoicing)
        )
        report.devices_advanced += len(
            self._each("device", devices, self.app.end_of_lease.advance, now, report)
        )
        report.digests_sent += len(
            self._each("digest", companies, self._send_digest, now, report, writes_events=False)
        )
        subs = self.app.subscriptions
        report.subscriptions_advanced += len(
            self._batched(
                "subscription", subscriptions, subs.advance_many, subs.advance, now, report
            )
        )
        report.rental_accounts_charged += len(
            self._each("rental account", accounts, self.app.credits.advance, now, report)
        )
        # Last: a run at 00:00 on the 1st collects the charges this tick just made (a first
        # charge arms its company's run: see it now, not a tick later).
        if report.subscriptions_advanced:
            self.projector.catch_up(DueProjection.name)
            invoicing = _distinct(j.company_id for j in self.due(now) if j.rule in INVOICE_RULES)
        runs = self.app.invoicing
        ran = self._batched("invoice run", invoicing, runs.run_due_many, runs.run_due, now, report)
        report.invoice_runs += len(ran)
        report.invoice_events += sum(ran.values())
        if self.auto_issue_invoices and ran:
            self.projector.catch_up(Invoices.name)
            drafts = [i for company_id in ran for i in open_drafts(self.db, company_id)]
            # The provider issues automatically: each draft the runs just made, at once.
            issue = self.app.invoicing.issue_automatically
            issued = self._each("invoice", drafts, issue, now, report)
            report.invoices_issued += len(issued)
            report.invoice_events += sum(issued.values())
        if self.audit is not None and self.audit.sign_if_due(now) is not None:
            report.checkpoints_signed += 1  # at least daily (ADR 0044), after the day's facts
        return report

    def due(self, now: datetime) -> list[DueJob]:
        """What the `due` read model says is due at `now` (as far as it has folded)."""
        with self.db.transaction() as tx:
            return due_jobs(tx.with_names(self._due), now)

    def _each(
        self,
        label: str,
        ids: Iterable[UUID],
        job: Callable[[UUID, datetime], int],
        now: datetime,
        report: TickReport,
        *,
        writes_events: bool = True,
    ) -> dict[UUID, int]:
        """`job(id, now)` for each id, with retries; a refusal is a failure named `label id`.
        Returns the ids whose job did something, with what it returned (events written)."""
        done: dict[UUID, int] = {}
        for aggregate_id in ids:
            result = self._with_retries(partial(job, aggregate_id, now))
            if result is None:
                report.failures.append(f"{label} {aggregate_id}")
            elif result:
                done[aggregate_id] = result
                if writes_events:
                    report.events += result
        return done

    def _batched(
        self,
        label: str,
        ids: list[UUID],
        many: Callable[[list[UUID], datetime], BatchResult],
        one: Callable[[UUID, datetime], int],
        now: datetime,
        report: TickReport,
    ) -> dict[UUID, int]:
        """`_each` of `one`, done BATCH ids per transaction by `many`; a batch that collides
        with another writer (a command, another scheduler) is done again one by one."""
        done: dict[UUID, int] = {}
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            try:
                result = many(batch, now)
            except IntegrityError:
                done |= self._each(label, batch, one, now, report)
                continue
            for aggregate_id, error in result.refused.items():
                log.error("scheduled job refused: %s", error)
                report.failures.append(f"{label} {aggregate_id}")
            done |= {aggregate_id: n for aggregate_id, n in result.events.items() if n}
            report.events += sum(result.events.values())
        return done

    def _send_digest(self, company_id: UUID, now: datetime) -> int:
        with self.db.transaction() as tx:
            device_ids = digest_candidates(tx.with_names(self._due), company_id)
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
        run_every(
            self.tick, clock, stop, interval_s=interval_s, log=log, failure="scheduler tick failed"
        )


def _distinct(ids: Iterable[UUID]) -> list[UUID]:
    """In first-seen order: an aggregate due under several rules is advanced once."""
    return list(dict.fromkeys(ids))
