"""The event log as the audit trail shows it: operation, when, who, and readable details."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e._http import TestClient, World, collect_pages

# A Python repr such as "SeatLine(product_id=UUID('…'), …)" or "Money(minor=1, …)".
PYTHON_REPR = re.compile(r"\b[A-Z][A-Za-z]*\((?:[a-z_]+=|'|\d)")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_event_details_are_plain_json_never_python_reprs(api: TestClient, world: World) -> None:
    """Details are for people and clients: JSON objects, not str() of internal classes."""
    items = collect_pages(api, "/v1/event-log", world.operator, {"limit": 500})
    operations = {i["operation"] for i in items}
    assert {"Device.Registered", "Subscription.Created"} <= operations, operations
    leaks = [
        (item["operation"], text)
        for item in items
        for text in _strings(item["details"])
        if PYTHON_REPR.search(text)
    ]
    assert leaks == [], leaks[:3]


def test_every_event_names_who_when_and_the_tenant(api: TestClient, world: World) -> None:
    items = collect_pages(api, "/v1/event-log", world.operator, {"limit": 500})
    assert items
    positions = [i["position"] for i in items]
    assert positions == sorted(set(positions))
    for item in items:
        assert item["actor"]["id"]
        assert item["actor"]["role"] in {"operator", "admin", "service", "employee", "system"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", item["occurred_at"])
        assert item["correlation_id"]
        assert item["operation"].startswith(item["aggregate_type"] + ".")
        assert "token_hash" not in item["details"]
    tenants = {i["company_id"] for i in items}
    assert {world.a.company_id, world.b.company_id} <= tenants
