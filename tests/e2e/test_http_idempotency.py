"""Idempotency-Key over HTTP (SPEC §7.1): a retried POST is answered, not repeated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    collect_pages,
    device_body,
    head,
    position,
    subscription_body,
)

REPLAYED = "Idempotent-Replayed"

# name -> (token chooser, path, body, status of the first answer)
POSTS: dict[
    str, tuple[Callable[[World], str], Callable[[World], str], Callable[[World], Any], int]
] = {
    "register-company": (
        lambda w: w.operator,
        lambda w: "/v1/companies",
        lambda w: {"name": "Retry AB", "currency": "SEK", "vat_rate": "25"},
        201,
    ),
    "register-member": (
        lambda w: w.a.admin,
        lambda w: "/v1/members",
        lambda w: {"name": "Rita Retry", "email": "rita@a.example"},
        201,
    ),
    "register-device": (
        lambda w: w.a.service,
        lambda w: "/v1/devices",
        lambda w: device_body("SN-RETRY", category="phone"),
        201,
    ),
    "buy-subscription": (
        lambda w: w.a.admin,
        lambda w: "/v1/subscriptions",
        lambda w: subscription_body(w.plan, w.option, start_date="2026-02-01", term="monthly"),
        201,
    ),
    "add-seats": (
        lambda w: w.a.service,
        lambda w: f"/v1/subscriptions/{w.a.subscription}/seats",
        lambda w: {"product_id": w.option, "seats": 3},
        200,
    ),
    "assign-device": (
        lambda w: w.a.admin,
        lambda w: f"/v1/devices/{w.a.device_in_stock}/assign",
        lambda w: {"member_id": w.a.employee_member},
        200,
    ),
    "unassign-device": (
        lambda w: w.a.service,
        lambda w: f"/v1/devices/{w.a.device_of_employee}/unassign",
        lambda w: {"expected_version": 2},
        200,
    ),
    "last-employment-day": (
        lambda w: w.a.admin,
        lambda w: f"/v1/members/{w.a.employee_member}/last-employment-day",
        lambda w: {"last_employment_day": "2026-08-31"},
        200,
    ),
}


@pytest.mark.parametrize("name", list(POSTS))
def test_same_key_same_body_is_answered_once_and_recorded_once(
    api: TestClient, world: World, container: Container, name: str
) -> None:
    token_of, path_of, body_of, status = POSTS[name]
    secret, path, body = token_of(world), path_of(world), body_of(world)
    headers = {**auth(secret), "Idempotency-Key": f"retry-{name}"}

    before = head(container)
    first = api.post(path, json=body, headers=headers)
    assert first.status_code == status, first.text
    assert REPLAYED not in first.headers
    after_first = head(container)

    # The retry: same key, same JSON (keys in another order, other whitespace).
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    retries = [
        api.post(path, json=body, headers=headers),
        api.post(path, content=reordered, headers={**headers, "Content-Type": "application/json"}),
    ]
    for retry in retries:
        assert retry.status_code == status, retry.text
        assert retry.headers[REPLAYED] == "true"
        assert retry.content == first.content  # byte for byte the same resource body
        assert position(retry) >= position(first)
        if status == 201:
            assert retry.headers["Location"] == first.headers["Location"]
    assert head(container) == after_first, "a replay wrote events"

    # One set of events for the request, however often it was sent: all of them written
    # by the first request (one correlation id), none by the retries.
    events = collect_pages(
        api,
        "/v1/event-log",
        world.operator,
        {"aggregate_id": first.json()["id"], "cursor": before},
        min_position=position(retries[-1]),
    )
    assert events, "the first request recorded nothing"
    assert all(e["position"] <= position(first) for e in events), events
    assert len({e["correlation_id"] for e in events}) == 1, events
    if name != "buy-subscription":
        assert len(events) == 1, events


def test_same_key_different_body_is_422_and_writes_nothing(
    api: TestClient, world: World, container: Container
) -> None:
    headers = {**auth(world.a.admin), "Idempotency-Key": "one-key"}
    first = api.post("/v1/devices", json=device_body("SN-K1"), headers=headers)
    assert first.status_code == 201, first.text
    before = head(container)

    other_body = api.post("/v1/devices", json=device_body("SN-K2"), headers=headers)
    problem = assert_problem(other_body, 422, "invalid-value")
    assert "Idempotency-Key" in problem["detail"]
    other_route = api.post(
        f"/v1/devices/{world.a.device_in_stock}/assign",
        json={"member_id": world.a.employee_member},
        headers=headers,
    )
    assert_problem(other_route, 422, "invalid-value")
    assert head(container) == before
    serials = {
        d["serial"]
        for d in collect_pages(api, "/v1/devices", world.a.admin, min_position=position(first))
    }
    assert "SN-K1" in serials
    assert "SN-K2" not in serials


def test_the_key_is_scoped_to_the_token(
    api: TestClient, world: World, container: Container
) -> None:
    body = {"name": "Twin AB", "currency": "SEK"}
    second_operator = issue_token(container, Role.OPERATOR)
    first = api.post(
        "/v1/companies", json=body, headers={**auth(world.operator), "Idempotency-Key": "k"}
    )
    second = api.post(
        "/v1/companies", json=body, headers={**auth(second_operator), "Idempotency-Key": "k"}
    )
    assert first.status_code == second.status_code == 201
    assert REPLAYED not in second.headers
    assert first.json()["id"] != second.json()["id"]

    # Two tenants' admins, same key, same body: a device each, in their own company.
    same = device_body("SN-SHARED-KEY", currency="SEK")
    in_a = api.post(
        "/v1/devices", json=same, headers={**auth(world.a.admin), "Idempotency-Key": "k"}
    )
    same_b = device_body("SN-SHARED-KEY", currency="EUR")
    in_b = api.post(
        "/v1/devices", json=same_b, headers={**auth(world.b.admin), "Idempotency-Key": "k"}
    )
    assert in_a.status_code == in_b.status_code == 201
    assert in_a.json()["company_id"] == world.a.company_id
    assert in_b.json()["company_id"] == world.b.company_id

    # A's service account reusing A's admin's key is a new request too, not a replay.
    by_service = api.post(
        "/v1/devices",
        json=device_body("SN-SERVICE-KEY"),
        headers={**auth(world.a.service), "Idempotency-Key": "k"},
    )
    assert by_service.status_code == 201, by_service.text
    assert REPLAYED not in by_service.headers


def test_a_refused_request_is_not_remembered(
    api: TestClient, world: World, container: Container
) -> None:
    """A 409 under a key records nothing: after fixing the state, the same request succeeds."""
    path = f"/v1/devices/{world.a.device_of_employee}/assign"
    headers = {**auth(world.a.admin), "Idempotency-Key": "assign-to-erik"}
    body = {"member_id": world.a.other_employee_member}
    assert_problem(api.post(path, json=body, headers=headers), 409, "rule-violation")

    freed = api.post(
        f"/v1/devices/{world.a.device_of_employee}/unassign", json={}, headers=auth(world.a.admin)
    )
    assert freed.status_code == 200
    retried = api.post(path, json=body, headers=headers)
    assert retried.status_code == 200, retried.text
    assert REPLAYED not in retried.headers
    assert retried.json()["assignee_id"] == world.a.other_employee_member


def test_a_replay_answers_the_original_version_after_later_changes(
    api: TestClient, world: World
) -> None:
    path = f"/v1/devices/{world.a.device_in_stock}/assign"
    headers = {**auth(world.a.admin), "Idempotency-Key": "assign-eva"}
    body = {"member_id": world.a.employee_member}
    first = api.post(path, json=body, headers=headers)
    assert first.status_code == 200
    later = api.post(
        f"/v1/devices/{world.a.device_in_stock}/unassign", json={}, headers=auth(world.a.admin)
    )
    assert later.json()["version"] == 3
    replay = api.post(path, json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.headers[REPLAYED] == "true"
    assert replay.json() == first.json()
    assert replay.json()["version"] == 2
    now = api.get(f"/v1/devices/{world.a.device_in_stock}", headers=auth(world.a.admin)).json()
    assert now["assignee_id"] is None  # the replay did not assign it again


def test_a_replayed_registration_does_not_trip_the_serial_claim(
    api: TestClient, world: World, container: Container
) -> None:
    body = device_body("SN-ONCE")
    first = api.post(
        "/v1/devices", json=body, headers={**auth(world.a.admin), "Idempotency-Key": "a"}
    )
    replay = api.post(
        "/v1/devices", json=body, headers={**auth(world.a.admin), "Idempotency-Key": "a"}
    )
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json()["id"] == first.json()["id"]
    # A different key is a different request: the serial is taken.
    before = head(container)
    other = api.post(
        "/v1/devices", json=body, headers={**auth(world.a.admin), "Idempotency-Key": "b"}
    )
    assert_problem(other, 409, "rule-violation")
    assert head(container) == before
    devices = collect_pages(
        api, "/v1/devices", world.a.admin, {"serial": "SN-ONCE"}, min_position=position(replay)
    )
    assert [d["device_id"] for d in devices] == [first.json()["id"]]
    assert UUID(first.json()["id"])
