"""Reconciliations run in the background and kept in the database (POST/GET
/v1/reconciliations; docs/adr/0045-reconciliation-checks.md).

A run is a row (`running`, then `done` with the report's JSON, or `failed` with the error),
so any worker answers for a run another one started. The run itself is `reconcile` at the
head for every company, in a thread of the process that was asked; a process that stops
mid-run leaves the row `running` (asked again, a new run starts).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from adapters.reconcile_report import Reconciliation
from adapters.sql import Database, SqlSession

TABLE = "reconciliations"
COLUMNS = "reconciliation_id, status, requested_at, finished_at, report, error"
MAX_RECENT = 50


def create_reconciliations_table(tx: SqlSession) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " reconciliation_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
        " requested_at TEXT NOT NULL, finished_at TEXT, report TEXT, error TEXT)"
    )


class Reconciliations:
    """Starts runs in threads and reads any run's row."""

    def __init__(
        self, db: Database, run: Callable[[], Reconciliation], now: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._run = run
        self._now = now
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._running: UUID | None = None

    def create_schema(self) -> None:
        with self._db.transaction() as tx:
            create_reconciliations_table(tx)

    def start(self) -> dict[str, Any]:
        """A new run, recorded as running; its report follows when the thread is done. While
        this process runs one, asking again answers that one (one full pass at a time)."""
        with self._lock:
            if self._running is not None:
                found = self.get(self._running)
                if found is not None and found["status"] == "running":
                    return found
            run_id = self._running = uuid4()
            return self._begin(run_id)

    def _begin(self, run_id: UUID) -> dict[str, Any]:
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {TABLE} (reconciliation_id, status, requested_at)"
                " VALUES (?, 'running', ?)",
                (str(run_id), self._now().isoformat()),
            )
        thread = threading.Thread(target=self._finish, args=(run_id,), daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        found = self.get(run_id)
        assert found is not None
        return found

    def _finish(self, run_id: UUID) -> None:
        try:
            report, error = json.dumps(self._run().as_json()), None
        except Exception as failed:
            report, error = None, f"{type(failed).__name__}: {failed}"
        with self._db.transaction() as tx:
            tx.execute(
                f"UPDATE {TABLE} SET status = ?, finished_at = ?, report = ?, error = ?"
                " WHERE reconciliation_id = ?",
                (
                    "done" if error is None else "failed",
                    self._now().isoformat(),
                    report,
                    error,
                    str(run_id),
                ),
            )

    def get(self, run_id: UUID) -> dict[str, Any] | None:
        with self._db.transaction() as tx:
            row = tx.fetchone(
                f"SELECT {COLUMNS} FROM {TABLE} WHERE reconciliation_id = ?", (str(run_id),)
            )
        return _run(row) if row is not None else None

    def wait(self, timeout_s: float = 120.0) -> None:
        """Let the runs of this process finish (before the database is closed)."""
        for thread in self._threads:
            thread.join(timeout_s)


def query_recent_reconciliations(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    """The latest runs, newest first (each as `Reconciliations.get` answers it)."""
    if not 1 <= limit <= MAX_RECENT:
        raise ValueError(f"limit: 1 to {MAX_RECENT} runs")
    with db.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT {COLUMNS} FROM {TABLE}"
            " ORDER BY requested_at DESC, reconciliation_id DESC LIMIT ?",
            (limit,),
        )
    return [_run(row) for row in rows]


def _run(row: tuple[Any, ...]) -> dict[str, Any]:
    report = json.loads(row[4]) if row[4] else None
    return {
        "id": row[0],
        "status": row[1],
        "requested_at": row[2],
        "finished_at": row[3],
        "agrees": report["agrees"] if report else None,
        "checks": report["checks"] if report else [],
        "error": row[5],
    }
