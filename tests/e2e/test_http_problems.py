"""Every error is an RFC 9457 problem+json with type, title, status and detail (SPEC §7.1)."""

from __future__ import annotations

from uuid import uuid4

from api.bootstrap import Container
from api.settings import Settings
from tests.e2e._http import (
    PROBLEM_TYPE_BASE,
    TestClient,
    World,
    assert_problem,
    auth,
    device_body,
    head,
)


def test_401_problem(api: TestClient) -> None:
    response = api.get("/v1/devices")
    body = assert_problem(response, 401, "unauthorized")
    assert body["title"] == "Unauthorized"
    assert body["instance"] == "/v1/devices"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_403_problem(api: TestClient, world: World) -> None:
    response = api.patch(
        f"/v1/companies/{world.a.company_id}", json={"name": "x"}, headers=auth(world.a.service)
    )
    body = assert_problem(response, 403, "forbidden")
    assert body["title"] == "Forbidden"
    assert "service" in body["detail"]


def test_404_problems(api: TestClient, world: World) -> None:
    missing = api.get(f"/v1/devices/{uuid4()}", headers=auth(world.a.admin))
    body = assert_problem(missing, 404, "not-found")
    assert body["detail"] == "Device not found."
    no_route = api.get("/v1/no-such-thing", headers=auth(world.a.admin))
    assert_problem(no_route, 404)


def test_405_problem(api: TestClient, world: World) -> None:
    response = api.delete(f"/v1/devices/{world.a.device_in_stock}", headers=auth(world.a.admin))
    assert_problem(response, 405)


def test_409_rule_conflict_assigning_an_assigned_device(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)
    response = api.post(
        f"/v1/devices/{world.a.device_of_employee}/assign",
        json={"member_id": world.a.other_employee_member},
        headers=auth(world.a.admin),
    )
    body = assert_problem(response, 409, "rule-violation")
    assert "unassign it first" in body["detail"]
    assert "current_version" not in body
    assert head(container) == before


def test_409_duplicate_serial(api: TestClient, world: World, container: Container) -> None:
    before = head(container)
    response = api.post(
        "/v1/devices", json=device_body(world.a.serials[0]), headers=auth(world.a.admin)
    )
    body = assert_problem(response, 409, "rule-violation")
    assert body["title"] == "Already exists"
    assert world.a.serials[0] in body["detail"]
    assert head(container) == before


def test_409_stale_expected_version_carries_current_version(
    api: TestClient, world: World, container: Container
) -> None:
    device = f"/v1/devices/{world.a.device_of_employee}"
    current = api.get(device, headers=auth(world.a.admin)).json()["version"]
    assert current == 2  # registered, assigned
    cases = [
        ("POST", f"{device}/unassign", {"expected_version": 1}, current),
        (
            "POST",
            f"/v1/devices/{world.a.device_in_stock}/assign",
            {"member_id": world.a.employee_member, "expected_version": 7},
            1,
        ),
        ("PATCH", f"/v1/companies/{world.a.company_id}", {"name": "N", "expected_version": 2}, 1),
        (
            "POST",
            f"/v1/members/{world.a.employee_member}/last-employment-day",
            {"last_employment_day": "2026-12-31", "expected_version": 3},
            1,
        ),
    ]
    for method, path, body, current_version in cases:
        before = head(container)
        response = api.request(method, path, json=body, headers=auth(world.a.admin))
        problem = assert_problem(response, 409, "version-conflict")
        assert problem["title"] == "Version conflict"
        assert problem["current_version"] == current_version, (path, problem)
        assert head(container) == before, path

    # With the version the caller read, the same command goes through.
    ok = api.post(
        f"{device}/unassign", json={"expected_version": current}, headers=auth(world.a.admin)
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == current + 1
    again = api.post(
        f"{device}/assign",
        json={"member_id": world.a.employee_member, "expected_version": current},
        headers=auth(world.a.admin),
    )
    assert assert_problem(again, 409, "version-conflict")["current_version"] == current + 1


def test_413_problem(api: TestClient, world: World, settings: Settings) -> None:
    body = device_body("SN-BIG", model="x" * (settings.max_body_bytes + 1))
    response = api.post("/v1/devices", json=body, headers=auth(world.a.admin))
    problem = assert_problem(response, 413, "payload-too-large")
    assert str(settings.max_body_bytes) in problem["detail"]


def test_422_problem_names_each_bad_field(api: TestClient, world: World) -> None:
    response = api.post(
        "/v1/devices",
        json={"serial": "", "model": "M", "category": "laptop", "contract_type": "borrowed"},
        headers=auth(world.a.admin),
    )
    problem = assert_problem(response, 422, "validation")
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.serial", "body.contract_type", "body.company_cost"} <= fields
    for error in problem["errors"]:
        assert set(error) == {"field", "message", "type"}
        assert error["message"]
    assert problem["type"].startswith(PROBLEM_TYPE_BASE)
