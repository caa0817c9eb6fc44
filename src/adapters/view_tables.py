"""A read model's tables: live or aside (for a rebuild), created, dropped and compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.sql import SqlSession
from projections.base import Projection

ASIDE_SUFFIX = "__aside"


@dataclass(frozen=True, slots=True)
class TableDiff:
    table: str
    only_live: list[tuple[Any, ...]]
    only_rebuilt: list[tuple[Any, ...]]


def live_names(projection: Projection) -> dict[str, str]:
    return {table: table for table in projection.tables}


def aside_names(projection: Projection) -> dict[str, str]:
    return {table: table + ASIDE_SUFFIX for table in projection.tables}


def create_tables(
    tx: SqlSession, projection: Projection, names: dict[str, str], *, aside: bool = False
) -> None:
    named = tx.with_names(names)
    # Aside tables are scratch space: a crash mid-rebuild loses nothing that the log
    # cannot give again, so PostgreSQL need not write them to its WAL.
    create = "CREATE UNLOGGED TABLE" if aside and tx.dialect == "postgresql" else "CREATE TABLE"
    for table, body in projection.tables.items():
        named.execute(f"{create} IF NOT EXISTS {{{table}}} ({body})")
    if aside:
        # Aside tables are only written while folding (by key) and then copied into the
        # live ones, which have the indexes: maintaining them here too is pure cost.
        return
    for ddl in projection.indexes:
        named.execute(ddl)


def drop_tables(tx: SqlSession, names: dict[str, str]) -> None:
    for table in names.values():
        tx.execute(f"DROP TABLE IF EXISTS {table}")


def diff_table(tx: SqlSession, table: str, aside: str) -> TableDiff | None:
    """The rows only one of the two tables has (as multisets), or None when they are equal."""
    live_rows = _multiset(tx.fetchall(f"SELECT * FROM {table}"))
    rebuilt_rows = _multiset(tx.fetchall(f"SELECT * FROM {aside}"))
    only_live = _minus(live_rows, rebuilt_rows)
    only_rebuilt = _minus(rebuilt_rows, live_rows)
    return TableDiff(table, only_live, only_rebuilt) if only_live or only_rebuilt else None


def _multiset(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    counts: dict[tuple[Any, ...], int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    return counts


def _minus(a: dict[tuple[Any, ...], int], b: dict[tuple[Any, ...], int]) -> list[tuple[Any, ...]]:
    return sorted((row for row, n in a.items() for _ in range(n - b.get(row, 0))), key=repr)
