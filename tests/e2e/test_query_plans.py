"""Every list query and filter the read models offer is answered through an index on
PostgreSQL (issue 16 item 3, docs/adr/0051-indexed-queries.md).

The shapes come from the read models' own query modules: every public query that takes a
`Caller`, and each field of its filter dataclass, one at a time, for an operator across
every company and for one company, with and without a cursor. A new query or a new filter
field fails `test_every_query_and_filter_field_has_a_shape` until it is given a sample
here, and then its plan is checked. Each statement a query runs is recorded and EXPLAINed
with `enable_seqscan = off` after ANALYZE (see `full_scans`): the seeded world is
small, and with sequential scans priced out the planner shows whether an index *can*
answer the statement at all, which is what holds at any store size. A plan fails when it
scans a view table sequentially, or walks one of its indexes whole while discarding rows
by a filter (the disguised full scan of `WHERE x = ? ORDER BY position`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

import projections
from adapters.sql import SqlSession
from api.bootstrap import Container
from domain.model.actor import Actor, Caller, Role
from domain.model.errors import NotFound
from projections.charges import ChargeFilter, query_charges
from projections.directory import CompanyFilter, MemberFilter, query_companies, query_members
from projections.directory.queries import company_member_ids, query_caller_name, query_company
from projections.event_log import (
    EventLogFilter,
    query_device_events,
    query_event,
    query_event_log,
    query_rental_account_history,
    query_subscription_history,
)
from projections.hardware_overview import HardwareFilter, query_hardware
from projections.invoices.queries import InvoiceFilter, invoice_detail, query_invoices
from projections.registry import all_projections
from projections.rental_accounts import (
    RentalAccountFilter,
    query_key_batches,
    query_rental_accounts,
)
from projections.subscription_overview import (
    SubscriptionFilter,
    company_subscription_ids,
    query_subscriptions,
)
from projections.usage import current_usage, month_usage
from tests.e2e._http import World

OPERATOR = Caller(actor=Actor("plan-operator", Role.OPERATOR), company_id=None)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """The plans are PostgreSQL's: the world is built there only."""
    return postgres_url


# A list query: (views, caller, filter fields) → its page. The filter class names the
# fields it is asked with, one at a time.
FILTERED: dict[str, tuple[Callable[..., Any], type]] = {
    "query_event_log": (lambda v, c, f: query_event_log(v, c, EventLogFilter(**f)), EventLogFilter),
    "query_hardware": (lambda v, c, f: query_hardware(v, c, HardwareFilter(**f)), HardwareFilter),
    "query_subscriptions": (
        lambda v, c, f: query_subscriptions(v, c, SubscriptionFilter(**f)),
        SubscriptionFilter,
    ),
    "query_charges": (lambda v, c, f: query_charges(v, c, ChargeFilter(**f)), ChargeFilter),
    "query_companies": (lambda v, c, f: query_companies(v, c, CompanyFilter(**f)), CompanyFilter),
    "query_members": (lambda v, c, f: query_members(v, c, MemberFilter(**f)), MemberFilter),
    "query_invoices": (lambda v, c, f: query_invoices(v, c, InvoiceFilter(**f)), InvoiceFilter),
    "query_rental_accounts": (
        lambda v, c, f: query_rental_accounts(v, c, RentalAccountFilter(**f)),
        RentalAccountFilter,
    ),
}
# Queries of one thing (an id of the world's), or without a filter: (views, caller, world).
SINGLE: dict[str, Callable[..., Any]] = {
    "query_device_events": lambda v, c, w: query_device_events(
        v, c, UUID(w.a.device_of_employee), after=1
    ),
    "query_subscription_history": lambda v, c, w: query_subscription_history(
        v, c, UUID(w.a.subscription), after=1
    ),
    "query_rental_account_history": lambda v, c, w: query_rental_account_history(
        v, c, UUID(w.a.company_id), after=1
    ),
    "query_key_batches": lambda v, c, w: query_key_batches(v, c, after=1),
    "company_member_ids": lambda v, c, w: company_member_ids(v, c, UUID(w.a.company_id)),
    "company_subscription_ids": lambda v, c, w: company_subscription_ids(
        v, c, UUID(w.a.company_id)
    ),
    "month_usage": lambda v, c, w: month_usage(v, c, UUID(w.a.company_id), date(2026, 3, 1)),
    "current_usage": lambda v, c, w: current_usage(v, c, UUID(w.a.company_id), NOW),
    "invoice_detail": lambda v, c, w: _missing_is_fine(lambda: invoice_detail(v, c, UUID(int=1))),
    # The console's (ADR 0041): one event by position, one company, the caller's name.
    "query_event": lambda v, c, w: query_event(v, c, 2),
    "query_company": lambda v, c, w: query_company(v, c, UUID(w.a.company_id)),
    "query_caller_name": lambda v, c, w: query_caller_name(v, c),
}
# A value for each filter field (by name), taken from the world where it names a thing.
SAMPLES: dict[str, Callable[[World], Any]] = {
    "aggregate_id": lambda w: UUID(w.a.device_of_employee),
    "aggregate_type": lambda w: "Device",
    "actor_id": lambda w: "tok-someone",
    "operation": lambda w: "Device.Assigned",
    "short operation": lambda w: "Assigned",  # the name without its aggregate type
    "occurred_from": lambda w: NOW,
    "occurred_to": lambda w: NOW,
    "status": lambda w: "active",
    "category": lambda w: "phone",
    "contract_type": lambda w: "leased",
    "assignee_id": lambda w: UUID(w.a.employee_member),
    "renewal_from": lambda w: date(2026, 6, 1),
    "renewal_to": lambda w: date(2026, 6, 1),
    "serial": lambda w: "SN-1",
    "preliminary_choice": lambda w: "return",
    "phase": lambda w: "final_decision",
    "overdue": lambda w: True,
    "ready_to_release": lambda w: True,
    "include_closed": lambda w: True,
    "now": lambda w: NOW,
    "subscription_id": lambda w: UUID(w.a.subscription),
    "charged_from": lambda w: date(2026, 3, 1),
    "charged_to": lambda w: date(2026, 4, 1),
    "role": lambda w: "employee",
    "month": lambda w: "2026-03",
    "number": lambda w: "2026-000001",
    "suspended": lambda w: True,
}
PAGING = {"company_id", "after", "limit"}  # every list's fields: asked in each shape below
# Statuses some filters take instead of the sample above.
STATUS_OF = {"query_invoices": "issued", "query_subscriptions": "active"}


def _missing_is_fine(read: Callable[[], Any]) -> None:
    with pytest.raises(NotFound):  # only the statements it ran matter here
        read()


class RecordingViews:
    """The view database as queries see it, recording each statement they run."""

    def __init__(self, container: Container) -> None:
        self.db = container.db
        self.statements: list[tuple[str, list[Any]]] = []

    @contextmanager
    def transaction(self) -> Iterator[RecordingViews._Reads]:
        with self.db.transaction() as tx:
            yield RecordingViews._Reads(tx, self.statements)

    class _Reads:
        def __init__(self, tx: SqlSession, statements: list[tuple[str, list[Any]]]) -> None:
            self.tx, self.statements = tx, statements

        def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
            self.statements.append((sql, list(params)))
            return self.tx.fetchone(sql, params)

        def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
            self.statements.append((sql, list(params)))
            return self.tx.fetchall(sql, params)


VIEW_TABLES = {table for p in all_projections() for table in p.tables}
# Tables a query reads whole on purpose: their size does not grow with the store.
READ_WHOLE = {
    "usage_descriptions": "one row per usage kind (a handful), each month's lines name them",
}
PROBES = 6  # indexes set aside, at most, before a statement's plan is judged


class _RolledBack(Exception):
    pass


def _explain(tx: SqlSession, sql: str, params: Sequence[Any]) -> dict[str, Any]:
    [(plan,)] = tx.fetchall("EXPLAIN (FORMAT JSON) " + sql, params)
    return dict((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


def _scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if node.get("Relation Name") in VIEW_TABLES.difference(READ_WHOLE):
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


def _unnarrowed(tx: SqlSession, node: dict[str, Any]) -> bool:
    """A scan that reads the whole table, or walks a whole index discarding rows (a partial
    index holds only the rows its predicate names: walking it is narrowed already)."""
    narrowed = "Index Cond" in node or "Recheck Cond" in node or _partial(tx, node)
    return node["Node Type"] == "Seq Scan" or ("Filter" in node and not narrowed)


def _partial(tx: SqlSession, node: dict[str, Any]) -> bool:
    if "Index Name" not in node:
        return False
    row = tx.fetchone(
        "SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = ?::regclass",
        [node["Index Name"]],
    )
    return bool(row and row[0])


def full_scans(container: Container, sql: str, params: Sequence[Any]) -> list[str]:
    """The full scans of view tables the planner cannot avoid for `sql`.

    With sequential scans priced out, a plan may still walk a whole index in the order the
    statement wants and filter every row (on a small table that is cheapest). Such an index
    is set aside (dropped inside a transaction that is rolled back) and the statement
    planned again, until each scan is narrowed by an index condition, or only a sequential
    scan is left: then no index can answer it, which is the failure."""
    found: list[str] = []
    try:
        with container.db.transaction() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")
            for _ in range(PROBES):
                walks = [n for n in _scans(_explain(tx, sql, params)) if _unnarrowed(tx, n)]
                seq = [n for n in walks if n["Node Type"] == "Seq Scan"]
                found = [f"Seq Scan on {n['Relation Name']} ({n.get('Filter', '')})" for n in seq]
                if seq or not walks:
                    break
                for walk in walks:
                    _set_aside(tx, walk["Index Name"], walk["Relation Name"])
            else:
                found = [f"still walking whole indexes after {PROBES} set aside"]
            raise _RolledBack
    except _RolledBack:
        pass
    return found


def _set_aside(tx: SqlSession, index: str, table: str) -> None:
    constraint = tx.fetchone(
        "SELECT conname FROM pg_constraint WHERE conindid = ?::regclass", [index]
    )
    if constraint:  # a primary key's index goes with its constraint
        tx.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint[0]}"')
    else:
        tx.execute(f'DROP INDEX "{index}"')


def shapes(world: World) -> Iterator[tuple[str, Caller, Callable[[Any], Any]]]:
    """(what, caller, run against views) for every query shape."""
    company = UUID(world.a.company_id)
    admin = Caller(actor=Actor("plan-admin", Role.ADMIN), company_id=company)
    for name, (run, filter_class) in FILTERED.items():
        fields = [f.name for f in dataclasses.fields(filter_class) if f.name not in PAGING]
        for field in [None, *fields, *(["short operation"] if "operation" in fields else [])]:
            asked = {} if field is None else {field.split()[-1]: SAMPLES[field](world)}
            if field == "status":
                asked["status"] = STATUS_OF.get(name, asked["status"])
            for scope in ({}, {"company_id": company}):
                for cursor in ({}, {"after": 10_001}):
                    given = {**asked, **scope, **cursor}
                    who = OPERATOR if name == "query_companies" or not scope else admin
                    yield f"{name}({given})", who, lambda v, r=run, c=who, g=given: r(v, c, g)
    for name, run_one in SINGLE.items():
        yield name, OPERATOR, lambda v, r=run_one: r(v, OPERATOR, world)


def test_every_query_and_filter_field_has_a_shape() -> None:
    found = set()
    for package in pkgutil.iter_modules(projections.__path__):
        try:
            queries = importlib.import_module(f"projections.{package.name}.queries")
        except ModuleNotFoundError:
            continue
        for name, function in inspect.getmembers(queries, inspect.isfunction):
            public = not name.startswith("_") and function.__module__ == queries.__name__
            if public and "caller" in inspect.signature(function).parameters:
                found.add(name)
    assert found == FILTERED.keys() | SINGLE.keys()
    fields = {f.name for _, cls in FILTERED.values() for f in dataclasses.fields(cls)}
    assert fields - PAGING == SAMPLES.keys() - {"short operation"}


@pytest.mark.postgres
def test_every_query_shape_uses_an_index(world: World, container: Container) -> None:
    with container.db.transaction() as tx:
        for table in sorted(VIEW_TABLES):
            tx.execute(f"ANALYZE {table}")
    failures: list[str] = []
    statements = 0
    for what, _, run in shapes(world):
        views = RecordingViews(container)
        run(views)
        assert views.statements, f"{what} ran no statement"
        statements += len(views.statements)
        for sql, params in views.statements:
            scans = full_scans(container, sql, params)
            failures += [f"{what}: {scan}\n    {sql}" for scan in scans]
    assert statements > 150  # the shapes ran at all (197 today)
    assert failures == [], "\n".join(failures)
