"""Scratch views: a rebuild (or a replay) folded into a private SQLite file, then written
into the view database once per table.

Folded in the view database, every read a projection makes is a round trip on PostgreSQL
(a rebuild of 200k events made ~9 per event), and aside tables have no indexes to answer
those reads. Here the projections' own tables, with their indexes, live in a throw-away
SQLite file: reads and writes are in-process calls. Each table is then streamed into the
target in one go — COPY on PostgreSQL, `executemany` on SQLite
(docs/adr/0047-rebuild-in-a-scratch-file.md).

The projections' SQL is portable and the test suite runs it on both stores; `verify` on
PostgreSQL compares a live view folded there with one folded here, so a difference between
the two dialects shows up as a difference, not silently.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from adapters.sql import SqliteDatabase, SqlSession
from adapters.view_tables import create_tables, live_names
from projections.base import Projection

Targets = list[tuple[Projection, SqlSession]]


class ScratchViews:
    """Fresh tables of `projections`, under their live names, in a private SQLite file."""

    def __init__(self, directory: str, projections: Sequence[Projection]) -> None:
        self.db = SqliteDatabase(str(Path(directory) / "views.db"), scratch=True)
        with self.db.transaction() as tx:
            for projection in projections:
                create_tables(tx, projection, live_names(projection))

    @contextmanager
    def folding(self, projections: Sequence[Projection]) -> Iterator[Targets]:
        """One scratch transaction, and a view session for each projection (not batched:
        statements are in-process calls, and a queue would only add its own cost)."""
        with self.db.transaction() as tx:
            yield [(p, tx.with_names(live_names(p))) for p in projections]

    def write_into(self, tx: SqlSession, projection: Projection, names: dict[str, str]) -> None:
        """Copy `projection`'s scratch rows into the tables `names` gives on `tx`; those
        tables must exist and be empty (or hold rows these may sit beside)."""
        with self.db.transaction() as scratch:
            for table in projection.tables:
                columns, rows = scratch.rows(table)
                tx.load(names[table], columns, rows)


@contextmanager
def scratch_views(projections: Sequence[Projection]) -> Iterator[ScratchViews]:
    """Scratch views in a temporary directory, removed (with the file) afterwards."""
    with tempfile.TemporaryDirectory(prefix="lessor-fold-") as directory:
        views = ScratchViews(directory, projections)
        try:
            yield views
        finally:
            views.db.close()
