"""ETag and If-Match (RFC 9110 §8.8.3, §13.1.1; docs/adr/0004): every resource answer carries
its version as a strong ETag, a command sent with it as If-Match goes through while it is
current and answers 412 once it is stale; the body's expected_version still answers 409."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.bootstrap import Container
from api.http.preconditions import versioned_context
from api.http.schemas import Versioned
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    device_body,
    head,
)

REPLAYED = "Idempotent-Replayed"


def etag_of(response: httpx.Response) -> str:
    """The ETag, which must name the version the body shows."""
    etag = response.headers["ETag"]
    assert etag == f'"{response.json()["version"]}"', (etag, response.text[:300])
    return etag


def test_every_read_of_one_resource_carries_its_version_as_a_strong_etag(
    api: TestClient, world: World
) -> None:
    a = world.a
    for path, secret in [
        (f"/v1/devices/{a.device_of_employee}", a.admin),
        (f"/v1/devices/{a.device_of_employee}", a.employee),
        (f"/v1/members/{a.employee_member}", a.admin),
        (f"/v1/companies/{a.company_id}", a.admin),
        (f"/v1/catalog/products/{world.plan}", a.service),
        (f"/v1/subscriptions/{a.subscription}", a.admin),
    ]:
        response = api.get(path, headers=auth(secret))
        assert response.status_code == 200, response.text
        assert not etag_of(response).startswith("W/"), path


def test_every_command_answer_carries_the_etag_of_the_version_it_reached(
    api: TestClient, world: World
) -> None:
    a = world.a
    registered = api.post("/v1/devices", json=device_body("SN-ETAG"), headers=auth(a.admin))
    assert registered.status_code == 201, registered.text
    assert etag_of(registered) == '"1"'
    device = registered.json()["id"]

    assigned = api.post(
        f"/v1/devices/{device}/assign",
        json={"member_id": a.employee_member},
        headers=auth(a.admin),
    )
    assert assigned.status_code == 200, assigned.text
    assert etag_of(assigned) == '"2"'
    assert api.get(f"/v1/devices/{device}", headers=auth(a.admin)).headers["ETag"] == '"2"'

    for response in [
        api.post(
            f"/v1/subscriptions/{a.subscription}/po-reference",
            json={"po_reference": "PO-ETAG"},
            headers=auth(a.admin),
        ),
        api.patch(f"/v1/companies/{a.company_id}", json={"name": "Etag"}, headers=auth(a.admin)),
        api.post(
            f"/v1/companies/{a.company_id}/valuation/phone/automatic",
            json={"enabled": True},
            headers=auth(a.admin),
        ),
    ]:
        assert response.status_code == 200, response.text
        etag_of(response)


def test_a_command_with_the_current_etag_as_if_match_goes_through(
    api: TestClient, world: World
) -> None:
    a = world.a
    device = f"/v1/devices/{a.device_of_employee}"
    read = api.get(device, headers=auth(a.admin))

    unassigned = api.post(
        f"{device}/unassign", json={}, headers={**auth(a.admin), "If-Match": etag_of(read)}
    )

    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["assignee_id"] is None
    assert etag_of(unassigned) == f'"{read.json()["version"] + 1}"'
    # The new ETag is the one to send next.
    again = api.post(
        f"{device}/assign",
        json={"member_id": a.employee_member},
        headers={**auth(a.admin), "If-Match": unassigned.headers["ETag"]},
    )
    assert again.status_code == 200, again.text


def _stale_if_match_cases(w: World) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, reader's path): commands that check the version themselves, and
    ones that learn it only at the commit."""
    a = w.a
    device = f"/v1/devices/{a.device_in_stock}"
    return [
        ("POST", f"{device}/assign", {"member_id": a.employee_member}, device),
        ("POST", f"{device}/buyout-availability", {"available": False}, device),
        (
            "PATCH",
            f"/v1/companies/{a.company_id}",
            {"name": "Stale"},
            f"/v1/companies/{a.company_id}",
        ),
        (
            "POST",
            f"/v1/subscriptions/{a.subscription}/po-reference",
            {"po_reference": "PO-STALE"},
            f"/v1/subscriptions/{a.subscription}",
        ),
        (
            "POST",
            f"/v1/members/{a.employee_member}/last-employment-day",
            {"last_employment_day": "2026-12-31"},
            f"/v1/members/{a.employee_member}",
        ),
    ]


def test_a_stale_if_match_is_412_with_the_current_version_and_writes_nothing(
    api: TestClient, world: World, container: Container
) -> None:
    for method, path, body, read_path in _stale_if_match_cases(world):
        current = api.get(read_path, headers=auth(world.a.admin)).json()["version"]
        before = head(container)

        response = api.request(
            method, path, json=body, headers={**auth(world.a.admin), "If-Match": f'"{current + 5}"'}
        )

        problem = assert_problem(response, 412, "precondition-failed")
        assert problem["title"] == "Precondition failed"
        assert problem["current_version"] == current, (path, problem)
        assert f'"{current}"' in problem["detail"]
        assert head(container) == before, path


def test_a_stale_body_expected_version_is_still_409_on_every_command(
    api: TestClient, world: World, container: Container
) -> None:
    for method, path, body, read_path in _stale_if_match_cases(world):
        current = api.get(read_path, headers=auth(world.a.admin)).json()["version"]
        before = head(container)

        response = api.request(
            method,
            path,
            json={**body, "expected_version": current + 5},
            headers=auth(world.a.admin),
        )

        problem = assert_problem(response, 409, "version-conflict")
        assert problem["current_version"] == current, (path, problem)
        assert head(container) == before, path


def test_a_weak_or_foreign_etag_never_matches_and_a_star_matches_any_version(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    path = f"/v1/devices/{a.device_in_stock}/buyout-availability"
    current = api.get(f"/v1/devices/{a.device_in_stock}", headers=auth(a.admin)).headers["ETag"]
    before = head(container)
    for never in (f"W/{current}", '"v1"', '"00000000000000000000001"'):
        response = api.post(
            path, json={"available": False}, headers={**auth(a.admin), "If-Match": never}
        )
        assert assert_problem(response, 412, "precondition-failed")["current_version"] == int(
            current.strip('"')
        ), never
    assert head(container) == before

    anything = api.post(path, json={"available": False}, headers={**auth(a.admin), "If-Match": "*"})
    assert anything.status_code == 200, anything.text


@pytest.mark.parametrize(
    ("if_match", "body", "detail"),
    [
        ("3", {"available": False}, "in quotes"),
        ('"3", "4"', {"available": False}, "one entity tag"),
        ('"1"', {"available": False, "expected_version": 2}, "different versions"),
    ],
)
def test_an_unreadable_or_contradicted_if_match_is_400_and_writes_nothing(
    api: TestClient,
    world: World,
    container: Container,
    if_match: str,
    body: dict[str, Any],
    detail: str,
) -> None:
    before = head(container)
    response = api.post(
        f"/v1/devices/{world.a.device_in_stock}/buyout-availability",
        json=body,
        headers={**auth(world.a.admin), "If-Match": if_match},
    )
    problem = assert_problem(response, 400, "bad-request")
    assert detail in problem["detail"]
    assert head(container) == before


def test_if_match_and_expected_version_naming_the_same_version_go_through(
    api: TestClient, world: World
) -> None:
    a = world.a
    response = api.post(
        f"/v1/devices/{a.device_in_stock}/buyout-availability",
        json={"available": False, "expected_version": 1},
        headers={**auth(a.admin), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["buyout_available"] is False


def test_a_replayed_key_answers_the_first_body_and_etag_even_after_later_changes(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    device = f"/v1/devices/{a.device_of_employee}"
    etag = api.get(device, headers=auth(a.admin)).headers["ETag"]
    headers = {**auth(a.admin), "Idempotency-Key": "etag-replay", "If-Match": etag}
    first = api.post(f"{device}/unassign", json={}, headers=headers)
    assert first.status_code == 200, first.text
    # The device moves on; a retry of the first request still gets the first answer.
    later = api.post(
        f"{device}/assign", json={"member_id": a.employee_member}, headers=auth(a.admin)
    )
    assert later.status_code == 200, later.text
    before = head(container)

    retry = api.post(f"{device}/unassign", json={}, headers=headers)

    assert retry.status_code == 200, retry.text
    assert retry.headers[REPLAYED] == "true"
    assert retry.content == first.content
    assert retry.headers["ETag"] == first.headers["ETag"] == etag_of(first)
    assert head(container) == before

    # The same key with another If-Match is another request: refused, nothing written.
    other = api.post(f"{device}/unassign", json={}, headers={**headers, "If-Match": '"9"'})
    assert "Idempotency-Key" in assert_problem(other, 422, "invalid-value")["detail"]
    assert head(container) == before


def test_a_replayed_creation_answers_201_with_the_first_etag_and_location(
    api: TestClient, world: World
) -> None:
    headers = {**auth(world.a.admin), "Idempotency-Key": "etag-create"}
    first = api.post("/v1/devices", json=device_body("SN-ETAG-R"), headers=headers)
    retry = api.post("/v1/devices", json=device_body("SN-ETAG-R"), headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.headers[REPLAYED] == "true"
    assert retry.content == first.content
    assert retry.headers["ETag"] == first.headers["ETag"] == '"1"'
    assert retry.headers["Location"] == first.headers["Location"]


def test_if_match_is_declared_exactly_on_the_commands_that_take_an_expected_version(
    api: TestClient,
) -> None:
    """The dependency reads expected_version from the body: a route with a Versioned body
    must use it (or the field would be ignored), and no other route may."""
    app: Any = api.app
    openapi = app.openapi()
    checked = 0
    for context in iter_route_contexts(app.routes):
        route = getattr(context, "original_route", context)
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        body = route.body_field.field_info.annotation if route.body_field is not None else None
        takes_version = isinstance(body, type) and issubclass(body, Versioned)
        uses_dependency = any(d.call is versioned_context for d in route.dependant.dependencies)
        assert takes_version == uses_dependency, route.path
        for method in route.methods:
            operation = openapi["paths"][context.path_format][method.lower()]
            names = {p["name"] for p in operation.get("parameters", [])}
            assert ("If-Match" in names) == takes_version, (method, route.path)
        checked += takes_version
    assert checked == 36
