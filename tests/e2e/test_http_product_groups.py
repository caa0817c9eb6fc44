"""Product groups and deployed devices on the subscription overview (SPEC §3, seed 001):
services, options, applications and custom (free, granted by the provider) products; the
company's devices in use shown beside the seats."""

from __future__ import annotations

from api.bootstrap import Container
from tests.e2e._http import (
    TestClient,
    assert_problem,
    assign,
    auth,
    device_body,
    head,
    register_device,
)
from tests.e2e._subscriptions import add_product, buy, open_shop, overview_of


def test_the_overview_groups_products_and_shows_the_devices_in_use_beside_the_seats(
    api: TestClient, container: Container
) -> None:
    shop = open_shop(api, container, employees=2)
    op = shop.operator
    plan = add_product(api, op, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
    backup = add_product(api, op, "BK", "Backup", "option", {"SEK": "15.00"})
    office = add_product(api, op, "OF", "Office", "application", {"SEK": "99.00"})
    support = add_product(api, op, "VIP", "VIP support", "custom", {"SEK": "0.00"})
    priced = api.post(
        "/v1/catalog/products",
        json={"code": "X", "name": "Not free", "kind": "custom", "prices": {"SEK": "1.00"}},
        headers=auth(op),
    )
    assert_problem(priced, 422, "invalid-value")

    lines = [(plan, 3), (backup, 2), (office, 1)]
    bought = buy(api, shop.admin, lines, start_date="2026-03-02", term="monthly").json()
    before = head(container)
    body = {
        "lines": [{"product_id": support, "seats": 2}],
        "start_date": "2026-03-02",
        "term": "monthly",
    }
    refused = api.post("/v1/subscriptions", json=body, headers=auth(shop.admin))
    assert "granted by the provider" in assert_problem(refused, 403, "forbidden")["detail"]
    assert head(container) == before
    granted = api.post(
        "/v1/subscriptions", json={**body, "company_id": shop.company_id}, headers=auth(op)
    )
    assert granted.status_code == 201, granted.text

    for i, member in enumerate(shop.employees):
        device = register_device(
            api, shop.admin, device_body(f"SN-GRP-{i}", company_id=shop.company_id)
        )
        assign(api, shop.admin, device, member)
    register_device(api, shop.admin, device_body("SN-GRP-STOCK", company_id=shop.company_id))

    shown = overview_of(api, container, shop.admin, bought["id"])
    assert shown["deployed_devices"] == 2  # the one in stock is not deployed
    assert [(g["group"], g["seats"]) for g in shown["groups"]] == [
        ("service", 3),
        ("option", 2),
        ("application", 1),
    ]
    free = overview_of(api, container, shop.admin, granted.json()["id"])
    assert [(g["group"], g["seats"]) for g in free["groups"]] == [("custom", 2)]
    assert {line["group"] for line in free["lines"]} == {"custom"}
