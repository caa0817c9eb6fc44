"""Shared fixtures: a real store on SQLite and (marker `postgres`) on PostgreSQL.

`./scripts/test` provides LESSOR_TEST_DATABASE_URL (a database made for this run) and
LESSOR_TEST_PG_SERVER_URL; each test that needs PostgreSQL gets a database of its own
named after the run's, created here and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from adapters.clock import FixedClock
from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.model.actor import Actor, Role
from domain.model.events import Cause

hypothesis_settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=60, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_db_counter = itertools.count(1)


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def postgres_server() -> tuple[str, str] | None:
    """(server maintenance url, run database name) or None when no PostgreSQL was provided."""
    run_db_url = os.environ.get("LESSOR_TEST_DATABASE_URL", "")
    if not run_db_url:
        return None
    server = os.environ.get("LESSOR_TEST_PG_SERVER_URL") or _with_dbname(run_db_url, "postgres")
    return server, urlsplit(run_db_url).path.lstrip("/")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    found = postgres_server()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL tier: LESSOR_TEST_DATABASE_URL is not set")
        pytest.skip("no PostgreSQL: run through ./scripts/test to get one")
    with fresh_postgres_database(*found, str(next(_db_counter))) as url:
        yield url


@contextmanager
def fresh_postgres_database(server: str, run_db: str, suffix: str) -> Iterator[str]:
    """An empty database named after the run (so scripts/test drops any left behind)."""
    name = f"{run_db}_{os.getpid()}_{suffix}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_dbname(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test body runs on both stores."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/lessor.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The read wait is a ceiling for loaded machines; a read returns as soon as it is served.
    return Settings(database_url=database_url, projector_poll_s=0.05, read_wait_timeout_s=30)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    init_database(settings)
    built = build(settings, clock=clock)
    try:
        yield built
    finally:
        built.close()


def system_cause(at: datetime = T0) -> Cause:
    return Cause(actor=Actor(id="test-setup", role=Role.OPERATOR), at=at, correlation_id="setup")


def issue_token(
    container: Container,
    role: Role,
    company_id: object = None,
    member_id: object = None,
) -> str:
    """A real token, issued the way `lessor tokens create` does it; returns the secret."""
    secret = new_token_secret()
    container.app.tokens.issue(
        system_cause(),
        token_hash=hash_token(secret),
        company_id=company_id,  # type: ignore[arg-type]
        role=role,
        member_id=member_id,
        label="test",  # type: ignore[arg-type]
    )
    return secret
