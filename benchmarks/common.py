"""Shared plumbing: throwaway stores, timing, medians, ratios and the printed report.

Nothing here may outlive a run: SQLite stores live in a temporary directory, PostgreSQL
stores are a database of their own (`lessor_bench_<pid>`) dropped WITH (FORCE) at the end,
and a private cluster started through `scripts/pg-server` is stopped again.
"""

from __future__ import annotations

import gc
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from adapters.settings_url import DatabaseUrl
from api.settings import Settings
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = ROOT / "scripts" / "pg-server"
SERVER_URL_ENV = "LESSOR_BENCH_DATABASE_URL"

# Business time stamped on every benchmark event: fixed, so runs write identical shapes.
BENCH_TIME = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

StoreKind = Literal["sqlite", "postgres"]
STORE_CHOICES = ("sqlite", "postgres", "both")


class BenchError(Exception):
    """A setup problem worth one line on stderr (no PostgreSQL, a name already taken…)."""


# ------------------------------------------------------------------ output


def say(line: str = "") -> None:
    """The report, on stdout (flushed: a run takes minutes and is often piped to tee)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def progress(line: str) -> None:
    """Progress chatter goes to stderr, so stdout stays a clean report."""
    sys.stderr.write(f"bench: {line}\n")
    sys.stderr.flush()


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table padded for the terminal, so it can be pasted into the docs as is."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *(line(row) for row in rows)]


def per_second(value: float) -> str:
    return f"{value:,.0f}"


def ratio_text(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


# ------------------------------------------------------------------ timing


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run: how many things (events, rows, commands) in how many seconds."""

    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


@dataclass(slots=True)
class Series:
    """The repetitions of one measurement; reported as the median rate and its range."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.rate for s in self.samples)

    @property
    def spread(self) -> str:
        rates = [s.rate for s in self.samples]
        return f"{min(rates):,.0f}–{max(rates):,.0f}"


def timed(run: Callable[[], int]) -> Sample:
    """Time `run` (which returns how many things it did) from a freshly collected heap."""
    gc.collect()  # so one run does not pay for the garbage of the previous one
    started = time.perf_counter()
    count = run()
    return Sample(count=count, seconds=time.perf_counter() - started)


def paired_ratio(numerator: Series, denominator: Series) -> float:
    """Median of the per-repetition ratios.

    A repetition measures both sides within seconds of each other, so a burst of noise
    tends to hit both; pairing them cancels much of it, unlike a ratio of two medians.
    """
    pairs = zip(numerator.samples, denominator.samples, strict=True)
    return statistics.median(n.rate / d.rate for n, d in pairs)


# ------------------------------------------------------------------ domain helpers


def bench_caller() -> Caller:
    """An operator: the one role that may act on every company without a member id."""
    return Caller(actor=Actor(id="bench-operator", role=Role.OPERATOR), company_id=None)


def bench_cause(correlation_id: str) -> Cause:
    return Cause(actor=bench_caller().actor, at=BENCH_TIME, correlation_id=correlation_id)


# ------------------------------------------------------------------ stores


@dataclass(frozen=True, slots=True)
class Store:
    """A fresh, empty Lessor store and how to reach its event table without the library."""

    kind: StoreKind
    url: str  # in LESSOR_DATABASE_URL form

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.url, run_projector=False)

    @property
    def events_table(self) -> str:
        # The library names the SQLite table itself; on PostgreSQL it is "<app name>_events".
        return "stored_events" if self.kind == "sqlite" else "lessor_events"

    @property
    def position_column(self) -> str:
        return "rowid" if self.kind == "sqlite" else "notification_id"

    def sqlite(self) -> sqlite3.Connection:
        """A plain connection configured like the library's: autocommit, WAL, default sync."""
        conn = sqlite3.connect(DatabaseUrl(self.url).sqlite_path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def postgres(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(DatabaseUrl(self.url).conninfo(), autocommit=True)

    def settle(self, tables: Sequence[str] = ()) -> None:
        """Leave the store as a long-running service would find it, before a timed run.

        Freshly written PostgreSQL rows make their first reader set hint bits (and write
        pages), and dead rows from a previous repetition slow the next; VACUUM does that
        work up front. On SQLite, a checkpoint folds the WAL back into the database file.
        """
        if self.kind == "sqlite":
            with _closing(self.sqlite()) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self.postgres() as conn:
            for table in (self.events_table, *tables):
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))


@contextmanager
def _closing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    # sqlite3's own context manager commits but does not close.
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL whose database is used only for CREATE/DROP DATABASE.

    LESSOR_BENCH_DATABASE_URL when set; else `scripts/pg-server find`, which may start a
    private cluster — recorded in a state file so that we can stop it on the way out.
    """
    if url := os.environ.get(SERVER_URL_ENV):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="lessor-bench-") as tmp:
        statefile = Path(tmp) / "pg-server.state"
        env = {**os.environ, "PG_SERVER_STATEFILE": str(statefile)}
        try:
            # Fixed argv, no shell; pg-server's own chatter goes straight to our stderr.
            found = subprocess.run(  # noqa: S603
                [str(PG_SERVER), "find"], env=env, stdout=subprocess.PIPE, text=True, check=False
            )
            if found.returncode != 0 or not found.stdout.strip():
                raise BenchError(
                    f"no PostgreSQL server (scripts/pg-server find failed); set {SERVER_URL_ENV}"
                    " or run with --store sqlite."
                )
            yield found.stdout.strip()
        finally:
            subprocess.run([str(PG_SERVER), "stop", str(statefile)], check=False)  # noqa: S603


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _admin(server_url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(DatabaseUrl(server_url).conninfo(), autocommit=True)


@contextmanager
def postgres_store(server_url: str, suffix: str = "") -> Iterator[Store]:
    """A database of our own for this run, dropped (WITH (FORCE): pools may linger) after."""
    name = f"lessor_bench_{os.getpid()}{suffix}"
    with _admin(server_url) as conn:
        taken = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if taken:  # never drop what we did not create: a crashed run's leftover is the user's call
            raise BenchError(f"database {name} already exists; drop it and retry.")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Store("postgres", _with_dbname(server_url, name))
    finally:
        with _admin(server_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="lessor-bench-") as tmp:
        yield Store("sqlite", f"sqlite:///{tmp}/lessor.db")


def store_kinds(choice: str) -> list[StoreKind]:
    kinds: dict[str, list[StoreKind]] = {
        "sqlite": ["sqlite"],
        "postgres": ["postgres"],
        "both": ["sqlite", "postgres"],
    }
    if choice not in kinds:
        raise BenchError(f"unknown store {choice!r}; use one of {', '.join(STORE_CHOICES)}.")
    return kinds[choice]


def each_store(kinds: Sequence[StoreKind]) -> Iterator[Store]:
    """One fresh store per kind, in turn; each is gone before the next is made.

    The PostgreSQL server is found first, so that a missing server fails the run before
    minutes are spent on SQLite.
    """
    with ExitStack() as stack:
        server = stack.enter_context(postgres_server()) if "postgres" in kinds else ""
        for kind in kinds:
            maker = sqlite_store() if kind == "sqlite" else postgres_store(server)
            with maker as store:
                yield store


# ------------------------------------------------------------------ process


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks drop databases and stop clusters."""

    def stop(signum: int, _frame: object) -> NoReturn:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def environment_line() -> str:
    """What the numbers were measured on: they only mean something beside this."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, load average {load};"
        f" python {platform.python_version()}, sqlite {sqlite3.sqlite_version},"
        f" psycopg {psycopg.__version__}"
    )


def store_line(store: Store) -> str:
    """The store's kind and, for PostgreSQL, the settings that move write and read rates."""
    if store.kind == "sqlite":
        return f"sqlite {sqlite3.sqlite_version} file in a temporary directory, WAL"
    with store.postgres() as conn:
        shown = [
            f"{name}={_show(conn, name)}"
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        ]
    return "postgresql " + ", ".join(shown)


def _show(conn: psycopg.Connection[tuple[Any, ...]], setting: str) -> str:
    row = conn.execute("SELECT current_setting(%s)", (setting,)).fetchone()
    return str(row[0]) if row else "?"
