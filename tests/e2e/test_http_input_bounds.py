"""Issue 9, findings 1 and 3: every amount, count, rate and date a client sends is bounded
where it enters the domain (ADR 0014). Out of bounds: 422 problem+json naming the bound, and
nothing written; a long backdated start writes a bounded number of events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.bootstrap import Container
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    collect_pages,
    created,
    device_body,
    head,
    position,
)
from tests.e2e._subscriptions import charges

HUGE = "10000000000000000000000000"  # 10^25: the amount that stalled the hardware overview
LEASED = {"contract_type": "leased", "lease_start": "2026-01-01", "renewal_date": "2029-01-01"}


@dataclass(frozen=True)
class OutOfBounds:
    send: Callable[[TestClient, World], httpx.Response]
    detail: str  # a fragment of the problem's detail: the field or the bound


def _as_admin(method: str, path: Callable[[World], str], body: dict[str, Any]) -> Any:
    def send(api: TestClient, w: World) -> httpx.Response:
        return api.request(method, path(w), json=body, headers=auth(w.a.admin))

    return send


def _device(**changes: Any) -> Callable[[TestClient, World], httpx.Response]:
    body = {**device_body("SN-BOUND"), **changes}
    return _as_admin("POST", lambda w: "/v1/devices", body)


def _buy(**changes: Any) -> Callable[[TestClient, World], httpx.Response]:
    def send(api: TestClient, w: World) -> httpx.Response:
        body = {
            "lines": [{"product_id": w.plan, "seats": 5}],
            "start_date": "2026-03-01",
            "term": "monthly",
            "renewal_option": "every_time",
            **changes,
        }
        return api.post("/v1/subscriptions", json=body, headers=auth(w.a.admin))

    return send


def _product(prices: dict[str, str]) -> Callable[[TestClient, World], httpx.Response]:
    def send(api: TestClient, w: World) -> httpx.Response:
        body = {"code": "BIG", "name": "Big", "kind": "option", "prices": prices}
        return api.post("/v1/catalog/products", json=body, headers=auth(w.operator))

    return send


def _reprice(prices: dict[str, str]) -> Callable[[TestClient, World], httpx.Response]:
    def send(api: TestClient, w: World) -> httpx.Response:
        return api.patch(
            f"/v1/catalog/products/{w.plan}", json={"prices": prices}, headers=auth(w.operator)
        )

    return send


CASES: dict[str, OutOfBounds] = {
    "company-cost-10^25": OutOfBounds(
        _device(company_cost={"amount": HUGE, "currency": "SEK"}), "too large"
    ),
    "company-cost-one-öre-past-the-bound": OutOfBounds(
        _device(company_cost={"amount": "10000000000000.01", "currency": "SEK"}),
        "10000000000000.00 SEK",
    ),
    "buyout-price-10^25": OutOfBounds(
        _as_admin(
            "POST",
            lambda w: f"/v1/devices/{w.a.device_in_stock}/buyout-price",
            {"amount": {"amount": HUGE, "currency": "SEK"}},
        ),
        "too large",
    ),
    "product-price-10^25": OutOfBounds(_product({"SEK": HUGE}), "too large"),
    "product-reprice-10^25": OutOfBounds(_reprice({"SEK": HUGE}), "too large"),
    "lease-start-year-1": OutOfBounds(
        _device(**{**LEASED, "lease_start": "0001-01-01"}), "2000-01-01"
    ),
    "lease-start-1999": OutOfBounds(_device(**{**LEASED, "lease_start": "1999-12-31"}), "lease"),
    "renewal-date-2101": OutOfBounds(_device(**{**LEASED, "renewal_date": "2101-01-01"}), "2100"),
    "subscription-start-1900": OutOfBounds(_buy(start_date="1900-01-01"), "start date"),
    "subscription-start-year-1": OutOfBounds(_buy(start_date="0001-01-01"), "2000-01-01"),
    "subscription-start-2101": OutOfBounds(_buy(start_date="2101-01-01"), "2100-12-31"),
    "subscription-backdated-over-5-years": OutOfBounds(
        _buy(start_date="2021-03-01"), "at most 5 years"
    ),
    "last-employment-day-1900": OutOfBounds(
        _as_admin(
            "POST",
            lambda w: "/v1/members",
            {"name": "Old", "email": "old@a.example", "last_employment_day": "1900-01-01"},
        ),
        "last employment day",
    ),
    "last-employment-day-set-to-9999": OutOfBounds(
        _as_admin(
            "POST",
            lambda w: f"/v1/members/{w.a.employee_member}/last-employment-day",
            {"last_employment_day": "9999-12-31"},
        ),
        "2100-12-31",
    ),
    "vat-rate-with-four-decimals": OutOfBounds(
        _as_admin("PATCH", lambda w: f"/v1/companies/{w.a.company_id}", {"vat_rate": "25.0001"}),
        "decimals",
    ),
    "vat-rate-a-tiny-exponent": OutOfBounds(
        _as_admin("PATCH", lambda w: f"/v1/companies/{w.a.company_id}", {"vat_rate": "1E-999"}),
        "decimals",
    ),
    "seats-beyond-a-line's-bound": OutOfBounds(  # the tenant's plan line holds 10 already
        lambda api, w: api.post(
            f"/v1/subscriptions/{w.a.subscription}/seats",
            json={"product_id": w.plan, "seats": 100_000},
            headers=auth(w.a.admin),
        ),
        "at most 100,000",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_out_of_bounds_input_is_422_naming_the_bound_and_writes_nothing(
    api: TestClient, world: World, container: Container, case: str
) -> None:
    before = head(container)

    response = CASES[case].send(api, world)

    body = assert_problem(response, 422, "invalid-value")
    assert CASES[case].detail.lower() in body["detail"].lower(), body["detail"]
    assert head(container) == before


def test_a_sale_whose_charge_is_beyond_the_largest_amount_is_422_and_writes_nothing(
    api: TestClient, world: World, container: Container
) -> None:
    """The largest price is fine; 100 000 seats of it for five years is not an amount."""
    largest = created(_product({"SEK": "10000000000000.00"})(api, world))["id"]
    lines = [{"product_id": largest, "seats": 100_000}]
    before = head(container)

    quoted = api.post(
        "/v1/subscriptions/quote", json={"lines": lines, "term": "5y"}, headers=auth(world.a.admin)
    )
    bought = _buy(lines=lines, term="5y")(api, world)

    for response in (quoted, bought):
        assert "too large" in assert_problem(response, 422, "invalid-value")["detail"]
    assert head(container) == before


def test_the_largest_amount_is_accepted(api: TestClient, world: World) -> None:
    body = device_body("SN-LARGEST", amount="10000000000000.00")
    device = created(api.post("/v1/devices", json=body, headers=auth(world.a.admin)))
    assert device["company_cost"]["minor"] == 10**15


def test_after_an_absurd_amount_another_tenants_device_still_reaches_the_overview(
    api: TestClient, world: World, container: Container
) -> None:
    """Finding 1: 10^25 answered 201 and stalled the hardware overview for every tenant."""
    before = head(container)
    bad = api.post(
        "/v1/devices",
        json=device_body("SN-HUGE", amount=HUGE),
        headers=auth(world.a.admin),
    )
    assert_problem(bad, 422, "invalid-value")
    assert head(container) == before

    other = api.post(
        "/v1/devices", json=device_body("SN-AFTER", currency="EUR"), headers=auth(world.b.admin)
    )
    assert other.status_code == 201, other.text
    listed = collect_pages(
        api,
        "/v1/devices",
        world.b.admin,
        {"serial": "SN-AFTER"},
        min_position=position(other),
    )
    assert [d["device_id"] for d in listed] == [other.json()["id"]]


# ----------------------------------------------------------------- finding 3: catch-up


def test_a_long_backdated_start_writes_a_bounded_number_of_events(
    api: TestClient, world: World, container: Container
) -> None:
    """Finding 3: a monthly every-time start far back wrote two events per month. Now: the
    sale, one catch-up, the renewal into the month in progress and its charge."""
    before = head(container)
    bought = api.post(
        "/v1/subscriptions",
        json={
            "lines": [{"product_id": world.plan, "seats": 2}],
            "start_date": "2021-03-02",  # five years before 2026-03-02: the earliest allowed
            "term": "monthly",
            "renewal_option": "every_time",
            "po_reference": "PO-OLD",
        },
        headers=auth(world.a.admin),
    )
    sub = created(bought)

    assert head(container) - before == 4
    assert (sub["status"], sub["term_start"], sub["charged_through"]) == (
        "active",
        "2026-03-02",
        "2026-04-02",
    )
    lines = charges(api, container, world.a.admin, subscription_id=sub["id"])
    summary = [
        (c["kind"], c["quantity"], c["months"], c["period_start"], c["period_end"]) for c in lines
    ]
    assert summary == [
        ("catch_up", 2, 60, "2021-03-02", "2026-03-02"),
        ("monthly", 2, 1, "2026-03-02", "2026-04-02"),
    ]
    monthly = lines[1]["amount"]["minor"]
    assert monthly == 2 * 9900
    assert lines[0]["amount"]["minor"] == 60 * monthly  # what 60 monthly charges would sum to
    assert "catch-up" in lines[0]["description"]
    assert lines[0]["po_reference"] == "PO-OLD"


def test_a_backdated_start_within_a_year_is_still_charged_month_by_month(
    api: TestClient, world: World, container: Container
) -> None:
    bought = api.post(
        "/v1/subscriptions",
        json={
            "lines": [{"product_id": world.plan, "seats": 1}],
            "start_date": "2025-03-02",  # twelve past months: not more than CATCH_UP_AFTER
            "term": "monthly",
            "renewal_option": "every_time",
        },
        headers=auth(world.a.admin),
    )
    sub = created(bought)
    lines = charges(api, container, world.a.admin, subscription_id=sub["id"])
    assert [c["kind"] for c in lines] == ["monthly"] * 13


@pytest.mark.parametrize(
    ("path", "params", "detail"),
    [
        ("/v1/devices", {"renewal_from": "0001-01-01"}, "renewal_from"),
        ("/v1/devices", {"renewal_to": "2101-01-01"}, "renewal_to"),
        ("/v1/charges", {"charged_from": "1900-01-01"}, "charged_from"),
        ("/v1/event-log", {"occurred_from": "1999-12-31T23:59:59Z"}, "occurred_from"),
        ("/v1/event-log", {"occurred_to": "9999-12-31T00:00:00Z"}, "occurred_to"),
    ],
)
def test_a_filter_date_outside_the_window_is_422(
    api: TestClient, world: World, path: str, params: dict[str, str], detail: str
) -> None:
    response = api.get(path, params=params, headers=auth(world.a.admin))
    body = assert_problem(response, 422, "invalid-value")
    assert detail in body["detail"]
    assert "2000-01-01..2100-12-31" in body["detail"]
