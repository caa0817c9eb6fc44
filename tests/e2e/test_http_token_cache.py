"""Authentication from memory (ADR 0050): a token is read from the store once per process,
and a change to it — made here or by another process on the same database — is obeyed:
at once here, within a second elsewhere.

The "other process" is a second container built on the same database: its own application,
aggregate cache, token cache and watcher, as a second `lessor serve` would have. No timing
is asserted: the other process is polled until a deadline far beyond the one-second bound,
and the outcome is asserted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from uuid import UUID

import pytest

from adapters.clock import FixedClock
from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from tests.conftest import system_cause
from tests.e2e._http import TestClient, World, auth, make_client, token_id

DEADLINE_S = 30.0  # a loaded CI machine; the watcher reads the log every 0.25 s


@pytest.fixture
def other(settings: Settings, clock: FixedClock, container: Container) -> Iterator[TestClient]:
    """A second serving process on the same database (the first is `api`)."""
    del container  # built first: it made the schema
    second = build(settings, clock=clock)
    try:
        with make_client(second, start_projector=False) as client:
            yield client
    finally:
        second.close()


def _eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _settled(*clients: TestClient) -> None:
    """Wait until each process's watcher has read the log to its head: until then, it may
    still evict entries for the changes that built the world (that is its job)."""
    for client in clients:
        app = client.app.state.container.app  # type: ignore[attr-defined]
        assert _eventually(lambda app=app: app.tokens.cache.position == app.head())


def _cached(client: TestClient, secret: str) -> bool:
    """Whether the process behind `client` answers `secret` from memory."""
    return hash_token(secret) in client.app.state.container.app.tokens.cache  # type: ignore[attr-defined]


def _devices(client: TestClient, secret: str) -> int:
    return client.get("/v1/devices", headers=auth(secret)).status_code


def test_a_token_is_read_once_then_served_from_memory(
    api: TestClient, world: World, container: Container
) -> None:
    cache = container.app.tokens.cache
    _settled(api)
    assert _devices(api, world.a.admin) == 200
    assert _cached(api, world.a.admin)
    known = len(cache)
    assert _devices(api, world.a.admin) == 200
    assert len(cache) == known  # the second request found it, and added nothing
    assert hash_token(new_token_secret()) not in cache
    assert _devices(api, new_token_secret()) == 401
    assert len(cache) == known  # an unknown token is not kept


def test_a_revocation_elsewhere_is_obeyed_here(
    api: TestClient, other: TestClient, world: World, container: Container
) -> None:
    """Revoked through the first process: the second, which had it cached, refuses it."""
    _settled(api, other)
    assert _devices(other, world.a.service) == 200
    assert _cached(other, world.a.service)  # so only an eviction can refuse it there

    container.app.tokens.revoke(system_cause(), UUID(token_id(world.a.service)))

    assert _devices(api, world.a.service) == 401  # here: at once
    assert _eventually(lambda: _devices(other, world.a.service) == 401)
    assert _devices(other, world.a.admin) == 200  # the company's other tokens still work


def test_an_employment_ended_elsewhere_is_obeyed_here(
    api: TestClient, other: TestClient, world: World, container: Container
) -> None:
    """The member's last day is set (before T0, the clock's now) by one process: it refuses
    the member's token at once, the other, which had it cached, within the bound."""
    _settled(api, other)
    assert _devices(other, world.a.employee) == 200
    assert _devices(api, world.a.employee) == 200
    assert _cached(other, world.a.employee)
    assert _cached(api, world.a.employee)
    operator = Caller(actor=Actor(id="test-operator", role=Role.OPERATOR), company_id=None)
    container.app.members.set_last_employment_day(
        CommandContext(caller=operator, cause=system_cause()),
        UUID(world.a.employee_member),
        date(2026, 1, 1),  # before T0
    )
    assert _devices(api, world.a.employee) == 401
    assert _eventually(lambda: _devices(other, world.a.employee) == 401)
