"""What every read model's queries share: the views they read, a page, a filter's WHERE.

A read model's queries take the `Caller` and apply tenancy and roles themselves, so every
client (HTTP, CLI, a future console) gets the same answers. They read through `Views`,
which the adapters' `Database` satisfies: the SQL is the read model's (portable, `?`
placeholders), the driver and dialect stay in `adapters/sql.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from domain.model.actor import Caller, Role

MAX_PAGE = 500
# Those who manage a company: they read its event log and its subscriptions.
MANAGERS = (Role.OPERATOR, Role.ADMIN, Role.SERVICE)


class ViewReads(Protocol):
    """One open transaction on the view database, as a query sees it."""

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class Views(Protocol):
    """The view database: each query reads in one transaction, so its rows agree."""

    def transaction(self) -> AbstractContextManager[ViewReads]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilter:
    """What the filter of every list has: the company asked about (`Caller.scope` narrows it
    to the caller's own, unless an operator asks), the cursor (the ordering position of the
    previous page's last item) and the page size (at most MAX_PAGE)."""

    company_id: UUID | None = None
    after: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None

    def to_json(self) -> dict[str, Any]:
        """The body of every list endpoint: the items and the cursor of the next page."""
        return {"items": self.items, "next_cursor": self.next_cursor}


def every_item(page_after: Callable[[int | None], Page]) -> Iterator[dict[str, Any]]:
    """Every item of a paged query, following its cursor from the start."""
    after: int | None = None
    while True:
        page = page_after(after)
        yield from page.items
        if page.next_cursor is None:
            return
        after = page.next_cursor


@dataclass(slots=True)
class Where:
    """A filter's conditions: each one only when its value is given."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, value: Any) -> None:
        if value is not None:
            self.clauses.append(clause)
            self.params.append(value)

    @classmethod
    def in_scope(cls, caller: Caller, requested: UUID | None, column: str = "company_id") -> Where:
        """Conditions that start with the caller's tenancy: its own company's rows, or
        (operators) the company asked for, or every company's (`Caller.scope`)."""
        where = cls()
        company_id = caller.scope(requested)
        where.add(f"{column} = ?", str(company_id) if company_id else None)
        return where

    def add_each(self, clause: str, values: Sequence[Any]) -> None:
        """A condition with one placeholder per value, e.g. `x NOT IN (?, ?)`."""
        self.clauses.append(clause)
        self.params.extend(values)

    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


def fetch_page(
    tx: ViewReads,
    select: str,
    where: Where,
    order_by: str,
    limit: int,
    *,
    after: int | None = None,
    select_params: Sequence[Any] = (),
) -> tuple[list[tuple[Any, ...]], bool]:
    """The first `limit` rows (at most MAX_PAGE) of `select` with `where`, in `order_by`
    order, after the cursor `after` (a value of `order_by`, the previous page's last), and
    whether more follow: one row more is read to tell."""
    limit = min(limit, MAX_PAGE)
    page = Where([*where.clauses], [*where.params])
    page.add(f"{order_by} > ?", after)
    rows = tx.fetchall(
        f"{select}{page.sql()} ORDER BY {order_by} LIMIT ?",
        [*select_params, *page.params, limit + 1],
    )
    return rows[:limit], len(rows) > limit


def rows_by_key(
    tx: ViewReads, select: str, key: str, ids: Sequence[str], order_by: str
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of `select` (a child table; its first column is `key`) that belong to `ids`,
    a page's items, in `order_by` order and grouped by `key`: every id has its list."""
    grouped: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    if ids:
        marks = ", ".join("?" for _ in ids)
        for row in tx.fetchall(
            f"{select} WHERE {key} IN ({marks}) ORDER BY {order_by}",
            list(ids),
        ):
            grouped[row[0]].append(row)
    return grouped
