"""`scripts/bench commands`: single commands, one `save` each, beside raw single-row inserts.

Each repetition runs, on the same store and within seconds of each other (in a rotating
order, so that no measurement always goes first):

    raw insert          one INSERT + COMMIT per row into a table shaped like the events table
                        (SQLite: sqlite3 in WAL mode with the library's default synchronous;
                        PostgreSQL: psycopg in autocommit, INSERT … RETURNING notification_id)
    raw insert + lock   PostgreSQL only: BEGIN; LOCK TABLE … IN EXCLUSIVE MODE; INSERT;
                        COMMIT — the lock the library takes on every save to keep the
                        notification ids in commit order
    register_device     app.devices.register with a CommandContext: load the
                        company (cached: its newer events only), then save the device and
                        its serial claim (2 events, the claim created first: ADR 0049) in
                        one transaction

Raw rows carry the bytes of a real Device.Registered event, so both sides write alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg

from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    Series,
    Store,
    bench_caller,
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
from domain.application import CommandContext, LessorApplication
from domain.model.device import ContractType, Device
from domain.model.money import Money

RAW_TABLE = "bench_raw_events"
WARM_UP = 100  # untimed commands and rows first: pools filled, statements prepared

SQLITE_DDL = (
    f"CREATE TABLE {RAW_TABLE} (originator_id TEXT, originator_version INTEGER, topic TEXT,"
    " state BLOB, PRIMARY KEY (originator_id, originator_version))",
)
POSTGRES_DDL = (
    f"CREATE TABLE {RAW_TABLE} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version))",
    f"CREATE UNIQUE INDEX {RAW_TABLE}_notification_id_idx ON {RAW_TABLE} (notification_id)",
)
# The table name is a constant; every value is a bound parameter.
INSERT = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)"  # noqa: S608
PG_INSERT = (
    f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state)"  # noqa: S608
    " VALUES (%s, %s, %s, %s) RETURNING notification_id"
)
PG_LOCK = f"LOCK TABLE {RAW_TABLE} IN EXCLUSIVE MODE"

RAW = "raw INSERT + COMMIT (rows/s)"
RAW_LOCKED = "raw BEGIN; LOCK TABLE … EXCLUSIVE; INSERT; COMMIT (rows/s)"
COMMAND = "register_device, 2 events per save (commands/s)"

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Options:
    n: int
    repeat: int


@dataclass(slots=True)
class StoreResult:
    store: Store
    series: dict[str, Series] = field(default_factory=dict)

    def series_for(self, label: str) -> Series:
        return self.series.setdefault(label, Series(label))


# ------------------------------------------------------------------ the library side


@dataclass(frozen=True, slots=True)
class DeviceRegistrar:
    """Registers devices in one company, one command (and one save) at a time."""

    app: LessorApplication
    company_id: UUID

    @classmethod
    def for_new_company(cls, app: LessorApplication) -> DeviceRegistrar:
        outcome = app.companies.register(
            CommandContext(caller=bench_caller(), cause=bench_cause("bench-company")),
            name="Bench Company",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal("25"),
            settings={},
        )
        return cls(app=app, company_id=outcome.subject_id)

    def register(self, serials: Sequence[str]) -> int:
        for serial in serials:
            # A context per command, as the HTTP layer builds one per request.
            ctx = CommandContext(caller=bench_caller(), cause=bench_cause(f"bench-{serial}"))
            self.app.devices.register(
                ctx,
                company_id=self.company_id,
                serial=serial,
                model="ThinkPad X1 Carbon",
                category="laptop",
                company_cost=Money.of("1299.00", "SEK"),
                contract_type=ContractType.LEASED,
                lease_start=date(2026, 1, 1),
                renewal_date=date(2029, 1, 1),
            )
        return len(serials)


def device_registered_payload(app: LessorApplication, company_id: UUID) -> tuple[str, bytes]:
    """The topic and stored state of a real Device.Registered event, for the raw rows."""
    device = Device.register(
        device_id=uuid4(),
        company_id=company_id,
        serial="SN-PAYLOAD",
        model="ThinkPad X1 Carbon",
        category="laptop",
        company_cost=Money.of("1299.00", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2026, 1, 1),
        renewal_date=date(2029, 1, 1),
        cause=bench_cause("bench-payload"),
    )
    stored = app.mapper.to_stored_event(device.collect_events()[0])
    return stored.topic, stored.state


# ------------------------------------------------------------------ the raw side


def sqlite_inserts(conn: Any, rows: Sequence[Row]) -> int:
    # Explicit BEGIN/COMMIT around each row, as the library's SQLite recorder does.
    for row in rows:
        conn.execute("BEGIN")
        conn.execute(INSERT, row)
        conn.execute("COMMIT")
    return len(rows)


def postgres_inserts(conn: psycopg.Connection[Row], rows: Sequence[Row], *, lock: bool) -> int:
    for row in rows:
        if lock:
            with conn.transaction():
                conn.execute(PG_LOCK)
                conn.execute(PG_INSERT, row, prepare=True).fetchone()
        else:  # autocommit: the INSERT is its own transaction
            conn.execute(PG_INSERT, row, prepare=True).fetchone()
    return len(rows)


@dataclass(frozen=True, slots=True)
class RawWriter:
    """Writes fresh rows (new ids each call) through one plain connection."""

    store: Store
    conn: Any  # sqlite3.Connection or psycopg.Connection: the two share no useful type
    payload: tuple[str, bytes]

    def rows(self, n: int) -> list[Row]:
        topic, state = self.payload
        # SQLite stores UUIDs as hex text, as the library's recorder does.
        ids = [uuid4() for _ in range(n)]
        ids_out = [i.hex for i in ids] if self.store.kind == "sqlite" else ids
        return [(originator_id, 1, topic, state) for originator_id in ids_out]

    def insert(self, rows: Sequence[Row], *, lock: bool = False) -> int:
        if self.store.kind == "sqlite":
            return sqlite_inserts(self.conn, rows)
        return postgres_inserts(self.conn, rows, lock=lock)


@contextmanager
def raw_writer(store: Store, payload: tuple[str, bytes]) -> Iterator[RawWriter]:
    if store.kind == "sqlite":
        with closing(store.sqlite()) as lite:
            for ddl in SQLITE_DDL:
                lite.execute(ddl)
            yield RawWriter(store, lite, payload)
        return
    with store.postgres() as pg:
        for ddl in POSTGRES_DDL:
            pg.execute(ddl)
        yield RawWriter(store, pg, payload)


# ------------------------------------------------------------------ measuring


Measurement = tuple[str, Callable[[int], Callable[[], int]]]


def measurements(registrar: DeviceRegistrar, raw: RawWriter) -> list[Measurement]:
    """(label, make a timed run of n) for each line; inputs are built before the clock starts."""

    def commands(tag: str) -> Callable[[int], Callable[[], int]]:
        def make(n: int) -> Callable[[], int]:
            serials = [f"SN-{tag}-{uuid4().hex[:12]}" for _ in range(n)]
            return lambda: registrar.register(serials)

        return make

    def inserts(*, lock: bool) -> Callable[[int], Callable[[], int]]:
        def make(n: int) -> Callable[[], int]:
            rows = raw.rows(n)
            return lambda: raw.insert(rows, lock=lock)

        return make

    lines: list[Measurement] = [(RAW, inserts(lock=False)), (COMMAND, commands("cmd"))]
    if raw.store.kind == "postgres":
        lines.insert(1, (RAW_LOCKED, inserts(lock=True)))
    return lines


def bench_store(store: Store, opts: Options) -> StoreResult:
    init_database(store.settings)
    container: Container = build(store.settings)
    result = StoreResult(store)
    try:
        registrar = DeviceRegistrar.for_new_company(container.app)
        payload = device_registered_payload(container.app, registrar.company_id)
        with raw_writer(store, payload) as raw:
            lines = measurements(registrar, raw)
            for _label, make in lines:
                make(WARM_UP)()
            for repetition in range(opts.repeat):
                progress(f"{store.kind}: repetition {repetition + 1}/{opts.repeat}")
                # Rotate the order, so that no line always runs first (or last).
                turn = repetition % len(lines)
                for label, make in lines[turn:] + lines[:turn]:
                    run = make(opts.n)
                    store.settle([RAW_TABLE])
                    result.series_for(label).samples.append(timed(run))
    finally:
        container.close()
    return result


# ------------------------------------------------------------------ report


def report(result: StoreResult, opts: Options) -> None:
    command = result.series[COMMAND]
    say()
    say(f"### {result.store.kind}: {opts.n:,} commands or rows per run")
    say(store_line(result.store))
    say()
    header = ["measurement", f"median of {opts.repeat}", "range", "register_device ÷ this"]
    rows = [
        [s.label, per_second(s.median), s.spread, ratio_text(paired_ratio(command, s))]
        for s in result.series.values()
    ]
    for line in markdown_table(header, rows):
        say(line)
    say()
    say(f"register_device: {per_second(2 * command.median)} events/s (2 events per command)")


def run(store_choice: str, opts: Options) -> None:
    say(f"## commands benchmark — {environment_line()}")
    for store in each_store(store_kinds(store_choice)):
        report(bench_store(store, opts), opts)
