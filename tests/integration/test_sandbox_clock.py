"""The sandbox clock on both stores: one offset in the database, shared by every process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.sandbox_clock import ClockWouldGoBack, SandboxClock, parse_step
from adapters.settings_url import DatabaseUrl
from adapters.sql import Database, open_database

WALL = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    opened = open_database(DatabaseUrl(database_url))
    SandboxClock.create_schema(opened)
    SandboxClock.create_schema(opened)  # idempotent, like `lessor db init`
    try:
        yield opened
    finally:
        opened.close()


def test_two_processes_share_the_clock_and_it_runs_on_with_the_wall(db: Database) -> None:
    wall = FixedClock(WALL)
    serve, cli = SandboxClock(db, wall), SandboxClock(db, FixedClock(WALL))
    try:
        assert serve.now() == WALL  # no row yet: business time is wall time
        target = datetime(2027, 1, 1, tzinfo=UTC)
        assert cli.set(target).now == target
        assert serve.now() == target
        wall.advance(timedelta(minutes=5))  # the serving process's wall clock runs on
        assert serve.now() == target + timedelta(minutes=5)
        moved = serve.advance(parse_step("1mo"))
        assert moved.now == datetime(2027, 2, 1, 0, 5, tzinfo=UTC)
        assert moved.offset == moved.now - wall.now()
        assert cli.show().now == datetime(2027, 2, 1, tzinfo=UTC)  # its wall clock stood still
    finally:
        serve.close()
        cli.close()


def test_going_back_is_refused_and_changes_nothing(db: Database) -> None:
    clock = SandboxClock(db, FixedClock(WALL))
    try:
        ahead = clock.set(WALL + timedelta(days=10)).now
        with pytest.raises(ClockWouldGoBack):
            clock.set(ahead - timedelta(microseconds=1))
        assert clock.now() == ahead
        assert clock.set(ahead).now == ahead  # standing still is not going back
    finally:
        clock.close()


def test_a_read_inside_another_transaction_neither_waits_nor_fails(db: Database) -> None:
    """Commands and queries read the clock on every use, even while a view is being written."""
    clock = SandboxClock(db, FixedClock(WALL))
    try:
        clock.set(WALL + timedelta(days=1))
        with db.transaction() as tx:
            tx.execute("UPDATE sandbox_clock SET changed_at = changed_at")
            assert clock.now() == WALL + timedelta(days=1)
    finally:
        clock.close()
