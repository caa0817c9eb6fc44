"""A device's life over HTTP: register, read, assign, unassign; the overview and the event log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import T0, issue_token
from tests.e2e._http import (
    TestClient,
    World,
    auth,
    collect_pages,
    device_body,
    head,
    position,
    recorded_actor,
    token_id,
)


def utc(delta: timedelta = timedelta()) -> str:
    """How the API writes business instants: fixed-width UTC text."""
    return (T0 + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_device_journey(
    api: TestClient, world: World, container: Container, clock: FixedClock
) -> None:
    a = world.a
    member = api.post(
        "/v1/members",
        json={"name": "Maja Mobil", "email": "Maja.Mobil@A.example"},
        headers=auth(a.admin),
    )
    assert member.status_code == 201, member.text
    maja = member.json()["id"]
    assert member.json()["email"] == "maja.mobil@a.example"
    maja_token = issue_token(container, Role.EMPLOYEE, UUID(a.company_id), UUID(maja))

    # 09:00 — the admin registers a leased laptop.
    registered = api.post(
        "/v1/devices",
        json=device_body(
            " SN-JOURNEY-1 ",
            category="Laptop",
            contract_type="leased",
            lease_start="2026-01-15",
            renewal_date="2029-01-15",
            amount="14500.50",
        ),
        headers=auth(a.admin),
    )
    assert registered.status_code == 201, registered.text
    device = registered.json()
    device_id = device["id"]
    assert registered.headers["Location"] == f"/v1/devices/{device_id}"
    assert device == {
        "id": device_id,
        "company_id": a.company_id,
        "serial": "SN-JOURNEY-1",
        "model": "ThinkPad T14",
        "category": "laptop",
        "company_cost": {"amount": "14500.50", "currency": "SEK", "minor": 1450050},
        "contract_type": "leased",
        "lease_start": "2026-01-15",
        "renewal_date": "2029-01-15",
        "replacement_for": None,
        "status": "in_stock",
        "assignee_id": None,
        "received": True,
        "replacement_id": None,
        "end_of_lease": {
            "phase": "none",
            "preliminary_choice": None,
            "final_decision": None,
            "overdue": False,
        },
        "buyout_available": True,
        "checkout_url": None,  # no buyout payment open
        "manual_buyout_price": None,
        "rental_active": False,
        "version": 1,
    }
    read = api.get(registered.headers["Location"], headers=auth(a.service))
    assert read.status_code == 200
    assert read.json() == device
    # Not Maja's (yet): she cannot see it.
    assert api.get(f"/v1/devices/{device_id}", headers=auth(maja_token)).status_code == 404

    # 10:00 — the service account hands it to Maja.
    clock.advance(timedelta(hours=1))
    assigned = api.post(
        f"/v1/devices/{device_id}/assign",
        json={"member_id": maja, "expected_version": 1},
        headers={**auth(a.service), "X-Correlation-Id": "journey-assign"},
    )
    assert assigned.status_code == 200, assigned.text
    assert "Location" not in assigned.headers
    assert assigned.json()["status"] == "active"
    assert assigned.json()["assignee_id"] == maja
    assert assigned.json()["version"] == 2
    assert position(assigned) > position(registered)

    row = _overview_row(api, a.admin, device_id, position(assigned))
    assert row["status"] == "active"
    assert row["assignee"] == {"member_id": maja, "name": "Maja Mobil"}
    assert row["version"] == 2
    assert row["registered_at"] == utc()
    assert row["renewal_date"] == "2029-01-15"
    assert row["lease_start"] == "2026-01-15"
    assert row["company_cost"] == {"amount": "14500.50", "currency": "SEK", "minor": 1450050}
    assert (row["serial"], row["category"], row["contract_type"]) == (
        "SN-JOURNEY-1",
        "laptop",
        "leased",
    )
    # Now it is hers: she reads it and finds it in her overview.
    assert api.get(f"/v1/devices/{device_id}", headers=auth(maja_token)).json() == assigned.json()
    mine = collect_pages(api, "/v1/devices", maja_token, min_position=position(assigned))
    assert [d["device_id"] for d in mine] == [device_id]

    # Next day 10:00 — the admin takes it back.
    clock.advance(timedelta(days=1))
    unassigned = api.post(
        f"/v1/devices/{device_id}/unassign", json={"expected_version": 2}, headers=auth(a.admin)
    )
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["status"] == "in_stock"
    assert unassigned.json()["assignee_id"] is None
    assert unassigned.json()["version"] == 3

    row = _overview_row(api, a.admin, device_id, position(unassigned))
    assert row["status"] == "in_stock"
    assert row["assignee"] is None
    assert row["version"] == 3
    assert api.get(f"/v1/devices/{device_id}", headers=auth(maja_token)).status_code == 404

    # The device's event log: what, when (business time), by whom, details.
    log = api.get(
        f"/v1/devices/{device_id}/events",
        params={"min_position": position(unassigned)},
        headers=auth(a.admin),
    )
    assert log.status_code == 200, log.text
    events = log.json()["items"]
    assert log.json()["next_cursor"] is None
    assert [e["operation"] for e in events] == [
        "Device.Registered",
        "Device.Assigned",
        "Device.Unassigned",
    ]
    assert [e["occurred_at"] for e in events] == [
        utc(),
        utc(timedelta(hours=1)),
        utc(timedelta(days=1, hours=1)),
    ]
    assert [recorded_actor(e) for e in events] == [
        {"id": token_id(a.admin), "role": "admin"},
        {"id": token_id(a.service), "role": "service"},
        {"id": token_id(a.admin), "role": "admin"},
    ]
    assert [e["aggregate_version"] for e in events] == [1, 2, 3]
    assert {e["aggregate_id"] for e in events} == {device_id}
    assert {e["aggregate_type"] for e in events} == {"Device"}
    assert {e["company_id"] for e in events} == {a.company_id}
    assert events[1]["correlation_id"] == "journey-assign"
    assert len({e["correlation_id"] for e in events}) == 3
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    assert positions[-1] <= position(unassigned)
    assert events[0]["details"]["serial"] == "SN-JOURNEY-1"
    assert events[0]["details"]["renewal_date"] == "2029-01-15"
    assert events[0]["details"]["company_cost"] == {
        "amount": "14500.50",
        "currency": "SEK",
        "minor": 1450050,
    }
    assert events[1]["details"] == {"member_id": maja}
    assert events[2]["details"] == {"member_id": maja}

    # The same events through the company-wide event log and its filters.
    def log_of(**params: Any) -> list[str]:
        items = collect_pages(
            api,
            "/v1/event-log",
            a.admin,
            {"aggregate_id": device_id, **params},
            min_position=position(unassigned),
        )
        return [e["operation"] for e in items]

    assert log_of() == [e["operation"] for e in events]
    assert log_of(operation="Device.Assigned") == ["Device.Assigned"]
    assert log_of(aggregate_type="Device") == [e["operation"] for e in events]
    assert log_of(aggregate_type="Member") == []
    assert log_of(actor_id=token_id(a.service)) == ["Device.Assigned"]
    assert log_of(occurred_to=utc(timedelta(hours=1))) == ["Device.Registered"]
    assert log_of(occurred_from=utc(timedelta(hours=1))) == [
        "Device.Assigned",
        "Device.Unassigned",
    ]
    assert log_of(
        occurred_from=utc(timedelta(minutes=1)), occurred_to=utc(timedelta(days=1, hours=1))
    ) == ["Device.Assigned"]
    # An offset other than UTC names the same instant.
    assert log_of(occurred_from="2026-03-02T12:00:00+01:00") == ["Device.Unassigned"]
    maja_ops = collect_pages(api, "/v1/event-log", a.admin, {"aggregate_id": maja})
    assert [e["operation"] for e in maja_ops] == ["Member.Registered"]


def _overview_row(api: TestClient, secret: str, device_id: str, at: int) -> dict[str, Any]:
    rows = [
        row
        for row in collect_pages(api, "/v1/devices", secret, min_position=at)
        if row["device_id"] == device_id
    ]
    assert len(rows) == 1, rows
    return rows[0]


def test_overview_pagination_walks_every_device_once(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    for n in range(7):
        response = api.post("/v1/devices", json=device_body(f"SN-PAGE-{n}"), headers=auth(a.admin))
        assert response.status_code == 201
    at = head(container)
    everything = api.get(
        "/v1/devices", params={"min_position": at, "limit": 500}, headers=auth(a.admin)
    ).json()
    assert everything["next_cursor"] is None
    assert len(everything["items"]) == 10

    for limit in (1, 3, 4, 5, 10, 11):
        pages: list[list[str]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            page = api.get("/v1/devices", params=params, headers=auth(a.admin)).json()
            assert len(page["items"]) <= limit
            pages.append([d["device_id"] for d in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert len(page["items"]) == limit  # a short page is always the last
        walked = [device for page in pages for device in page]
        assert walked == [d["device_id"] for d in everything["items"]], limit
        assert len(pages) == max(1, -(-10 // limit)), (limit, pages)  # no empty trailing page


def test_event_log_pagination_walks_every_event_once(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    device = a.device_in_stock
    for _ in range(3):  # six more events on one device
        assert (
            api.post(
                f"/v1/devices/{device}/assign",
                json={"member_id": a.employee_member},
                headers=auth(a.admin),
            ).status_code
            == 200
        )
        assert (
            api.post(f"/v1/devices/{device}/unassign", json={}, headers=auth(a.admin)).status_code
            == 200
        )
    at = head(container)

    whole = api.get(
        "/v1/event-log", params={"limit": 500, "min_position": at}, headers=auth(a.admin)
    ).json()
    assert whole["next_cursor"] is None
    expected = [e["position"] for e in whole["items"]]
    assert expected == sorted(set(expected))
    assert len(expected) > 10
    for limit in (1, 4, 7):
        walked = [
            e["position"] for e in collect_pages(api, "/v1/event-log", a.admin, {"limit": limit})
        ]
        assert walked == expected, limit

    first = api.get(
        f"/v1/devices/{device}/events", params={"limit": 3}, headers=auth(a.admin)
    ).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"] == first["items"][-1]["position"]
    device_events = collect_pages(api, f"/v1/devices/{device}/events", a.admin, {"limit": 2})
    assert [e["aggregate_version"] for e in device_events] == list(range(1, 8))
    assert [e["operation"] for e in device_events] == ["Device.Registered"] + [
        "Device.Assigned",
        "Device.Unassigned",
    ] * 3


def test_overview_filters(api: TestClient, world: World, container: Container) -> None:
    a = world.a
    extra = {
        "laptop-2027-06-30": device_body(
            "SN-F1",
            category="laptop",
            contract_type="leased",
            lease_start="2024-06-30",
            renewal_date="2027-06-30",
        ),
        "phone-2027-07-01": device_body(
            "SN-F2",
            category="Phone",
            contract_type="leased",
            lease_start="2024-07-01",
            renewal_date="2027-07-01",
        ),
        "phone-2028-01-01": device_body(
            "SN-F3",
            category="phone",
            contract_type="leased",
            lease_start="2025-01-01",
            renewal_date="2028-01-01",
        ),
        "monitor": device_body("SN-F4", category="monitor", contract_type="purchased"),
        "headset": device_body("SN-F5", category="headset", contract_type="rental"),
    }
    ids = {}
    for name, body in extra.items():
        response = api.post("/v1/devices", json=body, headers=auth(a.admin))
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    given = api.post(
        f"/v1/devices/{ids['phone-2028-01-01']}/assign",
        json={"member_id": a.other_employee_member},
        headers=auth(a.admin),
    )
    assert given.status_code == 200
    at = position(given)

    def found(**params: Any) -> set[str]:
        return {
            d["device_id"]
            for d in collect_pages(api, "/v1/devices", a.admin, params, min_position=at)
        }

    world_laptops = set(a.device_ids)
    assert found(status="active") == {
        a.device_of_employee,
        a.device_of_other_employee,
        ids["phone-2028-01-01"],
    }
    assert found(status="in_stock") == {
        a.device_in_stock,
        ids["laptop-2027-06-30"],
        ids["phone-2027-07-01"],
        ids["monitor"],
        ids["headset"],
    }
    assert found(status="returned") == set()
    assert found(category="phone") == {ids["phone-2027-07-01"], ids["phone-2028-01-01"]}
    assert found(category="PHONE") == found(category="phone")
    assert found(category="laptop") == world_laptops | {ids["laptop-2027-06-30"]}
    assert found(category="tablet") == set()
    assert found(contract_type="leased") == {
        ids["laptop-2027-06-30"],
        ids["phone-2027-07-01"],
        ids["phone-2028-01-01"],
    }
    assert found(contract_type="rental") == {ids["headset"]}
    assert found(contract_type="purchased") == world_laptops | {ids["monitor"]}
    # Renewal range: from inclusive, to exclusive.
    assert found(renewal_from="2027-07-01") == {ids["phone-2027-07-01"], ids["phone-2028-01-01"]}
    assert found(renewal_to="2027-07-01") == {ids["laptop-2027-06-30"]}
    assert found(renewal_from="2027-07-01", renewal_to="2028-01-01") == {ids["phone-2027-07-01"]}
    assert found(renewal_from="2027-06-30", renewal_to="2027-07-01") == {ids["laptop-2027-06-30"]}
    assert found(renewal_from="2028-01-02") == set()
    # Combined filters narrow each other.
    assert found(category="phone", status="active") == {ids["phone-2028-01-01"]}
    assert found(category="phone", renewal_to="2028-01-01") == {ids["phone-2027-07-01"]}
    assert found(assignee_id=a.other_employee_member) == {
        a.device_of_other_employee,
        ids["phone-2028-01-01"],
    }
    assert found(assignee_id=a.other_employee_member, category="laptop") == {
        a.device_of_other_employee
    }
    assert found(serial="SN-F4") == {ids["monitor"]}
    assert found(serial="SN-F") == set()
    # Each row carries what the filters match on.
    rows = collect_pages(api, "/v1/devices", a.admin, {"serial": "SN-F2"}, min_position=at)
    assert rows[0]["category"] == "phone"
    assert rows[0]["renewal_date"] == "2027-07-01"
    assert rows[0]["assignee"] is None
    assert head(container) >= at
