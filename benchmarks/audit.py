"""`scripts/bench audit`: how fast `lessor audit verify` checks the whole log (ADR 0044).

A fresh store is filled with N real events (the projector benchmark's fill), the audit
chain folds them, and each repetition measures, on that same events table:

    raw read        keyset pages of 500 stored rows by position (plain sqlite3 / psycopg):
                    the baseline the other lines are divided by
    verify          adapters.audit_verify.verify_chain: both tables streamed in windows of
                    positions, every digest and link recomputed, the checkpoint checked
    rebuild         Projector.rebuild("audit_chain"): the chain folded again from position 0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from adapters.audit_verify import verify_chain
from adapters.event_pages import EventPages
from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    BenchError,
    Sample,
    Series,
    Store,
    each_store,
    environment_line,
    markdown_table,
    paired_ratio,
    per_second,
    progress,
    ratio_text,
    say,
    store_kinds,
    store_line,
    timed,
)
from benchmarks.projector import counting, fill, raw_reader
from projections.audit_chain import AuditChain

RAW = "raw keyset read (500/page)"
VERIFY = "lessor audit verify (verify_chain)"
REBUILD = "rebuild audit_chain"
TABLES = ["audit_chain", "audit_checkpoints", "projection_positions"]


@dataclass(frozen=True, slots=True)
class Options:
    events: int
    repeat: int


@dataclass(slots=True)
class StoreResult:
    store: Store
    events: int
    series: dict[str, Series] = field(default_factory=dict)

    def add(self, label: str, sample: Sample) -> None:
        self.series.setdefault(label, Series(label)).samples.append(sample)


def _verify(container: Container) -> int:
    report = verify_chain(
        container.db,
        EventPages(container.app.recorder, container.db.dialect),
        container.db,
        container.db,
        container.audit.public_keys,
    )
    if not report.ok:
        raise BenchError(f"an untouched log did not verify: {report.findings[:3]}")
    return report.events_checked


def bench_store(store: Store, opts: Options) -> StoreResult:
    init_database(store.settings)
    container = build(store.settings)
    try:
        progress(f"{store.kind}: filling with {opts.events:,} events")
        events = fill(container.app, opts.events)
        container.audit.sign_head(container.clock.now())  # chains the log, signs its head
        result = StoreResult(store=store, events=events)
        for repetition in range(1, opts.repeat + 1):
            progress(f"{store.kind}: repetition {repetition}/{opts.repeat}")
            store.settle(TABLES)
            with raw_reader(store) as read_raw:
                result.add(RAW, timed(read_raw))
            result.add(VERIFY, timed(partial(_verify, container)))
            store.settle(TABLES)
            rebuild = partial(container.projector.rebuild, AuditChain.name)
            result.add(REBUILD, timed(counting(rebuild, events)))
        return result
    finally:
        container.close()


def report(result: StoreResult, repeat: int) -> None:
    raw = result.series[RAW]
    say()
    say(f"### {result.store.kind}: {result.events:,} events")
    say(store_line(result.store))
    say()
    header = ["measurement", f"events/s (median of {repeat})", "range", "÷ raw read", "seconds"]
    rows = [
        [
            s.label,
            per_second(s.median),
            s.spread,
            ratio_text(paired_ratio(s, raw)),
            f"{result.events / s.median:.2f}",
        ]
        for s in result.series.values()
    ]
    for line in markdown_table(header, rows):
        say(line)


def run(store_choice: str, opts: Options) -> None:
    say(f"## audit verify benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts.repeat)
