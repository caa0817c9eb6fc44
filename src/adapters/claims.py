"""Claims held in the database, so that any number of worker processes on one store do a
job once (SPEC §8 scale-out, docs/adr/0052-scale-out.md).

`claimed(db, name)` holds the claim `name` for a block and waits while another process
(or thread) holds it. On PostgreSQL it is a session advisory lock on a connection of its
own, outside the pool: a process that dies loses its connection, and with it the claim.
On SQLite, whose processes share one host, it is an exclusive `flock` on a file beside the
database; the kernel drops it when the holder dies, too.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from adapters.sql import Database, PostgresDatabase, SqliteDatabase


def claim_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name` (the same in every process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def claimed(db: Database, name: str) -> Iterator[None]:
    """Hold the claim `name` until the block ends; wait for it while someone else holds it."""
    if isinstance(db, PostgresDatabase):
        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (claim_key(name),))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (claim_key(name),))
    elif isinstance(db, SqliteDatabase):
        with open(f"{db.path}.{name}.claim", "a") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)
    else:  # pragma: no cover - only the two stores exist
        raise TypeError(f"no claims on {type(db).__name__}")
