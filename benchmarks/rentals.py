"""`scripts/bench rentals`: the 00:00 daily rental charge for N accounts with R rentals each,
beside the single-command save rate measured in the same run (issue 10).

A fresh store gets N companies, each with an account that redeemed enough credits and
rents R devices from 2 March 2026 (built as aggregates, 500 per `app.save`, then folded by
the projector). Then one scheduler tick at 00:00 on 3 March (Stockholm) charges every
account's day — N due rows, N account loads, N saves of one `DayCharged` each — timed as
a whole (the due catch-up included: it folds nothing new). The baseline is `register_device`
one command per save (`scripts/bench commands`), the same store, the same run.
Target (issue 10): 10,000 accounts × 10 rentals on PostgreSQL in ≤ 60 s.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from uuid import uuid4

from eventsourcing.domain import Aggregate

from api.bootstrap import build, init_database
from benchmarks.commands import DeviceRegistrar
from benchmarks.common import (
    Sample,
    Store,
    bench_cause,
    each_store,
    environment_line,
    markdown_table,
    per_second,
    progress,
    say,
    store_kinds,
    store_line,
    timed,
)
from domain.model.company import Company
from domain.model.rental_account import RentalAccount
from domain.model.time import local_midnight

BATCH = 500
ZONE = "Europe/Stockholm"
FIRST_DAY = date(2026, 3, 2)
CHARGE_AT = local_midnight(date(2026, 3, 3), ZONE)
TARGET_S = 60.0


@dataclass(frozen=True, slots=True)
class Options:
    accounts: int
    rentals: int
    baseline: int  # single commands for the baseline


def accounts(n: int, rentals: int) -> Iterator[Aggregate]:
    cause = bench_cause("bench-rentals")
    for _ in range(n):
        company = Company.register(
            company_id=uuid4(),
            name="Rent Co",
            currency="SEK",
            time_zone=ZONE,
            vat_rate=Decimal("25"),
            settings={},
            cause=cause,
        )
        account = RentalAccount.open(company_id=company.id, cause=cause)
        account.redeem(uuid4(), 1_000, FIRST_DAY, cause=cause)
        for _ in range(rentals):  # devices of their own are not read by the charge
            account.activate(uuid4(), 7, FIRST_DAY, cause=cause)
        yield company
        yield account


@dataclass(slots=True)
class Result:
    store: Store
    tick: Sample  # events written by the tick
    accounts_charged: int
    baseline: Sample  # commands


def bench_store(store: Store, opts: Options) -> Result:
    init_database(store.settings)
    container = build(store.settings)
    try:
        made = accounts(opts.accounts, opts.rentals)
        saved = 0
        while batch := list(itertools.islice(made, BATCH)):
            container.app.save(*batch)
            saved += len(batch) // 2
            if saved % 2_000 == 0:
                progress(f"{store.kind}: saved {saved:,} accounts")
        progress(f"{store.kind}: folding the log into the read models")
        container.projector.catch_up()
        store.settle()
        progress(f"{store.kind}: the 00:00 tick")
        reports = []

        def tick() -> int:
            report = container.scheduler.tick(CHARGE_AT)
            reports.append(report)
            return report.events

        charged = timed(tick)
        progress(f"{store.kind}: the baseline, {opts.baseline:,} single commands")
        registrar = DeviceRegistrar.for_new_company(container.app)
        serials = [f"SN-B{i:06d}" for i in range(opts.baseline)]
        baseline = timed(lambda: registrar.register(serials))
        return Result(store, charged, reports[0].jobs_due, baseline)
    finally:
        container.close()


def report(result: Result, opts: Options) -> None:
    say()
    say(f"### {result.store.kind}: {opts.accounts:,} accounts × {opts.rentals} rentals")
    say(store_line(result.store))
    say()
    header = ["what", "count", "seconds", "per second"]
    rows = [
        [
            f"00:00 tick ({result.accounts_charged:,} accounts due)",
            f"{result.tick.count:,} events",
            f"{result.tick.seconds:,.1f}",
            per_second(result.tick.rate),
        ],
        [
            "single commands (register_device)",
            f"{result.baseline.count:,} commands",
            f"{result.baseline.seconds:,.1f}",
            per_second(result.baseline.rate),
        ],
    ]
    for line in markdown_table(header, rows):
        say(line)
    say()
    scaled = result.tick.seconds * 10_000 / max(opts.accounts, 1)
    verdict = "met" if scaled <= TARGET_S else "NOT met"
    say(f"10,000 accounts in ≤ {TARGET_S:.0f} s (linear from this run: {scaled:,.1f} s): {verdict}")


def run(store_choice: str, opts: Options) -> None:
    say(f"## rentals benchmark — {environment_line()} — tick at {CHARGE_AT.astimezone(UTC)}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts)
