"""Fixtures for the end-to-end HTTP tests: the real app on the real store, projector running.

`api` is a TestClient around `create_app(container, start_projector=True)`, entered as a
context manager so the lifespan starts the projector thread. Every response passes through
`check_response`: no error may be anything but problem+json, no body may carry a stack
trace or a source path, and no request may end in a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from tests.e2e._http import SHORT_READ_WAIT_S, TestClient, World, build_world, make_client


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    with make_client(container) as client:
        yield client


@pytest.fixture
def world(api: TestClient, container: Container) -> World:
    return build_world(api, container)


@pytest.fixture
def short_wait_container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    """A container whose reads give up quickly on ?min_position (for the 503 path)."""
    quick = settings.model_copy(update={"read_wait_timeout_s": SHORT_READ_WAIT_S})
    init_database(quick)
    built = build(quick, clock=clock)
    try:
        yield built
    finally:
        built.close()
