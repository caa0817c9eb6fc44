"""`scripts/bench usage`: usage ingestion in batches, beside a raw batched insert (issue 11).

On one fresh store per kind, within one run:

    raw batched insert   one executemany of a batch's rows (shaped like the changes) and one
                         COMMIT per batch, into a plain table
    application          app.usage.record_changes, one batch per call: load the ledger,
                         judge the batch, save one event (the batch) in one transaction
    HTTP                 POST /v1/usage/changes through the FastAPI app in process
                         (TestClient: no sockets), one batch per request
    month query          projections.usage.month_usage for one company, after the projector
                         has caught up: the median latency

Changes are activations of distinct entities, spread over `companies`, each batch for one
company. The issue's target: ≥ 15,000 changes/s through the application on PostgreSQL at
1,000,000 changes for 1,000 companies, and month counts in ≤ 20 ms.
"""

from __future__ import annotations

import statistics
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build, init_database
from benchmarks.common import (
    BENCH_TIME,
    Sample,
    Store,
    bench_caller,
    bench_cause,
    each_store,
    environment_line,
    markdown_table,
    per_second,
    say,
    store_kinds,
    store_line,
    timed,
)
from domain.application import CommandContext
from domain.model.actor import Role
from domain.model.usage import UsageChange, checked_change
from projections.usage import month_usage

RAW_TABLE = "bench_raw_usage"
RAW_DDL = (
    f"CREATE TABLE {RAW_TABLE} (company_id TEXT, change_id TEXT, kind TEXT, entity_id TEXT,"
    " action TEXT, at TEXT, PRIMARY KEY (company_id, change_id))"
)


@dataclass(frozen=True, slots=True)
class Options:
    changes: int
    companies: int
    batch: int
    http_share: float  # the part of `changes` also sent over HTTP (to other companies)


def _batches(companies: list[UUID], n: int, batch: int, tag: str) -> list[tuple[UUID, list[Any]]]:
    """(company, changes) per batch: distinct entities, round robin over the companies."""
    found = []
    for b in range((n + batch - 1) // batch):
        company = companies[b % len(companies)]
        size = min(batch, n - b * batch)
        found.append(
            (
                company,
                [
                    (
                        f"{tag}-{b}-{i}",
                        "portal_user",
                        f"{tag}-u{b}-{i}",
                        "activated",
                        BENCH_TIME + timedelta(minutes=i),
                    )
                    for i in range(size)
                ],
            )
        )
    return found


def _changes(rows: list[Any]) -> list[UsageChange]:
    return [
        checked_change(change_id=c, kind=k, entity_id=e, action=a, at=at) for c, k, e, a, at in rows
    ]


def _companies(container: Container, n: int, tag: str) -> list[UUID]:
    ctx = CommandContext(caller=bench_caller(), cause=bench_cause("bench-usage"))
    return [
        container.app.companies.register(
            ctx,
            name=f"Usage {tag} {i}",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal(25),
            settings={},
        ).subject_id
        for i in range(n)
    ]


def _raw(store: Store, batches: list[tuple[UUID, list[Any]]]) -> int:
    rows = [
        [(str(company), c, k, e, a, at.isoformat()) for c, k, e, a, at in changes]
        for company, changes in batches
    ]
    if store.kind == "sqlite":
        conn = store.sqlite()
        conn.execute(RAW_DDL)
        insert = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?, ?, ?)"  # noqa: S608
        for batch in rows:
            conn.execute("BEGIN")
            conn.executemany(insert, batch)
            conn.execute("COMMIT")
        conn.close()
    else:
        with store.postgres() as pg:
            pg.execute(RAW_DDL)
            insert = f"INSERT INTO {RAW_TABLE} VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608
            for batch in rows:
                with pg.transaction(), pg.cursor() as cursor:
                    cursor.executemany(insert, batch)
    return sum(len(b) for b in rows)


def _application(container: Container, batches: list[tuple[UUID, list[Any]]]) -> int:
    done = 0
    for company, rows in batches:
        ctx = CommandContext(caller=bench_caller(), cause=bench_cause("bench-usage"))
        container.app.usage.record_changes(ctx, company, _changes(rows))
        done += len(rows)
    return done


def _http_client(container: Container) -> tuple[Any, dict[str, str]]:
    """The app in process and an operator's token, built before the timed run."""
    from api.http.app import create_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    secret = new_token_secret()
    container.app.tokens.issue(
        bench_cause("bench-token"),
        token_hash=hash_token(secret),
        company_id=None,
        role=Role.OPERATOR,
        member_id=None,
        label="bench",
    )
    client = TestClient(create_app(container, start_projector=False))
    return client, {"Authorization": f"Bearer {secret}"}


def _http(client: Any, headers: dict[str, str], batches: list[tuple[UUID, list[Any]]]) -> int:
    bodies = [
        {
            "company_id": str(company),
            "changes": [
                {"change_id": c, "kind": k, "entity_id": e, "action": a, "at": at.isoformat()}
                for c, k, e, a, at in rows
            ],
        }
        for company, rows in batches
    ]
    done = 0
    for body in bodies:
        response = client.post("/v1/usage/changes", json=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        done += len(body["changes"])
    return done


def _measure(store: Store, options: Options) -> list[str]:
    init_database(store.settings)
    container = build(store.settings)
    try:
        app_companies = _companies(container, options.companies, "app")
        n_http = max(options.batch, int(options.changes * options.http_share))
        http_companies = _companies(container, max(1, options.companies // 10), "http")
        raw_batches = _batches(app_companies, options.changes, options.batch, "raw")
        raw = timed(lambda: _raw(store, raw_batches))
        app_batches = _batches(app_companies, options.changes, options.batch, "app")
        application = timed(lambda: _application(container, app_batches))
        client, headers = _http_client(container)
        http_batches = _batches(http_companies, n_http, options.batch, "http")
        http = timed(lambda: _http(client, headers, http_batches))
        started = time.perf_counter()
        container.projector.catch_up("usage")
        projected = Sample(options.changes + n_http, time.perf_counter() - started)
        latencies = []
        for _ in range(30):
            t0 = time.perf_counter()
            usage = month_usage(container.db, bench_caller(), app_companies[0], BENCH_TIME.date())
            latencies.append(time.perf_counter() - t0)
        count = sum(k.count for k in usage.kinds)
    finally:
        container.close()
    table = markdown_table(
        ["measurement", "changes/s"],
        [
            ["raw batched insert", per_second(raw.rate)],
            ["application (record_changes)", per_second(application.rate)],
            ["HTTP POST /v1/usage/changes", per_second(http.rate)],
            ["projector catch-up (usage)", per_second(projected.rate)],
        ],
    )
    return [
        *table,
        f"application / raw: {application.rate / raw.rate:.2f}; month query for a company"
        f" with {count:,} entities: median {statistics.median(latencies) * 1000:.1f} ms",
    ]


def run(store_choice: str, options: Options) -> None:
    say(environment_line())
    say(
        f"usage: {options.changes:,} changes for {options.companies:,} companies in batches"
        f" of {options.batch:,}; HTTP {options.http_share:.0%} of that"
    )
    for store in each_store(store_kinds(store_choice)):
        say(store_line(store))
        for line in _measure(store, options):
            say(line)
