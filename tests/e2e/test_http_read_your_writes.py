"""Read-your-writes: ?min_position=<Lessor-Position> holds a query until the write is folded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import UUID

import pytest

from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import (
    SHORT_READ_WAIT_S,
    TestClient,
    World,
    assert_problem,
    auth,
    device_body,
    head,
    make_client,
    position,
)


def test_each_write_is_visible_to_the_very_next_read(api: TestClient, world: World) -> None:
    admin = auth(world.a.admin)
    for n in range(12):
        written = api.post("/v1/devices", json=device_body(f"SN-RYW-{n:02}"), headers=admin)
        assert written.status_code == 201, written.text
        device_id = written.json()["id"]
        at = position(written)
        assert at > 0

        overview = api.get(
            "/v1/devices", params={"min_position": at, "serial": f"SN-RYW-{n:02}"}, headers=admin
        )
        assert overview.status_code == 200, overview.text
        assert [d["device_id"] for d in overview.json()["items"]] == [device_id]

        log = api.get(
            "/v1/event-log", params={"min_position": at, "aggregate_id": device_id}, headers=admin
        )
        assert log.status_code == 200, log.text
        assert [e["operation"] for e in log.json()["items"]] == ["Device.Registered"]

        events = api.get(
            f"/v1/devices/{device_id}/events", params={"min_position": at}, headers=admin
        )
        assert [e["operation"] for e in events.json()["items"]] == ["Device.Registered"]


def test_an_assignment_shows_in_the_overview_at_once(api: TestClient, world: World) -> None:
    a = world.a
    for device_id, member_id in (
        (a.device_in_stock, a.other_employee_member),
        (a.device_of_employee, None),
    ):
        if member_id is None:
            written = api.post(
                f"/v1/devices/{device_id}/unassign", json={}, headers=auth(a.service)
            )
        else:
            written = api.post(
                f"/v1/devices/{device_id}/assign",
                json={"member_id": member_id},
                headers=auth(a.service),
            )
        assert written.status_code == 200, written.text
        row = api.get(
            "/v1/devices",
            params={"min_position": position(written), "serial": written.json()["serial"]},
            headers=auth(a.admin),
        ).json()["items"][0]
        assert row["version"] == written.json()["version"]
        assert row["status"] == ("in_stock" if member_id is None else "active")
        assert (row["assignee"] or {}).get("member_id") == member_id


def test_a_member_registered_by_http_can_have_a_token_and_read_at_once(
    api: TestClient, world: World, container: Container
) -> None:
    """A new employee, a device assigned in the next request, visible to them at once."""
    member = api.post(
        "/v1/members",
        json={"name": "Nina New", "email": "nina@a.example"},
        headers=auth(world.a.admin),
    )
    assert member.status_code == 201
    nina = member.json()["id"]
    token = issue_token(container, Role.EMPLOYEE, UUID(world.a.company_id), UUID(nina))
    given = api.post(
        f"/v1/devices/{world.a.device_in_stock}/assign",
        json={"member_id": nina},
        headers=auth(world.a.admin),
    )
    mine = api.get("/v1/devices", params={"min_position": position(given)}, headers=auth(token))
    assert mine.status_code == 200
    assert [(d["device_id"], d["assignee"]["name"]) for d in mine.json()["items"]] == [
        (world.a.device_in_stock, "Nina New")
    ]


def test_min_position_zero_or_reached_does_not_wait(api: TestClient, world: World) -> None:
    started = time.monotonic()
    for value in (0, 1):
        response = api.get(
            "/v1/devices", params={"min_position": value}, headers=auth(world.a.admin)
        )
        assert response.status_code == 200
    assert time.monotonic() - started < 2


@pytest.fixture
def quick_api(short_wait_container: Container) -> Iterator[TestClient]:
    with make_client(short_wait_container) as client:
        yield client


PATHS = ["/v1/devices", "/v1/event-log", "/v1/devices/{device_id}/events"]


@pytest.mark.parametrize("path", PATHS)
def test_a_position_beyond_the_head_is_422_at_once(
    quick_api: TestClient, short_wait_container: Container, path: str
) -> None:
    operator = issue_token(short_wait_container, Role.OPERATOR)
    company = quick_api.post(
        "/v1/companies", json={"name": "Far AB", "currency": "SEK"}, headers=auth(operator)
    ).json()["id"]
    device = quick_api.post(
        "/v1/devices", json=device_body("SN-FAR", company_id=company), headers=auth(operator)
    )
    assert device.status_code == 201
    before = head(short_wait_container)
    beyond = before + 1_000

    response = quick_api.get(
        path.format(device_id=device.json()["id"]),
        params={"min_position": beyond},
        headers=auth(operator),
    )

    body = assert_problem(response, 422, "invalid-value")
    assert str(beyond) in body["detail"]
    assert "Retry-After" not in response.headers  # not a wait: asking again will not help
    assert head(short_wait_container) == before
    # The position the write itself reported is served straight away.
    ok = quick_api.get(
        path.format(device_id=device.json()["id"]),
        params={"min_position": position(device)},
        headers=auth(operator),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["items"]


def test_a_position_beyond_the_head_is_422_for_every_role(
    quick_api: TestClient, short_wait_container: Container
) -> None:
    operator = issue_token(short_wait_container, Role.OPERATOR)
    company = quick_api.post(
        "/v1/companies", json={"name": "Far AB", "currency": "SEK"}, headers=auth(operator)
    ).json()["id"]
    service = issue_token(short_wait_container, Role.SERVICE, UUID(company))
    response = quick_api.get("/v1/devices", params={"min_position": 10**15}, headers=auth(service))
    assert_problem(response, 422, "invalid-value")


@pytest.mark.parametrize("path", PATHS)
def test_a_position_not_folded_in_time_is_503_with_retry_after(
    short_wait_container: Container, path: str
) -> None:
    """The log has the write but no projector runs: the wait is bounded, then 503."""
    operator = issue_token(short_wait_container, Role.OPERATOR)
    with make_client(short_wait_container, start_projector=False) as stalled:
        company = stalled.post(
            "/v1/companies", json={"name": "Slow AB", "currency": "SEK"}, headers=auth(operator)
        ).json()["id"]
        device = stalled.post(
            "/v1/devices", json=device_body("SN-SLOW", company_id=company), headers=auth(operator)
        )
        assert device.status_code == 201
        written = position(device)
        url = path.format(device_id=device.json()["id"])

        started = time.monotonic()
        response = stalled.get(url, params={"min_position": written}, headers=auth(operator))
        waited = time.monotonic() - started

        body = assert_problem(response, 503)
        assert str(written) in body["detail"]
        assert int(response.headers["Retry-After"]) >= 1
        assert SHORT_READ_WAIT_S * 0.9 <= waited < SHORT_READ_WAIT_S + 5, waited

        short_wait_container.projector.catch_up()
        ok = stalled.get(url, params={"min_position": written}, headers=auth(operator))
        assert ok.status_code == 200, ok.text
        assert ok.json()["items"]
