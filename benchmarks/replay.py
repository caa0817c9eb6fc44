"""`scripts/bench replay`: `lessor replay` of the whole log into a fresh SQLite file and into
a fresh PostgreSQL database, beside a raw read of the same log in the same run; then
`lessor projections rebuild --all` (the same fast path, ADR 0047) and `lessor reconcile`.

The source is a PostgreSQL store filled as the projector benchmark fills it (the domain's
own factories, 500 aggregates per save). Reconcile runs as an operator runs it: the
`lessor reconcile` command in a process of its own (with whatever checks it has), after the
live views are level, so that it times the checks and not a catch-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.replay import Cut, replay
from adapters.settings_url import DatabaseUrl
from adapters.sql import open_database
from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    ROOT,
    Sample,
    Store,
    environment_line,
    markdown_table,
    per_second,
    postgres_server,
    postgres_store,
    progress,
    ratio_text,
    say,
    store_line,
    timed,
)
from benchmarks.projector import fill, raw_reader, view_tables

TARGET_POSTGRES_EVENTS_PER_S = 25_000
TARGET_RECONCILE_S = 60.0
LESSOR = ROOT / ".venv" / "bin" / "lessor"


@dataclass(frozen=True, slots=True)
class Options:
    events: int


def replay_into(container: Container, url: str) -> int:
    """`lessor replay --position <head> --into url`, as the command calls it."""
    target = open_database(DatabaseUrl(url))
    try:
        projections = list(container.projector.projections.values())
        cut = Cut(position=container.projector.head())
        return replay(container.app, container.db, target, projections, cut).folded
    finally:
        target.close()


def reconcile_command(store: Store, profile: Path | None = None) -> tuple[int, dict[str, Any]]:
    """`lessor reconcile --json` in its own process (under cProfile, written to `profile`,
    if given): its exit code (1: discrepancies) and its report."""
    env = {**os.environ, "LESSOR_DATABASE_URL": store.url}
    python = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else []
    done = subprocess.run(  # noqa: S603 (our own command, fixed argv)
        [*python, str(LESSOR), "reconcile", "--json"], env=env, capture_output=True, check=False
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"lessor reconcile failed: {done.stderr.decode()[-500:]}")
    return done.returncode, json.loads(done.stdout)


def companies(container: Container) -> int:
    with container.db.transaction() as tx:
        row = tx.fetchone("SELECT count(*) FROM directory_companies")
    return int(row[0]) if row else 0


def run(opts: Options) -> None:
    say(f"## replay benchmark — {environment_line()}")
    with postgres_server() as server, postgres_store(server) as store:
        init_database(store.settings)
        container = build(store.settings)
        try:
            progress(f"filling with {opts.events:,} events")
            filled = timed(lambda: fill(container.app, opts.events))
            progress(f"filled in {filled.seconds:.1f} s ({filled.rate:,.0f} events/s)")
            store.settle(view_tables(container.projector))
            lines: dict[str, Sample] = {}
            with raw_reader(store) as read_raw:
                read_raw()  # warm the page cache, untimed
                lines["raw keyset read (500/page)"] = timed(read_raw)
            with tempfile.TemporaryDirectory(prefix="lessor-bench-replay-") as tmp:
                url = f"sqlite:///{Path(tmp) / 'views.db'}"
                progress("replay into a fresh SQLite file")
                lines["replay into a fresh SQLite file"] = timed(
                    lambda: replay_into(container, url)
                )
            with postgres_store(server, "_replay") as target:
                progress("replay into a fresh PostgreSQL database")
                lines["replay into a fresh PostgreSQL database"] = timed(
                    lambda: replay_into(container, target.url)
                )
            names = list(container.projector.projections)
            progress("projections rebuild --all")
            lines["projections rebuild --all"] = timed(
                lambda: (container.projector.rebuild_many(names), filled.count)[1]
            )
            progress("reconcile")
            started = time.perf_counter()
            code, _ = reconcile_command(store)
            reconcile_s = time.perf_counter() - started
            report(store, filled, lines, reconcile_s, code, companies(container))
        finally:
            container.close()


def report(
    store: Store,
    filled: Sample,
    lines: dict[str, Sample],
    reconcile_s: float,
    code: int,
    company_count: int,
) -> None:
    raw = next(iter(lines.values()))
    say(store_line(store))
    say(f"fill: {filled.count:,} events in {filled.seconds:.1f} s ({filled.rate:,.0f} events/s)")
    say()
    rows = [
        [label, f"{s.seconds:.1f}", per_second(s.rate), ratio_text(s.rate / raw.rate)]
        for label, s in lines.items()
    ]
    for line in markdown_table(["measurement", "seconds", "events/s", "÷ raw read"], rows):
        say(line)
    say()
    pg = lines["replay into a fresh PostgreSQL database"].rate
    verdict = "met" if pg >= TARGET_POSTGRES_EVENTS_PER_S else "MISSED"
    say(f"- replay into PostgreSQL: {verdict} (≥ 25,000 events/s: {per_second(pg)})")
    verdict = "met" if reconcile_s <= TARGET_RECONCILE_S else "MISSED"
    say(
        f"- lessor reconcile, {company_count:,} companies: {reconcile_s:.1f} s, exit {code}"
        f" ({verdict}: ≤ 60 s at 10,000 companies)"
    )
