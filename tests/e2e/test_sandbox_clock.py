"""The sandbox clock over HTTP (SPEC §8, ADR 0011): an operator walks a lease to its renewal.

The container runs in sandbox mode over a FixedClock as its wall clock, so business time is
T0 + the offset the operator sets: exact, and shared through the database with any other
process on it (tests/e2e/test_cli_clock.py has the CLI and the scheduler's side).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container, build
from api.settings import Settings
from tests.conftest import T0
from tests.e2e._end_of_lease import (
    add_months,
    leased_device,
    local,
    money,
    ok,
    open_shop,
    options_of,
    pay,
    phone_value_minor,
    post,
    set_automatic_valuation,
    start_buyout,
)
from tests.e2e._http import TestClient, World, assert_problem, auth, head, make_client

CLOCK = "/v1/sandbox/clock"
LEASE_START = date(2025, 1, 15)
RENEWAL = date(2027, 1, 15)
COST_MINOR = 1_200_000  # 12 000 SEK


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, mode="sandbox", projector_poll_s=0.05, read_wait_timeout_s=30
    )


def business_time(api: TestClient, secret: str) -> datetime:
    return datetime.fromisoformat(ok(api.get(CLOCK, headers=auth(secret)))["now"])


def move(api: TestClient, secret: str, **body: Any) -> Any:
    return api.post(CLOCK, json=body, headers=auth(secret))


def recorded_at(api: TestClient, container: Container, admin: str, device_id: str) -> list[Any]:
    """(operation, business time) of the device's events, oldest first."""
    response = api.get(
        f"/v1/devices/{device_id}/events",
        params={"min_position": head(container), "limit": 500},
        headers=auth(admin),
    )
    return [
        (item["operation"], datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00")))
        for item in ok(response)["items"]
    ]


def test_an_operator_sets_the_clock_to_r_minus_3_months_and_the_options_open(
    api: TestClient, container: Container
) -> None:
    shop = open_shop(api, container, name="Sandbox AB", settings={"device_buyout": True})
    eva = shop.employees[0]
    set_automatic_valuation(api, shop, "phone", True)
    phone = leased_device(
        api, shop, "PH-SANDBOX-1", holder=eva, lease_start=LEASE_START, renewal_date=RENEWAL
    )
    assert business_time(api, shop.operator) == T0  # nothing moved yet: the wall clock
    before = options_of(api, eva.token, phone)
    assert (before["phase"], before["price"], before["actions"]) == ("none", None, [])

    options_from = local(add_months(RENEWAL, -3))  # 00:00 Stockholm on R − 3 months
    assert options_from == datetime(2026, 10, 14, 22, tzinfo=UTC)
    moved = ok(move(api, shop.operator, set_to=options_from.isoformat()))
    assert datetime.fromisoformat(moved["now"]) == options_from
    assert moved["offset_seconds"] == (options_from - T0).total_seconds()
    assert business_time(api, eva.token) == options_from  # every role may read it

    opened = options_of(api, eva.token, phone)
    price = phone_value_minor(COST_MINOR, LEASE_START, add_months(RENEWAL, -3))
    assert price == 480_000  # 21 completed months on the phone curve: 40 % of 12 000 SEK
    assert opened["phase"] == "preliminary"
    assert opened["price"] == {**money(price), "source": "standard_curve"}
    assert opened["actions"] == ["preliminary_choice"]

    ok(post(api, eva.token, f"/v1/devices/{phone}/preliminary-choice", {"choice": "buyout"}))
    history = recorded_at(api, container, shop.admin, phone)
    assert history[0][1] == T0  # registered before the clock moved
    assert history[-1] == ("Device.PreliminaryChoiceMade", options_from)

    # Two calendar months on (in UTC): 23:00 Stockholm in winter, an hour before R − 1 month.
    final_from = local(add_months(RENEWAL, -1))
    moved = ok(move(api, shop.operator, advance_by="2mo"))
    assert datetime.fromisoformat(moved["now"]) == final_from - timedelta(hours=1)
    assert options_of(api, eva.token, phone)["phase"] == "preliminary"
    ok(move(api, shop.operator, advance_by="1h"))
    final = options_of(api, eva.token, phone)
    assert final["phase"] == "final"
    assert final["actions"] == ["return", "buyout"]

    # Buy it out. Stripe stamps the session's expiry and the payment by its wall clock; the
    # sandbox moves both along by its offset, so the checkout is not long expired at the next
    # tick, and the payment follows the decision in business time.
    session = start_buyout(api, shop, eva, phone)
    assert container.scheduler.tick(container.clock.now()).events == 0
    assert options_of(api, eva.token, phone)["phase"] == "checkout_open"
    price_now = phone_value_minor(COST_MINOR, LEASE_START, add_months(RENEWAL, -1))
    pay(api, container, session, "evt_sandbox_paid", at=T0, minor=price_now)
    assert recorded_at(api, container, shop.admin, phone)[-2:] == [
        ("Device.BuyoutCheckoutStarted", final_from),
        ("Device.BuyoutPaid", final_from),
    ]


def test_the_clock_never_goes_back_and_bad_bodies_change_nothing(
    api: TestClient, world: World
) -> None:
    ahead = T0 + timedelta(days=40)
    ok(move(api, world.operator, set_to=ahead.isoformat()))
    refused = [
        (move(api, world.operator, set_to=(ahead - timedelta(seconds=1)).isoformat()), 409),
        (move(api, world.operator, advance_by="soon"), 422),
        (move(api, world.operator, advance_by="0d"), 422),
        (move(api, world.operator, advance_by="-3d"), 422),
        (move(api, world.operator, set_to="2027-01-01T00:00:00"), 422),  # no zone offset
        (move(api, world.operator, set_to=ahead.isoformat(), advance_by="1d"), 422),
        (move(api, world.operator), 422),
        (move(api, world.operator, advance_by="1d", tick=True), 422),
    ]
    for response, status in refused:
        assert_problem(response, status)
    assert_problem(refused[0][0], 409, "rule-violation")
    assert business_time(api, world.operator) == ahead
    ok(move(api, world.operator, set_to=ahead.isoformat()))  # where it already is: fine
    moved = ok(move(api, world.operator, advance_by="P1DT2H"))
    assert datetime.fromisoformat(moved["now"]) == ahead + timedelta(days=1, hours=2)


def test_only_an_operator_moves_the_clock(api: TestClient, world: World) -> None:
    for role in ("admin", "service", "employee"):
        secret = world.a.token(role)
        assert business_time(api, secret) == T0
        refused = move(api, secret, advance_by="30d")
        assert_problem(refused, 403, "forbidden")
        # A non-operator learns nothing about the body: 403 before validation.
        assert_problem(move(api, secret, advance_by="soon"), 403, "forbidden")
    assert business_time(api, world.operator) == T0


@pytest.fixture
def production(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    """A production deployment on the same database as the sandbox container."""
    built = build(settings.model_copy(update={"mode": "production"}), clock=clock)
    try:
        yield built
    finally:
        built.close()


def test_production_has_no_clock_routes_and_ignores_the_sandbox_offset(
    api: TestClient, world: World, production: Container, clock: FixedClock
) -> None:
    ok(move(api, world.operator, advance_by="90d"))
    assert business_time(api, world.operator) == T0 + timedelta(days=90)
    with make_client(production) as prod:
        for secret in (world.operator, world.a.admin):
            assert_problem(prod.get(CLOCK, headers=auth(secret)), 404, "not-found")
            before = head(production)
            moved = prod.post(CLOCK, json={"advance_by": "1d"}, headers=auth(secret))
            assert_problem(moved, 404, "not-found")
            assert head(production) == before
    assert production.clock.now() == clock.now() == T0  # the wall clock, no offset
