"""A simple command answers in a handful of round trips to the database (issue 16, ADR 0049).

Counted on the wire (benchmarks/round_trips.py), for one whole HTTP request: the token's
authentication, the command's reads and its save. A count, never a time. The first requests
warm the process, as any serving process is warm after a few: statements prepared on each
pooled connection, the aggregate and token caches filled. The token watcher (ADR 0050) runs,
but is not due within the test: its reads are the process's background work, once per
interval whatever the number of requests, not a request's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from benchmarks.round_trips import Counts, counting_postgres, counting_sqlite
from fastapi.testclient import TestClient

from adapters.clock import FixedClock
from adapters.settings_url import POOL_SIZE
from api.bootstrap import build, init_database
from api.http.app import create_app
from api.settings import Settings
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import auth, device_body, register_company, register_member

# On PostgreSQL: at most this many round trips for one register or assign (issue 16).
MAX_ROUND_TRIPS = 4


@contextmanager
def counted_store(database_url: str) -> Iterator[tuple[Counts, str]]:
    """The counts, and the URL the application is to use."""
    if database_url.startswith("sqlite"):
        with counting_sqlite() as counts:
            yield counts, database_url
        return
    with counting_postgres(database_url) as (counter, url):
        yield counter.counts, url


def _counted(counts: Counts, request: Callable[[], Any]) -> int:
    before, _ = counts.snapshot()
    first = len(counts.trace)
    request()
    after, _ = counts.snapshot()
    print("\n  ".join(["sent:", *counts.trace[first:]]))  # shown when the test fails
    return after - before


def test_register_and_assign_in_at_most_four_round_trips(
    database_url: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    init_database(Settings(database_url=database_url))
    with counted_store(database_url) as (counts, url):
        container = build(Settings(database_url=url), clock=clock)
        try:
            operator = issue_token(container, Role.OPERATOR)
            container.start_token_watch(interval_s=3600)  # notes the head; not due again
            app = create_app(container, start_projector=False, watch_tokens=False)
            with TestClient(app) as api:
                company = register_company(api, operator, "Counted AB", "SEK")
                member = register_member(api, operator, company, "Eva", "eva@x.example", "employee")

                def register(serial: str) -> str:
                    response = api.post(
                        "/v1/devices",
                        json=device_body(serial, company_id=company),
                        headers=auth(operator),
                    )
                    assert response.status_code == 201, response.text
                    return str(response.json()["id"])

                def assign(device_id: str) -> None:
                    response = api.post(
                        f"/v1/devices/{device_id}/assign",
                        json={"member_id": member},
                        headers=auth(operator),
                    )
                    assert response.status_code == 200, response.text

                for warm in range(POOL_SIZE + 1):  # once round the pool's connections
                    assign(register(f"SN-WARM-{warm}"))
                second: list[str] = []
                registered = _counted(counts, lambda: second.append(register("SN-COUNTED-2")))
                assigned = _counted(counts, lambda: assign(second[0]))
        finally:
            container.close()
    store = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with capsys.disabled():
        print(f"\n{store}: register_device {registered}, assign_device {assigned} round trips")
    if store == "postgres":
        assert registered <= MAX_ROUND_TRIPS
        assert assigned <= MAX_ROUND_TRIPS
    assert registered > 0  # the counter sees the commands' writes
    assert assigned > 0
