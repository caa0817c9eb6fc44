"""A thin connection layer so each view's SQL is written once and runs on SQLite and PostgreSQL.

SQL uses `?` placeholders (translated to `%s` for psycopg) and `{table}` names, which a
`TableNames` mapping fills in — that is how a rebuild writes to aside tables.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from adapters.settings_url import DatabaseUrl

# A plain multi-column INSERT of placeholders only: a run of these may go out as one COPY.
_PLAIN_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:%s, )*%s\)")
COPY_MIN_ROWS = 16  # below this, a COPY's extra round trip costs more than it saves
SCRATCH_CACHE_KIB = 65_536  # page cache of a scratch SQLite file (a rebuild's fold)


class _WriteQueue:
    """A view session's writes, held back and sent together before the next read or commit.

    Projection writes arrive one event at a time; sent one by one they cost a round trip each
    on PostgreSQL. Here consecutive runs of one statement go out as one `executemany`, a
    stretch of runs in one pipeline (no waiting between statements), and a long run of a
    plain INSERT as one COPY — in the order they were written, so the result is the same.
    """

    def __init__(self, cursor: Any, dialect: str) -> None:
        self._cursor = cursor
        self._postgres = dialect == "postgresql"
        self._runs: list[tuple[str, list[tuple[Any, ...]]]] = []

    def add(self, sql: str, params: tuple[Any, ...]) -> None:
        if self._runs and self._runs[-1][0] == sql:
            self._runs[-1][1].append(params)
        else:
            self._runs.append((sql, [params]))

    def flush(self) -> None:
        runs, self._runs = self._runs, []
        if not self._postgres:  # in-process: nothing to save but the per-call overhead
            for sql, rows in runs:
                self._cursor.executemany(sql, rows)
            return
        pending: list[tuple[str, list[tuple[Any, ...]]]] = []
        for sql, rows in runs:
            copy = _PLAIN_INSERT.fullmatch(sql) if len(rows) >= COPY_MIN_ROWS else None
            if copy is None:
                pending.append((sql, rows))
                continue
            self._pipelined(pending)  # COPY cannot run inside a pipeline: send what came first
            pending = []
            with self._cursor.copy(f"COPY {copy[1]} ({copy[2]}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
        self._pipelined(pending)

    def _pipelined(self, runs: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        if not runs:
            return
        with self._cursor.connection.pipeline():
            for sql, rows in runs:
                if len(rows) == 1:
                    self._cursor.execute(sql, rows[0])
                else:
                    self._cursor.executemany(sql, rows)


class SqlSession:
    """One transaction. Table names in `{braces}` are filled from `names`."""

    def __init__(
        self,
        cursor: Any,
        *,
        dialect: str,
        names: Mapping[str, str] | None = None,
        queues: list[_WriteQueue] | None = None,
        batched: bool = False,
    ):
        self._cursor = cursor
        self.dialect = dialect
        self._names = dict(names or {})
        self._queues = [] if queues is None else queues  # every write queue of the transaction
        self._queue: _WriteQueue | None = None
        if batched:
            self._queue = _WriteQueue(cursor, dialect)
            self._queues.append(self._queue)

    def with_names(self, names: Mapping[str, str], *, batched: bool = False) -> SqlSession:
        """The same transaction under other table names.

        `batched` (a view being projected): writes are queued and sent before the
        transaction's next read or direct statement, or at commit, and return -1 instead of
        a row count. Each batched session queues on its own — they write disjoint tables —
        so that one projection's run of inserts is not broken up by another's writes.
        """
        return SqlSession(
            self._cursor, dialect=self.dialect, names=names, queues=self._queues, batched=batched
        )

    def _sql(self, sql: str) -> str:
        if self._names:
            sql = sql.format_map(self._names)
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if self._queue is not None:
            self._queue.add(self._sql(sql), tuple(params))
            return -1
        self.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        return list(self._cursor.fetchall())  # both drivers return plain tuples

    def rows(self, table: str, chunk: int = 5000) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """Every row of `table` (a plain name), streamed on a cursor of its own; and its
        column names, in the table's order."""
        self.flush()
        cursor = self._cursor.connection.cursor()
        cursor.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cursor.description]

        def stream() -> Iterator[tuple[Any, ...]]:
            try:
                while page := cursor.fetchmany(chunk):
                    yield from page
            finally:
                cursor.close()

        return columns, stream()

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Write many rows into `table` at once: one COPY on PostgreSQL, one
        `executemany` on SQLite (a rebuilt view written in one go, ADR 0047)."""
        self.flush()
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        self._cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def flush(self) -> None:
        """Send every queued write of the transaction (in each queue's order)."""
        for queue in self._queues:
            queue.flush()


class Database(ABC):
    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[SqlSession]:
        """Commit on success, roll back on any exception."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections."""

    def for_update(self) -> str:
        """Row lock suffix: PostgreSQL needs it; SQLite's BEGIN IMMEDIATE already locks."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, *, busy_timeout_s: float = 30.0, scratch: bool = False) -> None:
        self.path = path
        self._busy_timeout_s = busy_timeout_s
        self._scratch = scratch
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            if self._scratch:  # a private, throw-away file: no WAL, no fsync, a larger cache
                conn.execute("PRAGMA journal_mode=MEMORY")
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute(f"PRAGMA cache_size=-{SCRATCH_CACHE_KIB}")
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[SqlSession]:
        conn = self._connection()
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks
        try:
            session = SqlSession(cursor, dialect=self.dialect)
            yield session
            session.flush()
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cursor.close()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, conninfo: str, *, max_size: int = 10) -> None:
        self.conninfo = conninfo  # for the claims' own connections (adapters/claims.py)
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": False},
        )

    @contextmanager
    def transaction(self) -> Iterator[SqlSession]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            session = SqlSession(cursor, dialect=self.dialect)
            yield session
            session.flush()

    def close(self) -> None:
        self._pool.close()


def open_database(url: DatabaseUrl) -> Database:
    if url.is_postgres:
        return PostgresDatabase(url.conninfo())
    Path(url.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(url.sqlite_path)


__all__ = ["Database", "PostgresDatabase", "SqlSession", "SqliteDatabase", "open_database"]
