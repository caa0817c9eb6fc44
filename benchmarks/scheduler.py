"""`scripts/bench scheduler`: one scheduler tick over N leased devices, beside today's tick.

A fresh store gets one company and N leased devices, each assigned (saved through the
application, 500 aggregates per `app.save`, then folded by the projector). Most renew in
2029; two groups of 1 % (or --due-percent) renew early, so that their R − 3 months window
opens at two instants, TA and TB. Then, in the same run and on the same store:

    idle tick, due      Scheduler.tick(T0), before either window: nothing is due
    idle tick, today    the tick as it was before the due read model (`todays_tick`): list
                        every leased device in use and advance each (the digest and the
                        subscriptions as then, too)
    due tick, due       Scheduler.tick(TA): group A is due (1 % of the devices)
    due tick, today     todays_tick(TB): group B is due, every device is loaded

Each due tick changes the store, so it runs once; idle ticks change nothing and repeat.
With --baseline-sample M, today's ticks advance only the first M devices and the time is
scaled by N / M (the loop's cost is per device), and the report says so.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from adapters.projector import Projector
from adapters.sql import Database
from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    Sample,
    Store,
    bench_cause,
    each_store,
    environment_line,
    markdown_table,
    progress,
    ratio_text,
    say,
    store_kinds,
    store_line,
    timed,
)
from domain.application import LessorApplication
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.due import digest_due
from domain.model.money import Money

BATCH = 500
ZONE = "Europe/Stockholm"
FAR = date(2029, 6, 1)  # R − 3 months: 2029-03-01, long after every tick here
RENEWAL_A = date(2027, 2, 15)  # R − 3 months: 2026-11-15
RENEWAL_B = date(2027, 3, 15)  # R − 3 months: 2026-12-15
T0 = datetime(2026, 11, 10, 9, tzinfo=UTC)  # a Tuesday: no digest either way
TA = datetime(2026, 11, 17, 9, tzinfo=UTC)
TB = datetime(2026, 12, 15, 9, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Options:
    devices: int
    due_percent: float
    repeat: int
    baseline_sample: int | None


# ------------------------------------------------------------------ the baseline


def todays_tick(
    app: LessorApplication, db: Database, projector: Projector, now: datetime, limit: int | None
) -> int:
    """The tick before the due read model (main at 7c47c1b), with its queries inlined: every
    leased device in use advanced, every company with bought devices asked on a Monday,
    every open subscription advanced. Returns the devices it advanced (or `limit`)."""
    for name in ("subscription_overview", "hardware_overview"):
        projector.catch_up(name)
    with db.transaction() as tx:
        devices = tx.fetchall(
            "SELECT device_id FROM hardware_overview WHERE contract_type = 'leased'"
            " AND status = 'active' AND assignee_id IS NOT NULL AND renewal_date IS NOT NULL"
            " ORDER BY registered_position"
        )
        bought = tx.fetchall(
            "SELECT h.company_id, c.time_zone, h.device_id FROM hardware_overview h"
            " JOIN hardware_overview_companies c ON c.company_id = h.company_id"
            " WHERE h.status = 'active_bought_by_employee'"
            " ORDER BY h.company_id, h.registered_position"
        )
        subscriptions = tx.fetchall(
            "SELECT subscription_id FROM subscriptions"
            " WHERE status NOT IN ('expired', 'cancelled') ORDER BY created_position"
        )
    for (device_id,) in devices[:limit]:
        app.end_of_lease.advance(UUID(device_id), now)
    grouped: dict[str, tuple[str, list[UUID]]] = {}
    for company_id, time_zone, device_id in bought:
        grouped.setdefault(company_id, (time_zone, []))[1].append(UUID(device_id))
    for company_id, (time_zone, ids) in grouped.items():
        if digest_due(now, time_zone):
            app.replacements.send_release_digest(UUID(company_id), ids, now)
    for (subscription_id,) in subscriptions:
        app.subscriptions.advance(UUID(subscription_id), now)
    return min(len(devices), limit) if limit is not None else len(devices)


# ------------------------------------------------------------------ the store


def fleet(company_id: UUID, n: int, due_every: int) -> Iterator[Aggregate]:
    """N leased, assigned devices; one in `due_every` renews early (groups A and B)."""
    cause = bench_cause("bench-scheduler")
    for i in range(n):
        group = i % due_every
        renewal = RENEWAL_A if group == 0 else RENEWAL_B if group == 1 else FAR
        device = Device.register(
            device_id=uuid4(),
            company_id=company_id,
            serial=f"SN-{i:07d}",
            model="ThinkPad X1 Carbon",
            category="laptop",
            company_cost=Money.of("12990.00", "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2026, 1, 1),
            renewal_date=renewal,
            cause=cause,
        )
        device.assign(uuid4(), cause=cause)  # the member's own record is not read by a tick
        yield device


def seed(container: Container, opts: Options) -> None:
    company = Company.register(
        company_id=uuid4(),
        name="Bench Company",
        currency="SEK",
        time_zone=ZONE,
        vat_rate=Decimal("25"),
        settings={},
        cause=bench_cause("bench-company"),
    )
    container.app.save(company)
    due_every = max(1, round(100 / opts.due_percent))
    devices = fleet(company.id, opts.devices, due_every)
    saved = 0
    while batch := list(itertools.islice(devices, BATCH)):
        container.app.save(*batch)
        saved += len(batch)
        if saved % 20_000 == 0:
            progress(f"saved {saved:,} devices")
    progress("folding the log into the read models")
    container.projector.catch_up()


# ------------------------------------------------------------------ measuring


@dataclass(slots=True)
class Result:
    store: Store
    idle_due: list[Sample]
    idle_today: list[Sample]
    due_due: Sample
    due_today: Sample


def _scaled(sample: Sample, factor: float) -> Sample:
    return Sample(count=round(sample.count * factor), seconds=sample.seconds * factor)


def bench_store(store: Store, opts: Options) -> Result:
    init_database(store.settings)
    container = build(store.settings)
    app, db, projector, scheduler = (
        container.app,
        container.db,
        container.projector,
        container.scheduler,
    )
    limit = opts.baseline_sample
    factor = opts.devices / limit if limit else 1.0

    def today(now: datetime) -> Sample:
        return _scaled(timed(lambda: todays_tick(app, db, projector, now, limit)), factor)

    try:
        seed(container, opts)
        store.settle()
        idle_due, idle_today = [], []
        for repetition in range(opts.repeat):
            progress(f"{store.kind}: idle ticks, repetition {repetition + 1}/{opts.repeat}")
            idle_due.append(timed(lambda: scheduler.tick(T0).jobs_due))
            idle_today.append(today(T0))
        progress(f"{store.kind}: the due ticks (once each: they change the store)")
        due_due = timed(lambda: scheduler.tick(TA).devices_advanced)
        due_today = today(TB)
        return Result(store, idle_due, idle_today, due_due, due_today)
    finally:
        container.close()


# ------------------------------------------------------------------ report


def _fraction(ratio: float) -> str:
    return f"1/{1 / ratio:,.0f}" if 0 < ratio < 0.1 else ratio_text(ratio)


def _ms(sample: Sample) -> str:
    return f"{sample.seconds * 1000:,.1f}"


def report(result: Result, opts: Options) -> None:
    idle_due = statistics.median(s.seconds for s in result.idle_due)
    idle_today = statistics.median(s.seconds for s in result.idle_today)
    idle_ratio = idle_due / idle_today
    due_ratio = result.due_due.seconds / result.due_today.seconds
    say()
    say(f"### {result.store.kind}: {opts.devices:,} leased devices, {opts.due_percent:g} % due")
    say(store_line(result.store))
    if opts.baseline_sample:
        say(
            f"today's ticks advanced the first {opts.baseline_sample:,} devices; their time is"
            f" extrapolated ×{opts.devices / opts.baseline_sample:g} (linear: one load per device)"
        )
    say()
    header = ["tick", "due read model (ms)", "today's tick (ms)", "due ÷ today"]
    rows = [
        [
            f"idle: none due (median of {opts.repeat})",
            f"{idle_due * 1000:,.1f}",
            f"{idle_today * 1000:,.1f}",
            _fraction(idle_ratio),
        ],
        [
            f"{opts.due_percent:g} % due ({result.due_due.count:,} advanced)",
            _ms(result.due_due),
            _ms(result.due_today),
            _fraction(due_ratio),
        ],
    ]
    for line in markdown_table(header, rows):
        say(line)
    say()
    verdict = "met" if idle_ratio <= 0.01 else "NOT met"
    say(f"idle tick ≤ 1/100 of today's: {verdict} ({_fraction(idle_ratio)})")


def run(store_choice: str, opts: Options) -> None:
    say(f"## scheduler benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts)
