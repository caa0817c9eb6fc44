"""Authentication: every /v1 route wants a live bearer token (SPEC §1)."""

from __future__ import annotations

import re
from uuid import UUID, uuid4

import pytest

from api.bootstrap import Container
from tests.conftest import system_cause
from tests.e2e._http import (
    TestClient,
    World,
    api_routes,
    assert_problem,
    auth,
    device_body,
    head,
    token_id,
)

CHALLENGE = 'Bearer realm="lessor"'


def assert_unauthorized(response) -> dict:
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    return body


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer    ", id="blank-secret"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Token {secret}", id="valid-secret-wrong-scheme"),
        pytest.param("{secret}", id="valid-secret-no-scheme"),
        pytest.param("Bearer lsr_not-a-token-anyone-issued", id="unknown-token"),
        pytest.param("Bearer {secret}x", id="valid-secret-altered"),
    ],
)
def test_requests_without_a_valid_bearer_token_are_401(
    api: TestClient, world: World, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header.format(secret=world.a.admin)}
    reads = [
        api.get("/v1/devices", headers=headers),
        api.get(f"/v1/devices/{world.a.device_in_stock}", headers=headers),
        api.get("/v1/event-log", headers=headers),
    ]
    for response in reads:
        assert_unauthorized(response)


def test_a_failed_authentication_writes_nothing(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)
    response = api.post(
        "/v1/devices",
        json=device_body("SN-NOAUTH"),
        headers={"Authorization": "Bearer lsr_forged"},
    )
    assert_unauthorized(response)
    assert head(container) == before


def test_a_valid_token_works_and_the_scheme_is_case_insensitive(
    api: TestClient, world: World
) -> None:
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = api.get(
            f"/v1/devices/{world.a.device_in_stock}",
            headers={"Authorization": f"{scheme} {world.a.admin}"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["id"] == world.a.device_in_stock


def test_a_revoked_token_is_refused_at_once(
    api: TestClient, world: World, container: Container
) -> None:
    assert api.get("/v1/devices", headers=auth(world.a.service)).status_code == 200

    container.app.tokens.revoke(system_cause(), UUID(token_id(world.a.service)))

    assert_unauthorized(api.get("/v1/devices", headers=auth(world.a.service)))
    before = head(container)
    refused = api.post("/v1/devices", json=device_body("SN-REVOKED"), headers=auth(world.a.service))
    body = assert_unauthorized(refused)
    assert "revoked" in body["detail"].lower()
    assert head(container) == before
    # The other tokens of the same company are untouched.
    assert api.get("/v1/devices", headers=auth(world.a.admin)).status_code == 200


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), path)


def test_every_v1_route_demands_a_token(api: TestClient) -> None:
    routes = sorted(api_routes(api.app))
    v1 = [(method, path) for method, path in routes if path.startswith("/v1/")]
    assert len(v1) >= 12, routes
    for method, path in v1:
        response = api.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path, response.text)
        assert_unauthorized(response)


def test_health_and_docs_are_public(api: TestClient) -> None:
    health = api.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    projections = ready.json()["projections"]
    assert {"event_log", "hardware_overview"} <= set(projections)
    for state in projections.values():
        assert state["lag"] >= 0
        assert state["position"] >= 0
    spec = api.get("/openapi.json")
    assert spec.status_code == 200
    assert "/v1/devices/{device_id}/assign" in spec.json()["paths"]
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


def test_an_unauthenticated_request_is_401_even_when_its_body_is_malformed(
    api: TestClient,
) -> None:
    """Authentication comes first: a caller without a token learns nothing about the body."""
    response = api.post(
        "/v1/devices", content=b'{"serial": ', headers={"Content-Type": "application/json"}
    )
    assert_unauthorized(response)
