"""The view database layer: queued view writes (pipelined, or one COPY) keep all-or-nothing
transactions and the order they were written in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.settings_url import DatabaseUrl
from adapters.sql import Database, PostgresDatabase, SqliteDatabase


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    url = DatabaseUrl(database_url)
    # One connection, so that a retry reuses the connection the failure happened on.
    database: Database = (
        PostgresDatabase(url.conninfo(), max_size=1)
        if url.is_postgres
        else SqliteDatabase(url.sqlite_path)
    )
    with database.transaction() as tx:
        tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    yield database
    database.close()


def _items(db: Database) -> list[tuple[object, ...]]:
    with db.transaction() as tx:
        return tx.fetchall("SELECT id, label FROM items ORDER BY id")


def _write(db: Database, ids: list[int], *, interleaved: bool) -> None:
    """Inserts and updates one after the other (sent pipelined), or as two long runs (the
    inserts go out as one COPY on PostgreSQL)."""
    insert = "INSERT INTO items (id, label) VALUES (?, ?)"
    update = "UPDATE items SET label = label || '!' WHERE id = ?"
    statements = (
        [s for n in ids for s in ((insert, (n, f"item {n}")), (update, (n,)))]
        if interleaved
        else [(insert, (n, f"item {n}")) for n in ids] + [(update, (n,)) for n in ids]
    )
    with db.transaction() as tx:
        view = tx.with_names({}, batched=True)
        for sql, params in statements:
            view.execute(sql, params)
        # A read in the middle of the batch sees the writes queued before it.
        assert tx.fetchone("SELECT count(*) FROM items WHERE id >= ?", (min(ids),)) == (len(ids),)


@pytest.mark.parametrize("interleaved", [True, False], ids=["interleaved", "runs"])
def test_a_failed_batch_of_queued_writes_writes_nothing_and_the_connection_recovers(
    db: Database, interleaved: bool
) -> None:
    # Given enough runs of each statement for the driver to prepare it
    _write(db, list(range(1, 41)), interleaved=interleaved)
    # When a batch fails part-way (a duplicate key after several good rows)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        _write(db, [*range(41, 80), 5], interleaved=interleaved)
    # Then none of its rows were written
    assert len(_items(db)) == 40
    # And the same statements work again on the same connection
    _write(db, list(range(41, 81)), interleaved=interleaved)
    assert _items(db) == [(n, f"item {n}!") for n in range(1, 81)]
