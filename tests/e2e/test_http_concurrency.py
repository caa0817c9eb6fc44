"""Concurrent commands over HTTP (issue 9, finding 5), on SQLite and PostgreSQL.

A client that sends no expected version did not ask for optimistic concurrency: when its
command loses a race, the server runs it again instead of answering 409. A client that
sends one is still told of a conflict, and nothing is written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.bootstrap import Container
from tests.e2e._http import TestClient, assert_problem, auth, head
from tests.e2e._subscriptions import (
    Shop,
    add_product,
    buy,
    command,
    line_of,
    ok,
    open_shop,
    read,
)

REQUESTS = 50
SEATS_BOUGHT = 2


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    return open_shop(api, container, employees=0)


@pytest.fixture
def plan(api: TestClient, shop: Shop) -> str:
    return add_product(api, shop.operator, "RACE", "Race plan", "plan", {"SEK": "49.00"})


def at_once(requests: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Send every request from its own thread, released together."""
    start = threading.Barrier(len(requests))

    def send(request: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_parallel_seat_additions_without_an_expected_version_all_succeed(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    subscription = buy(
        api, shop.admin, [(plan, SEATS_BOUGHT)], start_date="2026-03-01", term="1y"
    ).json()["id"]
    added = [1 + i % 3 for i in range(REQUESTS)]

    answers = at_once(
        [
            lambda n=n: command(
                api, shop.admin, subscription, "seats", {"product_id": plan, "seats": n}
            )
            for n in added
        ]
    )

    refused = [(a.status_code, a.text[:200]) for a in answers if a.status_code != 200]
    assert refused == []
    assert line_of(read(api, shop.admin, subscription), plan)["seats"] == SEATS_BOUGHT + sum(added)
    versions = [a.json()["version"] for a in answers]
    assert len(set(versions)) == REQUESTS, "two additions answered with the same version"


def test_parallel_duplicates_under_one_idempotency_key_add_the_seats_once(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    subscription = buy(
        api, shop.admin, [(plan, SEATS_BOUGHT)], start_date="2026-03-01", term="1y"
    ).json()["id"]
    path = f"/v1/subscriptions/{subscription}/seats"

    def keyed(key: str) -> Callable[[], httpx.Response]:
        headers = {**auth(shop.admin), "Idempotency-Key": key}
        return lambda: api.post(path, json={"product_id": plan, "seats": 5}, headers=headers)

    answers = at_once([keyed("once") for _ in range(10)] + [keyed(f"k{i}") for i in range(10)])

    assert [a.status_code for a in answers] == [200] * 20
    assert len({a.json()["version"] for a in answers[:10]}) == 1
    assert line_of(read(api, shop.admin, subscription), plan)["seats"] == SEATS_BOUGHT + 11 * 5


def test_a_stale_expected_version_is_still_a_409_and_writes_nothing(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    subscription = buy(
        api, shop.admin, [(plan, SEATS_BOUGHT)], start_date="2026-03-01", term="1y"
    ).json()["id"]
    read_version = read(api, shop.admin, subscription)["version"]
    ok(command(api, shop.service, subscription, "seats", {"product_id": plan, "seats": 1}))
    before = head(container)

    stale = command(
        api,
        shop.admin,
        subscription,
        "seats",
        {"product_id": plan, "seats": 1, "expected_version": read_version},
    )

    assert assert_problem(stale, 409, "version-conflict")["current_version"] == read_version + 1
    assert head(container) == before
    assert line_of(read(api, shop.admin, subscription), plan)["seats"] == SEATS_BOUGHT + 1
