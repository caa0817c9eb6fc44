"""A thin connection layer so each view's SQL is written once and runs on SQLite and PostgreSQL.

SQL uses `?` placeholders (translated to `%s` for psycopg) and `{table}` names, which a
`TableNames` mapping fills in — that is how a rebuild writes to aside tables.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from adapters.settings_url import DatabaseUrl


class _Batch:
    """Consecutive runs of one statement, held back and sent as one executemany.

    View writes during projection are mostly runs of the same INSERT or UPDATE; sending each
    on its own costs a round trip per row on PostgreSQL. Shared by every session of one
    transaction, so statements keep their order; flushed before any read and at commit.
    """

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._sql: str | None = None
        self._rows: list[tuple[Any, ...]] = []

    def add(self, sql: str, params: tuple[Any, ...]) -> None:
        if sql != self._sql:
            self.flush()
            self._sql = sql
        self._rows.append(params)

    def flush(self) -> None:
        if self._sql is not None and self._rows:
            if len(self._rows) == 1:
                self._cursor.execute(self._sql, self._rows[0])
            else:
                self._cursor.executemany(self._sql, self._rows)
        self._sql, self._rows = None, []


class SqlSession:
    """One transaction. Table names in `{braces}` are filled from `names`."""

    def __init__(
        self,
        cursor: Any,
        *,
        dialect: str,
        names: Mapping[str, str] | None = None,
        batch: _Batch | None = None,
        batched: bool = False,
    ):
        self._cursor = cursor
        self.dialect = dialect
        self._names = dict(names or {})
        self._batch = batch or _Batch(cursor)
        self._batched = batched

    def with_names(self, names: Mapping[str, str], *, batched: bool = False) -> SqlSession:
        """The same transaction under other table names; `batched` writes (views being
        projected) return -1 instead of a row count, as they are sent later."""
        return SqlSession(
            self._cursor, dialect=self.dialect, names=names, batch=self._batch, batched=batched
        )

    def _sql(self, sql: str) -> str:
        if self._names:
            sql = sql.format_map(self._names)
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if self._batched:
            self._batch.add(self._sql(sql), tuple(params))
            return -1
        self._batch.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self._batch.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._batch.flush()
        self._cursor.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in self._cursor.fetchall()]

    def flush(self) -> None:
        self._batch.flush()


class Database(ABC):
    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[SqlSession]:
        """Commit on success, roll back on any exception.

        `pipelined`: writes are sent without waiting for each reply (PostgreSQL's pipeline
        mode), for the projector's long runs of view writes; a read still waits for its rows.
        """

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections."""

    def for_update(self) -> str:
        """Row lock suffix: PostgreSQL needs it; SQLite's BEGIN IMMEDIATE already locks."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self._busy_timeout_s = busy_timeout_s
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
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[SqlSession]:
        del pipelined  # statements run in-process: there is no round trip to save
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
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": False},
        )

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[SqlSession]:
        with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cursor,
            conn.pipeline() if pipelined else nullcontext(),
        ):
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
