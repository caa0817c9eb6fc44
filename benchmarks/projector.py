"""`scripts/bench projector`: how fast our projector folds the whole log into its views.

A fresh store is filled with N real events (the domain's own factories and methods, saved
through the application ~500 aggregates per `app.save`). Then, each repetition measures on
that same events table:

    raw read         keyset pages of 500 stored rows by position (plain sqlite3 / psycopg):
                     the baseline every other line is divided by
    library read     recorder.select_notifications, pages of 500 (Notification objects)
    library decode   the same plus mapper.to_domain_event: all that the projector reads
    rebuild <name>   Projector.rebuild(name): the whole log into aside tables, then the swap
    one pass         Projector.rebuild_many(names): all of them folded in one read of the log
    catch-up         (--catch-up) catch_up() of every projection from position 0, 500 events
                     per transaction: the path a live projector takes after `db init`

The two library lines are not targets: they split the distance between the raw read and the
projector into the library's share and ours.
"""

from __future__ import annotations

import cProfile
import io
import itertools
import pstats
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from adapters.projector import TRACKING_TABLE, Projector
from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    BenchError,
    Sample,
    Series,
    Store,
    bench_cause,
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
from domain.application import LessorApplication
from domain.model.actor import Role
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.events import Cause
from domain.model.member import Member
from domain.model.money import Money
from domain.model.unique_claim import UniqueClaim

PAGE = 500  # rows per keyset page: what the library's own subscription reads at a time
AGGREGATES_PER_SAVE = 500
MEMBERS_PER_COMPANY = 25
DEVICES_PER_COMPANY = 100

TARGET_POSTGRES_EVENTS_PER_S = 20_000
TARGET_RATIO_TO_RAW = 0.3

RAW = "raw keyset read (500/page)"
LIBRARY_READ = "library select_notifications (500/page)"
LIBRARY_DECODE = "library select + decode"
CATCH_UP = "catch-up from 0, all projections"


@dataclass(frozen=True, slots=True)
class Options:
    events: int
    repeat: int
    catch_up: bool
    profile: bool
    projections: tuple[str, ...] = ()  # empty: every registered projection


@dataclass(slots=True)
class StoreResult:
    store: Store
    events: int
    fill: Sample
    series: dict[str, Series] = field(default_factory=dict)
    profile: list[str] = field(default_factory=list)  # report lines, printed after the table

    def add(self, label: str, sample: Sample) -> None:
        self.series.setdefault(label, Series(label)).samples.append(sample)


# ------------------------------------------------------------------ filling the store


def company_aggregates(number: int) -> Iterator[Aggregate]:
    """One company with its members and devices, as the application would have saved them.

    Each member and device comes with its uniqueness claim, and each device is assigned,
    unassigned and assigned again, so the projections see every kind of event they handle
    (inserts, updates, the member-name lookup) and the kind they skip (claims).
    """
    cause = bench_cause(f"bench-fill-{number}")
    company = Company.register(
        company_id=uuid4(), name=f"Bench Company {number}", currency="SEK", cause=cause
    )
    yield company
    members: list[Member] = []
    for index in range(MEMBERS_PER_COMPANY):
        member = Member.register(
            member_id=uuid4(),
            company_id=company.id,
            email=f"member{index}@company{number}.example",
            name=f"Member {index}",
            role=Role.EMPLOYEE,
            last_employment_day=None,
            cause=cause,
        )
        members.append(member)
        yield member
        yield _claim("member-email", company.id, member.email, member.id, cause)
    for index in range(DEVICES_PER_COMPANY):
        device = _device(company.id, f"SN-{number}-{index:04d}", leased=index % 2 == 0, cause=cause)
        device.assign(members[index % MEMBERS_PER_COMPANY].id, cause=cause)
        device.unassign(cause=cause)
        device.assign(members[(index + 1) % MEMBERS_PER_COMPANY].id, cause=cause)
        yield device
        yield _claim("device-serial", company.id, device.serial, device.id, cause)


def _claim(kind: str, company_id: UUID, value: str, owner_id: UUID, cause: Cause) -> UniqueClaim:
    return UniqueClaim.claim(
        kind=kind, company_id=company_id, value=value, owner_id=owner_id, cause=cause
    )


def _device(company_id: UUID, serial: str, *, leased: bool, cause: Cause) -> Device:
    return Device.register(
        device_id=uuid4(),
        company_id=company_id,
        serial=serial,
        model="ThinkPad X1 Carbon",
        category="laptop",
        company_cost=Money.of("1299.00", "SEK"),
        contract_type=ContractType.LEASED if leased else ContractType.PURCHASED,
        lease_start=date(2026, 1, 1) if leased else None,
        renewal_date=date(2029, 1, 1) if leased else None,
        cause=cause,
    )


def _up_to(aggregates: Iterable[Aggregate], events: int) -> Iterator[Aggregate]:
    """Aggregates until their pending events add up to `events` (the last may overshoot)."""
    pending = 0
    for aggregate in aggregates:
        if pending >= events:
            return
        pending += len(aggregate.pending_events)
        yield aggregate


def fill(app: LessorApplication, events: int) -> int:
    """Save about `events` events, AGGREGATES_PER_SAVE aggregates per transaction."""
    companies = itertools.chain.from_iterable(map(company_aggregates, itertools.count(1)))
    stream = _up_to(companies, events)
    written = 0
    while batch := list(itertools.islice(stream, AGGREGATES_PER_SAVE)):
        written += sum(len(aggregate.pending_events) for aggregate in batch)
        app.save(*batch)
    return written


# ------------------------------------------------------------------ readers


def _keyset(fetch: Callable[[int], list[tuple[Any, ...]]]) -> int:
    """Page through by position until an empty page; returns the rows read."""
    after = count = 0
    while rows := fetch(after):
        count += len(rows)
        after = rows[-1][0]
    return count


@contextmanager
def raw_reader(store: Store) -> Iterator[Callable[[], int]]:
    """A full read of the events table without the library; the connection opens untimed."""
    column, table = store.position_column, store.events_table
    query = (
        f"SELECT {column}, originator_id, originator_version, topic, state FROM {table}"  # noqa: S608 (constant names)
        f" WHERE {column} > ? ORDER BY {column} LIMIT {PAGE}"
    )
    if store.kind == "sqlite":
        with closing(store.sqlite()) as lite:
            yield lambda: _keyset(lambda after: lite.execute(query, (after,)).fetchall())
        return
    pg_query = query.replace("?", "%s")
    with store.postgres() as pg:
        # prepare=True: the library prepares its select too, so both skip re-planning.
        yield lambda: _keyset(lambda after: pg.execute(pg_query, (after,), prepare=True).fetchall())


def library_read(app: LessorApplication, *, decode: bool) -> int:
    """The log through the library, as the projector reads it (optionally decoded)."""
    to_event = app.mapper.to_domain_event
    position = count = 0
    while page := app.recorder.select_notifications(start=position + 1, limit=PAGE):
        if decode:
            for notification in page:
                to_event(notification)
        count += len(page)
        position = page[-1].id
    return count


# ------------------------------------------------------------------ the projector


def chosen_projections(projector: Projector, opts: Options) -> list[str]:
    """The projections to rebuild: those asked for (checked), else every registered one."""
    unknown = sorted(set(opts.projections) - set(projector.projections))
    if unknown:
        known = ", ".join(projector.projections)
        raise BenchError(f"unknown projection(s) {', '.join(unknown)}; registered: {known}.")
    return list(opts.projections) or list(projector.projections)


def rebuilds_label(names: list[str]) -> str:
    return f"rebuild, {len(names)} projections one after another"


def one_pass_label(names: list[str]) -> str:
    return f"rebuild, {len(names)} projections in one pass"


def view_tables(projector: Projector) -> list[str]:
    return [TRACKING_TABLE, *(t for p in projector.projections.values() for t in p.tables)]


def reset_views(container: Container) -> None:
    """Drop every live view and move its position back to 0, as a fresh `db init` leaves it.

    The tables are made anew rather than emptied: PostgreSQL then has no statistics for
    them, as after `db init`. Emptied and analysed, they would look empty to the planner
    for the whole catch-up (with autovacuum off, as on some of these machines), and every
    UPDATE by key would scan the table instead of using its primary key.
    """
    projector = container.projector
    with container.db.transaction() as tx:
        for projection in projector.projections.values():
            for table in projection.tables:
                tx.execute(f"DROP TABLE {table}")
            tx.execute(
                f"UPDATE {TRACKING_TABLE} SET position = 0 WHERE name = ?",  # noqa: S608
                (projection.name,),
            )
    projector.create_schema()


def counting(action: Callable[[], object], count: int) -> Callable[[], int]:
    """`action` as a timed run that did `count` things (the projector returns no count)."""

    def run() -> int:
        action()
        return count

    return run


def measure_repetition(
    container: Container, store: Store, result: StoreResult, opts: Options
) -> None:
    """One of each measurement, back to back, so that a noisy minute hits them all."""
    app, projector, events = container.app, container.projector, result.events
    tables = view_tables(projector)
    store.settle(tables)
    with raw_reader(store) as read_raw:
        result.add(RAW, timed(read_raw))
    result.add(LIBRARY_READ, timed(lambda: library_read(app, decode=False)))
    result.add(LIBRARY_DECODE, timed(lambda: library_read(app, decode=True)))
    seconds = 0.0
    names = chosen_projections(projector, opts)
    for name in names:
        store.settle(tables)
        sample = timed(counting(partial(projector.rebuild, name), events))
        result.add(f"rebuild {name}", sample)
        seconds += sample.seconds
    if len(names) > 1:
        # Every view rebuilt one after the other, and together (`projections rebuild --all`).
        result.add(rebuilds_label(names), Sample(events, seconds))
        store.settle(tables)
        sample = timed(counting(partial(projector.rebuild_many, names), events))
        result.add(one_pass_label(names), sample)
    if opts.catch_up:
        reset_views(container)
        store.settle()  # the events table only: see reset_views
        result.add(CATCH_UP, timed(counting(projector.catch_up, events)))


def bench_store(store: Store, opts: Options) -> StoreResult:
    """Fill a fresh store, then measure every line `opts.repeat` times."""
    init_database(store.settings)
    container = build(store.settings)
    try:
        chosen_projections(container.projector, opts)  # fail on a typo before the fill
        progress(f"{store.kind}: filling with {opts.events:,} events")
        filled = timed(lambda: fill(container.app, opts.events))
        result = StoreResult(store=store, events=filled.count, fill=filled)
        progress(f"{store.kind}: filled in {filled.seconds:.1f} s ({filled.rate:,.0f} events/s)")
        store.settle(view_tables(container.projector))
        with raw_reader(store) as read_raw:
            read_raw()  # warm the page cache once, so the first timed reader is not penalised
        for repetition in range(1, opts.repeat + 1):
            progress(f"{store.kind}: repetition {repetition}/{opts.repeat}")
            measure_repetition(container, store, result, opts)
        if opts.profile:
            progress(f"{store.kind}: profiling one rebuild of each projection")
            result.profile = profile_rebuilds(
                container, store, chosen_projections(container.projector, opts)
            )
        return result
    finally:
        container.close()


# ------------------------------------------------------------------ profiling


def profile_rebuilds(
    container: Container, store: Store, names: list[str], top: int = 18
) -> list[str]:
    """cProfile one rebuild of each projection; report lines with the hot spots by own time.

    cProfile inflates the cost of many small Python calls, so read the order of the
    entries, not their absolute seconds (a rebuild runs slower under it).
    """
    lines: list[str] = []
    for name in names:
        profiler = cProfile.Profile()
        profiler.runcall(container.projector.rebuild, name)
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
        stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
        heading = f"#### cProfile, {store.kind}: rebuild {name} (top {top} by own time)"
        lines += ["", heading, "```", buffer.getvalue().strip(), "```"]
    return lines


# ------------------------------------------------------------------ report


def report(result: StoreResult, repeat: int) -> None:
    store, raw = result.store, result.series[RAW]
    say()
    say(f"### {store.kind}: {result.events:,} events")
    say(store_line(store))
    say(
        f"fill: {result.fill.seconds:.1f} s, {result.fill.rate:,.0f} events/s"
        f" ({AGGREGATES_PER_SAVE} aggregates per app.save)"
    )
    say()
    header = ["measurement", f"events/s (median of {repeat})", "range", "÷ raw read"]
    rows = [
        [s.label, per_second(s.median), s.spread, ratio_text(paired_ratio(s, raw))]
        for s in result.series.values()
    ]
    for line in markdown_table(header, rows):
        say(line)
    say()
    for line in [*target_lines(result), *result.profile]:
        say(line)


def target_lines(result: StoreResult) -> list[str]:
    """Targets are reported against, never asserted: a miss is a finding, not a failure."""
    raw = result.series[RAW]
    projector_series = [
        s for label, s in result.series.items() if label.startswith(("rebuild", "catch-up"))
    ]
    lines = []
    for series in projector_series:
        checks = [_check(paired_ratio(series, raw), TARGET_RATIO_TO_RAW, "× raw", ratio_text)]
        if result.store.kind == "postgres":
            checks.insert(
                0, _check(series.median, TARGET_POSTGRES_EVENTS_PER_S, "events/s", per_second)
            )
        lines.append(f"- {series.label}: " + "; ".join(checks))
    return lines


def _check(value: float, target: float, unit: str, shown: Callable[[float], str]) -> str:
    verdict = "met" if value >= target else "MISSED"
    return f"{verdict} (≥ {shown(target)} {unit}: {shown(value)})"


def run(store_choice: str, opts: Options) -> None:
    say(f"## projector benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts.repeat)
