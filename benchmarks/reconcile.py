"""`scripts/bench reconcile`: `lessor reconcile` (every check, `--json`, a process of its
own) over N billed companies, beside a raw read of the events table in the same run.

The fill is the invoices benchmark's (`benchmarks.invoices`: a monthly subscription per
company charged in November, seats added mid-month, the December run, every draft
issued), plus per company a rental account that redeemed a key, rented a device from
29 November, was charged 30 November and returned it (so the December tick has no rental
to charge). All untimed; then the views are caught up and the tables vacuumed.
Timed: a raw keyset read of the events table (warmed first), then the whole command.
The run fails unless reconcile exits 0 and checked as many issued invoices as were issued
and as many rental accounts as were opened: a reconcile that checks nothing cannot pass.
Target (issue 15): 10,000 companies ≤ 60 s.
"""

from __future__ import annotations

import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from api.bootstrap import build, init_database
from benchmarks.common import (
    BenchError,
    Sample,
    Store,
    bench_caller,
    bench_cause,
    each_store,
    environment_line,
    markdown_table,
    per_second,
    progress,
    ratio_text,
    say,
    store_kinds,
    store_line,
    timed,
)
from benchmarks.invoices import add_product, customers, december_run, issue_all, save_all
from benchmarks.projector import raw_reader, view_tables
from benchmarks.replay import reconcile_command
from domain.application import CommandContext
from domain.model.company import Company
from domain.model.rental_account import RentalAccount

TARGET_S = 60.0
RENTED = date(2026, 11, 29)
CHARGED = date(2026, 11, 30)


@dataclass(frozen=True, slots=True)
class Options:
    companies: int = 10_000
    rentals: bool = True  # a rental account per company
    profile: bool = False  # cProfile the command; print what dominates


def with_rental_accounts(aggregates: Iterator[Aggregate]) -> Iterator[Aggregate]:
    """Each company followed by its rental account: a key redeemed, a device rented for
    29 November, 30 November charged (one `DayCharged`), the rental ended."""
    cause = bench_cause("bench-reconcile")
    for aggregate in aggregates:
        yield aggregate
        if isinstance(aggregate, Company):
            account = RentalAccount.open(company_id=aggregate.id, cause=cause)
            account.redeem(uuid4(), 100, RENTED, cause=cause)
            device = uuid4()
            account.activate(device, 7, RENTED, cause=cause)
            account.catch_up(CHARGED, cause=cause)
            account.deactivate(device, CHARGED, cause=cause)
            yield account


@dataclass(slots=True)
class Result:
    store: Store
    raw: Sample  # events
    reconcile_s: float
    report: dict[str, Any]
    issued: int
    accounts: int


def bench_store(store: Store, opts: Options) -> Result:
    init_database(store.settings)
    container = build(store.settings)
    ctx = CommandContext(caller=bench_caller(), cause=bench_cause("bench-reconcile"))
    try:
        made = customers(opts.companies, add_product(container, ctx))
        save_all(container, store, with_rental_accounts(made) if opts.rentals else made)
        progress(f"{store.kind}: the December run")
        december_run(container)
        container.projector.catch_up()
        progress(f"{store.kind}: issuing every draft")
        issued = issue_all(container, ctx)
        container.projector.catch_up()
        store.settle(view_tables(container.projector))
        with raw_reader(store) as read_raw:
            read_raw()  # warm the page cache, untimed
            raw = timed(read_raw)
    finally:
        container.close()
    with tempfile.TemporaryDirectory(prefix="lessor-bench-reconcile-") as tmp:
        profile = Path(tmp) / "reconcile.prof" if opts.profile else None
        progress(f"{store.kind}: lessor reconcile --json")
        started = time.perf_counter()
        code, report = reconcile_command(store, profile)
        seconds = time.perf_counter() - started
        if profile is not None:
            stats = pstats.Stats(str(profile), stream=sys.stderr).sort_stats("cumulative")
            stats.print_stats(50)
            stats.print_callers(r"application.py:\d+\(get\)")  # who loads aggregates
    accounts = opts.companies if opts.rentals else 0
    result = Result(store, raw, seconds, report, issued, accounts)
    check_result(result, code)
    return result


def checked(report: dict[str, Any], name: str) -> int:
    return next((int(c["checked"]) for c in report["checks"] if c["name"] == name), -1)


def check_result(result: Result, code: int) -> None:
    """A run that found a discrepancy, or checked less than it was given, is no figure."""
    problems = [] if code == 0 else [f"lessor reconcile exited {code}: {result.report}"]
    for name, expected in (
        ("issued invoices", result.issued),
        ("rental credit balances", result.accounts),
    ):
        if checked(result.report, name) != expected:
            problems.append(f"{name}: checked {checked(result.report, name)}, expected {expected}")
    if result.issued == 0:
        problems.append("no invoice was issued: nothing for reconcile to check")
    if problems:
        raise BenchError("; ".join(problems))


def report(result: Result, opts: Options) -> None:
    say()
    say(f"### {result.store.kind}: {opts.companies:,} companies")
    say(store_line(result.store))
    say()
    raw = result.raw
    events = raw.count
    rows = [
        [
            "raw keyset read of the events table",
            f"{raw.seconds:,.2f}",
            per_second(raw.rate),
            "1.00",
        ],
        [
            "lessor reconcile --json (whole command, own process)",
            f"{result.reconcile_s:,.2f}",
            per_second(events / result.reconcile_s),
            ratio_text(events / result.reconcile_s / raw.rate),
        ],
    ]
    for line in markdown_table([f"{events:,} events", "seconds", "events/s", "÷ raw read"], rows):
        say(line)
    say()
    for line in markdown_table(
        ["check", "checked", "discrepancies"],
        [
            [c["name"], f"{c['checked']:,}", str(len(c["discrepancies"]))]
            for c in result.report["checks"]
        ],
    ):
        say(line)
    say()
    scaled = result.reconcile_s * 10_000 / opts.companies
    verdict = "met" if scaled <= TARGET_S else "NOT met"
    say(
        f"10,000 companies in ≤ {TARGET_S:.0f} s (linear from this run: {scaled:,.1f} s):"
        f" {verdict}; {result.issued:,} invoices issued and checked, exit 0"
    )


def run(store_choice: str, opts: Options) -> None:
    say(f"## reconcile benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts)
