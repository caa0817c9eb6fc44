"""Credentials and names over HTTP (issue 9, findings 6 and 7; ADR 0015).

One Authorization header per request; names and identifiers in one normal form, so that
look-alikes are one value and nothing invisible gets in; a member's tokens end with their
employment. Every refusal writes nothing: the store's head does not move.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.conftest import T0
from tests.e2e._http import TestClient, World, assert_problem, auth, device_body, head

ANSI_RED = "\x1b[31m"


def assert_refused_and_nothing_written(
    container: Container, send: Any, status: int, kind: str
) -> dict[str, Any]:
    before = head(container)
    body = assert_problem(send(), status, kind)
    assert head(container) == before
    return body


# ------------------------------------------------------------- one credential per request


@pytest.mark.parametrize("second", ["same", "other"])
def test_two_authorization_headers_are_refused_and_nothing_is_written(
    api: TestClient, world: World, container: Container, second: str
) -> None:
    other = world.a.admin if second == "same" else world.b.admin
    headers = httpx.Headers(
        [("Authorization", f"Bearer {world.a.admin}"), ("Authorization", f"Bearer {other}")]
    )

    body = assert_refused_and_nothing_written(
        container,
        lambda: api.post("/v1/devices", json=device_body("SN-TWICE"), headers=headers),
        400,
        "duplicate-credentials",
    )

    assert "one Authorization header" in body["detail"]
    assert api.get("/v1/devices", headers=auth(world.a.admin)).status_code == 200


# ------------------------------------------------------------------ names and identifiers


def test_a_full_width_look_alike_of_a_serial_is_the_same_serial(
    api: TestClient, world: World, container: Container
) -> None:
    def register(serial: str) -> httpx.Response:
        return api.post("/v1/devices", json=device_body(serial), headers=auth(world.a.admin))

    first = register("SER-A-0")
    assert first.status_code == 201, first.text

    for look_alike in ("ＳＥＲ-A-0", "ser-a-0", " SER-A-0\u00a0"):
        assert_refused_and_nothing_written(
            container, lambda s=look_alike: register(s), 409, "rule-violation"
        )
    fullwidth = api.post("/v1/devices", json=device_body("ＳＥＲ-B-1"), headers=auth(world.a.admin))
    assert fullwidth.status_code == 201, fullwidth.text
    assert fullwidth.json()["serial"] == "SER-B-1"


@pytest.mark.parametrize(
    "serial", ["SER-A-\u200b0", "\ufeffSER-A-0", f"{ANSI_RED}SER-A-0", "SER\tA-0", "SER-A-\u202e0"]
)
def test_a_serial_with_an_invisible_or_control_character_is_refused(
    api: TestClient, world: World, container: Container, serial: str
) -> None:
    body = assert_refused_and_nothing_written(
        container,
        lambda: api.post("/v1/devices", json=device_body(serial), headers=auth(world.a.admin)),
        422,
        "invalid-value",
    )

    assert "serial number contains an invisible or control character" in body["detail"]
    assert "\x1b" not in body["detail"]  # the refusal does not echo the escape


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("operator", "post", "/v1/companies", {"name": f"{ANSI_RED}Evil AB", "currency": "SEK"}),
        ("admin", "patch", "/v1/companies/{company}", {"name": "Acme\u200bAB"}),
        ("admin", "post", "/v1/members", {"name": f"Eve{ANSI_RED}", "email": "eve@a.example"}),
        ("admin", "post", "/v1/members", {"name": "Eve", "email": "eve\u200b@a.example"}),
        (
            "operator",
            "post",
            "/v1/catalog/products",
            {"code": "P\x07", "name": "Bell", "kind": "option", "prices": {"SEK": "1.00"}},
        ),
        (
            "operator",
            "post",
            "/v1/catalog/products",
            {"code": "NEW", "name": "New\u2028line", "kind": "option", "prices": {"SEK": "1.00"}},
        ),
        ("operator", "patch", "/v1/catalog/products/{plan}", {"name": "Plan\u00ad"}),
        ("admin", "post", "/v1/devices", device_body("SER-M-1", model=f"T14{ANSI_RED}")),
        ("admin", "post", "/v1/devices", device_body("SER-C-1", category="lap\u200btop")),
    ],
    ids=[
        "company-name",
        "company-rename",
        "member-name",
        "member-email",
        "product-code",
        "product-name",
        "product-rename",
        "device-model",
        "device-category",
    ],
)
def test_a_name_with_a_control_or_invisible_character_is_refused(
    api: TestClient,
    world: World,
    container: Container,
    who: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    secret = world.operator if who == "operator" else world.a.admin
    url = path.format(company=world.a.company_id, plan=world.plan)

    assert_refused_and_nothing_written(
        container,
        lambda: api.request(method.upper(), url, json=body, headers=auth(secret)),
        422,
        "invalid-value",
    )


def test_a_full_width_look_alike_of_an_email_is_the_same_email(
    api: TestClient, world: World, container: Container
) -> None:
    assert_refused_and_nothing_written(
        container,
        lambda: api.post(
            "/v1/members",
            json={"name": "Eva again", "email": "ＥＶＡ＠a.example"},
            headers=auth(world.a.admin),
        ),
        409,
        "rule-violation",
    )


def test_names_are_stored_in_their_plain_spelling(api: TestClient, world: World) -> None:
    response = api.post(
        "/v1/members",
        json={"name": "  Ｚｏë\u3000Ｚ  ", "email": "zoe@a.example"},
        headers=auth(world.a.admin),
    )

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Zoë Z"


# ----------------------------------------------------------- tokens end with employment


def test_an_employees_token_stops_working_after_their_last_employment_day(
    api: TestClient, world: World, container: Container, clock: FixedClock
) -> None:
    """World A is in Europe/Stockholm (UTC+1 in March): T0's day ends at 23:00 UTC."""
    day = T0.date().isoformat()
    set_day = api.post(
        f"/v1/members/{world.a.employee_member}/last-employment-day",
        json={"last_employment_day": day},
        headers=auth(world.a.admin),
    )
    assert set_day.status_code == 200, set_day.text
    mine = f"/v1/devices/{world.a.device_of_employee}"
    end_of_day = T0.replace(hour=23, minute=0)

    clock.set(end_of_day - timedelta(microseconds=1))
    assert api.get(mine, headers=auth(world.a.employee)).status_code == 200

    clock.set(end_of_day)
    before = head(container)
    refused = assert_problem(api.get(mine, headers=auth(world.a.employee)), 401, "unauthorized")
    assert "employment has ended" in refused["detail"]
    assert_problem(
        api.post(f"{mine}/return", json={}, headers=auth(world.a.employee)),
        401,
        "unauthorized",
    )
    assert head(container) == before
    # Colleagues and the company's other tokens are untouched.
    assert api.get("/v1/devices", headers=auth(world.a.admin)).status_code == 200
    assert api.get("/v1/devices", headers=auth(world.a.other_employee)).status_code == 200
