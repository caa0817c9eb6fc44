"""Purchase confirmation end to end (SPEC §3, seed 001, ADR 0032): the operator publishes
terms (HTTP and `lessor terms publish`), the admin reviews a quote and confirms it with the
terms accepted; a stale quote is 409 stale-quote with the new quote in the body."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.conftest import T0
from tests.e2e._cli import cli_runner
from tests.e2e._http import TestClient, assert_problem, auth, collect_pages, head
from tests.e2e._subscriptions import Shop, add_product, line_of, ok, open_shop, reprice


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    return open_shop(api, container, employees=0)


@pytest.fixture
def plan(api: TestClient, shop: Shop) -> str:
    return add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})


def quote(api: TestClient, secret: str, plan: str, seats: int = 2) -> dict[str, Any]:
    body = {"lines": [{"product_id": plan, "seats": seats}], "term": "1y"}
    return ok(api.post("/v1/subscriptions/quote", json=body, headers=auth(secret)))


def buy(api: TestClient, secret: str, plan: str, **confirmation: Any) -> Any:
    body = {
        "lines": [{"product_id": plan, "seats": 2}],
        "start_date": "2026-03-02",
        "term": "1y",
        **confirmation,
    }
    return api.post("/v1/subscriptions", json=body, headers=auth(secret))


def publish(api: TestClient, secret: str, version: str) -> Any:
    return api.post("/v1/terms", json={"version": version}, headers=auth(secret))


def test_the_admin_reviews_a_quote_and_confirms_it_accepting_the_providers_terms(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    assert_problem(api.get("/v1/terms", headers=auth(shop.admin)), 404, "not-found")
    assert publish(api, shop.operator, "2026-11").status_code == 201
    assert_problem(publish(api, shop.admin, "2026-12"), 403, "forbidden")
    terms = ok(api.get("/v1/terms", headers=auth(shop.admin)))
    assert (terms["version"], terms["versions"]) == ("2026-11", ["2026-11"])

    shown = quote(api, shop.admin, plan)
    assert (shown["terms_version"], shown["total"]["amount"]) == ("2026-11", "1176.00")
    clock.set(T0 + timedelta(minutes=10))
    bought = buy(api, shop.admin, plan, quote_id=shown["quote_id"], accept_terms="2026-11")
    assert bought.status_code == 201, bought.text

    logged = collect_pages(
        api,
        "/v1/event-log",
        shop.admin,
        {"operation": "Subscription.PurchaseConfirmed"},
        min_position=head(container),
    )
    assert [(e["details"]["quote_id"], e["details"]["terms_version"]) for e in logged] == [
        (shown["quote_id"], "2026-11")
    ]


def test_a_stale_quote_is_refused_with_the_new_one_which_then_confirms(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    assert publish(api, shop.operator, "2026-11").status_code == 201
    shown = quote(api, shop.admin, plan)
    reprice(api, shop.operator, plan, {"SEK": "59.00"})
    assert publish(api, shop.operator, "2026-12").status_code == 200  # a new version
    before = head(container)

    stale = buy(api, shop.admin, plan, quote_id=shown["quote_id"], accept_terms="2026-11")
    problem = assert_problem(stale, 409, "stale-quote")
    assert "'2026-12'" in problem["detail"]
    fresh = problem["quote"]
    assert (fresh["terms_version"], fresh["total"]["amount"]) == ("2026-12", "1416.00")
    assert head(container) == before
    clock.set(T0 + timedelta(hours=1))  # past the quote's validity
    late = buy(api, shop.admin, plan, quote_id=fresh["quote_id"], accept_terms="2026-12")
    assert "expired" in assert_problem(late, 409, "stale-quote")["detail"]
    assert head(container) == before

    clock.set(T0 + timedelta(minutes=5))
    done = buy(api, shop.admin, plan, quote_id=fresh["quote_id"], accept_terms="2026-12")
    assert done.status_code == 201, done.text
    half = buy(api, shop.admin, plan, accept_terms="2026-12")
    assert_problem(half, 422, "invalid-value")


def test_added_seats_are_confirmed_from_a_seats_quote_and_plain_clients_still_buy(
    api: TestClient, clock: FixedClock, shop: Shop, plan: str
) -> None:
    plain = buy(api, shop.service, plan)  # no review: integrations keep working (ADR 0032)
    assert plain.status_code == 201, plain.text
    sub = plain.json()["id"]
    assert publish(api, shop.operator, "2026-11").status_code == 201
    clock.set(T0 + timedelta(days=30))

    asked = {"product_id": plan, "seats": 1}
    path = f"/v1/subscriptions/{sub}/seats"
    shown = ok(api.post(f"{path}/quote", json=asked, headers=auth(shop.admin)))
    assert shown["lines"][0]["seats"] == 1
    added = api.post(
        path,
        json={**asked, "quote_id": shown["quote_id"], "accept_terms": "2026-11"},
        headers=auth(shop.admin),
    )
    assert line_of(ok(added), plan)["seats"] == 3


def test_the_cli_publishes_and_shows_the_terms(
    api: TestClient, shop: Shop, plan: str, database_url: str, tmp_path: Path
) -> None:
    lessor = cli_runner(database_url, tmp_path)
    assert lessor("terms", "show").out.strip() == "no terms published"

    done = lessor("terms", "publish", "2027-01", "--summary", "Yearly review")
    assert done.code == 0, done.err
    assert lessor("terms", "show").out.strip() == "terms version 2027-01"
    again = lessor("terms", "publish", "2027-01")
    assert again.code == 2
    assert len(again.err.strip().splitlines()) == 1, again.err
    assert quote(api, shop.admin, plan)["terms_version"] == "2027-01"


def test_terms_are_created_then_versioned_and_a_version_is_a_plain_label(
    api: TestClient, shop: Shop, container: Container
) -> None:
    first = publish(api, shop.operator, "0")
    assert first.status_code == 201, first.text  # the first version creates the terms
    nxt = publish(api, shop.operator, "1")
    assert nxt.status_code == 200, nxt.text  # later ones change them
    before = head(container)
    for odd in ("+0.0", "\U0001f3fb", "1.", "(1)"):
        assert_problem(publish(api, shop.operator, odd), 422, "invalid-value")
    assert_problem(publish(api, shop.operator, "０"), 409, "rule-violation")  # "0" again
    assert head(container) == before
    assert api.get("/v1/terms", headers=auth(shop.admin)).json()["versions"] == ["0", "1"]
