"""`scripts/bench invoices`: the monthly run and the issue of every draft, for N companies
(each with a monthly subscription charged in November and seats added mid-month), beside
the single-command save rate measured in the same run.

    seed (untimed)   N companies, a monthly subscription each from 1 November (charged),
                     2 seats added on 17 November; the read models caught up
    run              one scheduler tick at 00:00 on 1 December Stockholm: every
                     subscription's December charge, then every company's run
    issue            every open draft issued as `lessor invoices issue --all` does: in
                     batches of 100, each one transaction (ADR 0053)
    baseline         register_company commands, one save each

Usage lines are not part of it yet: the usage ledger (issue 11) is not wired in.
Targets (issue 13, 10,000 companies on PostgreSQL): run ≤ 30 s, issue all ≤ 60 s.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    Sample,
    Store,
    bench_caller,
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
from domain.application import CommandContext
from domain.model.company import Company
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import ProductKind
from domain.model.subscription import SeatLine, Subscription
from domain.model.time import local_midnight
from projections.invoices import open_drafts

ZONE = "Europe/Stockholm"
DECEMBER = local_midnight(date(2026, 12, 1), ZONE)
BATCH = 500
PRICE = Money(4900, "SEK")


@dataclass(frozen=True, slots=True)
class Options:
    companies: int = 10_000
    baseline: int = 500


def customers(n: int, product: UUID) -> Iterator[Aggregate]:
    cause = bench_cause("bench-invoices")

    def one(i: int) -> list[Aggregate]:
        company = Company.register(
            company_id=uuid4(),
            name=f"Customer {i:06d} AB",
            currency="SEK",
            time_zone=ZONE,
            vat_rate=Decimal("25"),
            settings={},
            cause=cause,
        )
        sub = Subscription.create(
            subscription_id=uuid4(),
            company_id=company.id,
            lines=[SeatLine(product, "Workplace Plan", ProductKind.PLAN, 5, PRICE)],
            start_date=date(2026, 11, 1),
            term=Term.MONTHLY,
            po_reference=f"PO-{i}",
            separate_invoice=False,
            renewal_option=RenewalOption.NONE,
            cause=cause,
        )
        sub.advance(date(2026, 11, 1), {}, cause)
        sub.add_seats(product, 2, unit_price=PRICE, today=date(2026, 11, 17), cause=cause)
        return [company, sub]

    return itertools.chain.from_iterable(one(i) for i in range(n))


@dataclass(slots=True)
class Result:
    store: Store
    run: Sample
    issue: Sample
    baseline: Sample


def add_product(container: Container, ctx: CommandContext) -> UUID:
    """The plan every customer subscribes to."""
    return container.app.catalog.add_product(
        ctx, code="WP", name="Workplace Plan", kind=ProductKind.PLAN, prices={"SEK": 4900}
    ).subject_id


def save_all(container: Container, store: Store, aggregates: Iterator[Aggregate]) -> None:
    """Save the aggregates BATCH at a time, then fold them into the read models (untimed)."""
    saved = 0
    while batch := list(itertools.islice(aggregates, BATCH)):
        container.app.save(*batch)
        saved += len(batch)
        if saved % 10_000 == 0:
            progress(f"{store.kind}: seeded {saved:,} aggregates")
    container.projector.catch_up()
    store.settle()


def december_run(container: Container) -> int:
    """One scheduler tick at 00:00 on 1 December: the charges, then every company's run."""
    return container.scheduler.tick(DECEMBER).invoice_runs


def issue_all(container: Container, ctx: CommandContext) -> int:
    """What `lessor invoices issue --all` does: every open draft, in batches (ADR 0053)."""
    drafts = open_drafts(container.db, None)
    return sum(1 for _ in container.app.invoicing.issue_all(ctx, drafts))


def bench_store(store: Store, opts: Options) -> Result:
    init_database(store.settings)
    container = build(store.settings)
    app = container.app
    ctx = CommandContext(caller=bench_caller(), cause=bench_cause("bench-invoices"))
    try:
        save_all(container, store, customers(opts.companies, add_product(container, ctx)))
        progress(f"{store.kind}: the December run")
        run = timed(lambda: december_run(container))
        container.projector.catch_up()
        progress(f"{store.kind}: issuing every draft")
        issue = timed(lambda: issue_all(container, ctx))

        def baseline() -> int:
            for i in range(opts.baseline):
                app.companies.register(
                    ctx,
                    name=f"Baseline {i}",
                    currency="SEK",
                    time_zone=ZONE,
                    vat_rate=Decimal("25"),
                    settings={},
                )
            return opts.baseline

        progress(f"{store.kind}: the single-command baseline")
        return Result(store, run, issue, timed(baseline))
    finally:
        container.close()


def report(result: Result, opts: Options) -> None:
    say()
    say(f"### {result.store.kind}: {opts.companies:,} companies")
    say(store_line(result.store))
    say()
    rows = [
        [
            "December run (tick)",
            f"{result.run.count:,} runs",
            f"{result.run.seconds:,.1f}",
            per_second(result.run.rate),
            "≤ 30 s",
        ],
        [
            "issue every draft",
            f"{result.issue.count:,} invoices",
            f"{result.issue.seconds:,.1f}",
            per_second(result.issue.rate),
            "≤ 60 s",
        ],
        [
            "register_company (baseline)",
            f"{result.baseline.count:,} commands",
            f"{result.baseline.seconds:,.1f}",
            per_second(result.baseline.rate),
            "",
        ],
    ]
    for line in markdown_table(["step", "done", "seconds", "per second", "target"], rows):
        say(line)
    say()
    say(f"issue rate ÷ single-command rate: {result.issue.rate / result.baseline.rate:.2f}")


def run(store_choice: str, opts: Options) -> None:
    say(f"## invoices benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts)
