"""Management rights end to end (SPEC §3, seed 004, ADR 0031): the operator limits a company
over HTTP and through `lessor companies set-rights`; its admin is refused what the right does
not cover (403 naming it), the operator is not; the overview and the event log show it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import Container
from tests.e2e._cli import cli_runner
from tests.e2e._http import TestClient, assert_problem, auth, collect_pages, head
from tests.e2e._subscriptions import (
    Shop,
    add_product,
    buy,
    command,
    line_of,
    ok,
    open_shop,
    overview_of,
)


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    return open_shop(api, container, employees=1)


@pytest.fixture
def plan(api: TestClient, shop: Shop) -> str:
    return add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})


def set_right(api: TestClient, secret: str, company_id: str, right: Any) -> Any:
    return api.patch(
        f"/v1/companies/{company_id}", json={"management_right": right}, headers=auth(secret)
    )


def seats(api: TestClient, secret: str, sub: str, plan: str, n: int = 1) -> Any:
    return command(api, secret, sub, "seats", {"product_id": plan, "seats": n})


def test_an_operator_limits_a_company_to_monthly_licences_and_still_adds_seats_himself(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    monthly = buy(api, shop.admin, [(plan, 2)], start_date="2026-03-02", term="monthly").json()
    three_years = buy(api, shop.admin, [(plan, 2)], start_date="2026-03-02", term="3y").json()
    company = ok(api.get(f"/v1/companies/{shop.company_id}", headers=auth(shop.admin)))
    assert company["management_right"] == "full"  # the default

    changed = ok(set_right(api, shop.operator, shop.company_id, "monthly_only"))
    assert changed["management_right"] == "monthly_only"

    assert line_of(ok(seats(api, shop.admin, monthly["id"], plan)), plan)["seats"] == 3
    before = head(container)
    refused = assert_problem(seats(api, shop.admin, three_years["id"], plan), 403, "forbidden")
    assert "'monthly_only'" in refused["detail"]
    assert "'increase_only' or 'full'" in refused["detail"]
    assert head(container) == before
    assert_problem(seats(api, shop.service, three_years["id"], plan), 403, "forbidden")
    assert line_of(ok(seats(api, shop.operator, three_years["id"], plan)), plan)["seats"] == 3

    shown = overview_of(api, container, shop.admin, three_years["id"])
    assert (shown["management_right"], line_of(shown, plan)["seats"]) == ("monthly_only", 3)
    logged = collect_pages(
        api,
        "/v1/event-log",
        shop.admin,
        {"operation": "Company.ManagementRightGranted"},
        min_position=head(container),
    )
    assert [(e["details"]["right"], e["actor"]["role"]) for e in logged] == [
        ("monthly_only", "operator")
    ]


def test_a_company_cannot_grant_itself_rights_and_an_unknown_right_is_bad_input(
    api: TestClient, container: Container, shop: Shop
) -> None:
    assert ok(set_right(api, shop.operator, shop.company_id, "none"))["management_right"] == "none"
    before = head(container)

    assert_problem(set_right(api, shop.admin, shop.company_id, "full"), 403, "forbidden")
    assert set_right(api, shop.operator, shop.company_id, "everything").status_code == 422
    assert set_right(api, shop.operator, shop.company_id, 3).status_code == 422

    assert head(container) == before
    company = ok(api.get(f"/v1/companies/{shop.company_id}", headers=auth(shop.admin)))
    assert company["management_right"] == "none"


def test_the_cli_sets_a_companys_right_and_refuses_an_unknown_one(
    api: TestClient,
    container: Container,
    shop: Shop,
    plan: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    lessor = cli_runner(database_url, tmp_path)
    monthly = buy(api, shop.admin, [(plan, 2)], start_date="2026-03-02", term="monthly").json()

    done = lessor("companies", "set-rights", shop.company_id, "none")
    assert done.code == 0, done.err
    assert "management right none" in done.out
    assert_problem(seats(api, shop.admin, monthly["id"], plan), 403, "forbidden")

    before = head(container)
    bad = lessor("companies", "set-rights", shop.company_id, "everything")
    assert bad.code == 2
    assert len(bad.err.strip().splitlines()) == 1, bad.err
    assert head(container) == before

    assert lessor("companies", "set-rights", shop.company_id, "monthly_only").code == 0
    assert line_of(ok(seats(api, shop.admin, monthly["id"], plan)), plan)["seats"] == 3
