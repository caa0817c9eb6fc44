"""A simple command answers in a handful of round trips to the database (issue 16, ADR 0049).

Counted on the wire (benchmarks/round_trips.py), for one whole HTTP request: the token's
authentication, the command's reads and its save. A count, never a time. The first request
of each kind warms the process (prepared statements, the aggregate cache, the token cache);
the second is counted, as every request after the first in a serving process would be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adapters.clock import FixedClock
from api.bootstrap import build, init_database
from api.settings import Settings
from benchmarks.round_trips import Counts, counting_postgres, counting_sqlite
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import auth, device_body, make_client, register_company, register_member

# On PostgreSQL: at most this many round trips for one register or assign (issue 16).
MAX_ROUND_TRIPS = 4


@contextmanager
def counted_store(database_url: str) -> Iterator[tuple[Callable[[], tuple[int, int]], str]]:
    """(read the counts so far, the URL the application is to use)."""
    if database_url.startswith("sqlite"):
        with counting_sqlite() as counts:
            yield counts.snapshot, database_url
        return
    with counting_postgres(database_url) as (counter, url):
        counts: Counts = counter.counts
        yield counts.snapshot, url


def _counted(read: Callable[[], tuple[int, int]], request: Callable[[], Any]) -> int:
    before, _ = read()
    request()
    after, _ = read()
    return after - before


def test_register_and_assign_in_at_most_four_round_trips(
    database_url: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    init_database(Settings(database_url=database_url))
    with counted_store(database_url) as (read, url):
        container = build(Settings(database_url=url), clock=clock)
        try:
            operator = issue_token(container, Role.OPERATOR)
            with make_client(container, start_projector=False) as api:
                company = register_company(api, operator, "Counted AB", "SEK")
                member = register_member(api, operator, company, "Eva", "eva@x.example", "employee")

                def register(serial: str) -> str:
                    response = api.post(
                        "/v1/devices", json=device_body(serial, company_id=company),
                        headers=auth(operator),
                    )
                    assert response.status_code == 201, response.text
                    return str(response.json()["id"])

                def assign(device_id: str) -> None:
                    response = api.post(
                        f"/v1/devices/{device_id}/assign", json={"member_id": member},
                        headers=auth(operator),
                    )
                    assert response.status_code == 200, response.text

                assign(register("SN-WARM-1"))  # warm: statements prepared, caches filled
                second: list[str] = []
                registered = _counted(read, lambda: second.append(register("SN-COUNTED-2")))
                assigned = _counted(read, lambda: assign(second[0]))
        finally:
            container.close()
    store = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with capsys.disabled():
        print(f"\n{store}: register_device {registered}, assign_device {assigned} round trips")
    if store == "postgres":
        assert registered <= MAX_ROUND_TRIPS
        assert assigned <= MAX_ROUND_TRIPS
    assert registered > 0 and assigned > 0  # the counter sees the commands' writes
