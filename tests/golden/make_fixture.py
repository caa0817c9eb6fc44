"""Write the golden fixture: stored events and snapshots exactly as the code of a commit wrote them.

Run once against the code of 7c47c1b (generation "7c47c1b"); never regenerate in place —
append new entries for new classes/versions. Running it again appends only the aggregate
streams that hold an event class, or a snapshot of an aggregate class, at a class_version
the fixture does not yet have, labelled with the current commit:

    .venv/bin/python -m tests.golden.make_fixture [--pg postgresql://postgres@127.0.0.1:5432/postgres]

The samples are the serialisation test's (tests/unit/test_event_serialisation.py), which
already builds every event class the way the application makes it. Each is saved through the
real application into a fresh SQLite file and a fresh PostgreSQL database; every aggregate is
then snapshotted (`app.take_snapshot`, as the 50-event rule does), and the rows are read back
from the tables with SQL, state bytes as UTF-8 text. The source tree must be committed, so
the label names the code that wrote the records.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

from adapters.settings_url import DatabaseUrl
from domain.application import LessorApplication
from tests.apps import ports
from tests.unit.test_event_serialisation import SAMPLES, a_subscription_mid_term

FIXTURE = Path(__file__).with_name("stored_records.jsonl")
EVENT, SNAPSHOT = "event", "snapshot"
# The tables each store writes (SQLite: the library's default names), in recording order.
TABLES = {
    "sqlite": ((EVENT, "stored_events", "rowid"), (SNAPSHOT, "stored_snapshots", "originator_id")),
    "postgres": (
        (EVENT, "lessor_events", "notification_id"),
        (SNAPSHOT, "lessor_snapshots", "originator_id"),
    ),
}


def record_key(record: dict[str, Any]) -> tuple[str, str, int]:
    """(kind, class topic, class_version): what a record stands for in the fixture."""
    state = json.loads(record["state"])
    if record["kind"] == SNAPSHOT:
        return SNAPSHOT, state["topic"], state["state"].get("class_version", 1)
    return EVENT, record["topic"], state.get("class_version", 1)


def write_samples(app: LessorApplication) -> list[UUID]:
    """Save every sample stream, then snapshot every aggregate at its head."""
    mid_term = a_subscription_mid_term(recorded=False)
    app.save(*SAMPLES, mid_term)
    ids = [*dict.fromkeys(event.originator_id for event in SAMPLES), mid_term.id]
    for aggregate_id in ids:
        app.take_snapshot(aggregate_id)
    return ids


def sqlite_rows(generation: str) -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = DatabaseUrl(f"sqlite:///{tmp}/golden.db")
        app = LessorApplication(env=url.eventsourcing_env(create_table=True), **ports())
        write_samples(app)
        app.close()
        with sqlite3.connect(url.sqlite_path) as conn:
            yield from _rows(conn.execute, "sqlite", generation)


def postgres_rows(server_url: str, generation: str) -> Iterator[dict[str, Any]]:
    name = f"lessor_golden_{uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = DatabaseUrl(server_url.rsplit("/", 1)[0] + "/" + name)
        app = LessorApplication(env=url.eventsourcing_env(create_table=True), **ports())
        write_samples(app)
        app.close()
        with psycopg.connect(url.conninfo()) as conn:
            yield from _rows(conn.execute, "postgres", generation)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(execute: Any, store: str, generation: str) -> Iterator[dict[str, Any]]:
    for kind, table, order in TABLES[store]:
        query = (
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY {order}"
        )
        for originator_id, version, topic, state in execute(query).fetchall():
            yield {
                "generation": generation,
                "store": store,
                "kind": kind,
                "table": table,
                "originator_id": str(originator_id),  # SQLite: text; PostgreSQL: uuid
                "originator_version": version,
                "topic": topic,
                "state": bytes(state).decode("utf-8"),
            }


def committed_generation() -> str:
    if subprocess.run(
        ["git", "status", "--porcelain", "src"], capture_output=True, text=True, check=True
    ).stdout:
        raise SystemExit(
            "Commit src/ first: the fixture is labelled with the commit that wrote it."
        )
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    generation = committed_generation()
    existing = (
        [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines()]
        if FIXTURE.exists()
        else []
    )
    known = {record_key(record) for record in existing}
    fresh = [*sqlite_rows(generation), *postgres_rows(args.pg, generation)]
    new_streams = {(r["store"], r["originator_id"]) for r in fresh if record_key(r) not in known}
    appended = [r for r in fresh if (r["store"], r["originator_id"]) in new_streams]
    with FIXTURE.open("a", encoding="utf-8") as out:
        for record in appended:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"appended {len(appended)} records of {len(new_streams)} streams to {FIXTURE}")


if __name__ == "__main__":
    main()
