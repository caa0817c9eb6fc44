"""Bad input gets a clear problem and writes nothing (the event store's head does not move)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from api.bootstrap import Container
from api.settings import Settings
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    collect_pages,
    device_body,
    head,
    position,
    without_instance,
)


@dataclass(frozen=True)
class Bad:
    """One bad request: what to send and what problem it must get."""

    send: Callable[[TestClient, World], Any]
    status: int
    kind: str
    fields: tuple[str, ...] = ()  # 422: fields the `errors` list must name
    detail: str = ""  # a fragment the detail must contain


def _post_device(body: dict[str, Any], role: str = "admin") -> Callable[[TestClient, World], Any]:
    def send(api: TestClient, w: World) -> Any:
        return api.post("/v1/devices", json=body, headers=auth(w.a.token(role)))

    return send


def _raw_post(path: str, raw: bytes) -> Callable[[TestClient, World], Any]:
    def send(api: TestClient, w: World) -> Any:
        headers = {**auth(w.a.admin), "Content-Type": "application/json"}
        return api.post(path, content=raw, headers=headers)

    return send


def _device(**changes: Any) -> dict[str, Any]:
    body = device_body("SN-BAD")
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


LEASED = {"contract_type": "leased", "lease_start": "2026-01-01", "renewal_date": "2029-01-01"}

CASES: dict[str, Bad] = {
    "malformed-json": Bad(
        _raw_post("/v1/devices", b'{"serial": "SN-BAD", "model": '),
        422,
        "malformed-json",
        detail="not valid JSON",
    ),
    "malformed-json-on-a-command": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            content=b"{'member_id': 1}",
            headers={**auth(w.a.admin), "Content-Type": "application/json"},
        ),
        422,
        "malformed-json",
    ),
    "body-is-a-list": Bad(_raw_post("/v1/devices", b"[]"), 422, "validation", ("body",)),
    "unknown-field-status": Bad(
        _post_device(_device(status="active")), 422, "validation", ("body.status",)
    ),
    "unknown-field-assignee": Bad(
        _post_device(_device(assignee_id=str(uuid4()))),
        422,
        "validation",
        ("body.assignee_id",),
    ),
    "unknown-field-version": Bad(
        _post_device(_device(version=9)), 422, "validation", ("body.version",)
    ),
    "unknown-field-in-money": Bad(
        _post_device(_device(company_cost={"amount": "1.00", "currency": "SEK", "minor": 1})),
        422,
        "validation",
        ("body.company_cost.minor",),
    ),
    "unknown-field-on-assign": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            json={"member_id": w.a.employee_member, "status": "returned"},
            headers=auth(w.a.admin),
        ),
        422,
        "validation",
        ("body.status",),
    ),
    "unknown-field-on-company": Bad(
        lambda api, w: api.patch(
            f"/v1/companies/{w.a.company_id}",
            json={"currency": "USD"},
            headers=auth(w.a.admin),
        ),
        422,
        "validation",
        ("body.currency",),
    ),
    "member-of-another-tenant-by-company-id": Bad(
        lambda api, w: api.post(
            "/v1/members",
            json={"company_id": w.b.company_id, "name": "Mole", "email": "mole@a.example"},
            headers=auth(w.a.admin),
        ),
        404,
        "not-found",
        detail="Company not found",
    ),
    "device-for-another-tenant-by-company-id": Bad(
        lambda api, w: api.post(
            "/v1/devices",
            json=device_body("SN-BAD", company_id=w.b.company_id, currency="EUR"),
            headers=auth(w.a.service),
        ),
        404,
        "not-found",
        detail="Company not found",
    ),
    "wrong-type-serial": Bad(
        _post_device(_device(serial=12345)), 422, "validation", ("body.serial",)
    ),
    "wrong-type-amount": Bad(
        _post_device(_device(company_cost={"amount": [1], "currency": "SEK"})),
        422,
        "validation",
        ("body.company_cost.amount",),
    ),
    "wrong-type-contract": Bad(
        _post_device(_device(contract_type="borrowed")),
        422,
        "validation",
        ("body.contract_type",),
    ),
    "wrong-type-date": Bad(
        _post_device(_device(**{**LEASED, "renewal_date": "next year"})),
        422,
        "validation",
        ("body.renewal_date",),
    ),
    "wrong-type-member-id": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            json={"member_id": "eva"},
            headers=auth(w.a.admin),
        ),
        422,
        "validation",
        ("body.member_id",),
    ),
    "wrong-type-expected-version": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_of_employee}/unassign",
            json={"expected_version": "two"},
            headers=auth(w.a.admin),
        ),
        422,
        "validation",
        ("body.expected_version",),
    ),
    "expected-version-zero": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_of_employee}/unassign",
            json={"expected_version": 0},
            headers=auth(w.a.admin),
        ),
        422,
        "validation",
        ("body.expected_version",),
    ),
    "nan-amount": Bad(
        _post_device(_device(company_cost={"amount": "NaN", "currency": "SEK"})),
        422,
        "validation",
        ("body.company_cost.amount",),
    ),
    "negative-amount": Bad(
        _post_device(_device(company_cost={"amount": "-1.00", "currency": "SEK"})),
        422,
        "invalid-value",
        detail="negative",
    ),
    "more-decimals-than-the-currency": Bad(
        _post_device(_device(company_cost={"amount": "100.001", "currency": "SEK"})),
        422,
        "invalid-value",
    ),
    "absurd-amount": Bad(
        _post_device(_device(company_cost={"amount": "1E+999999999", "currency": "SEK"})),
        422,
        "invalid-value",
    ),
    "currency-lowercase": Bad(
        _post_device(_device(company_cost={"amount": "100.00", "currency": "sek"})),
        422,
        "validation",
        ("body.company_cost.currency",),
    ),
    "currency-unknown": Bad(
        _post_device(_device(company_cost={"amount": "100.00", "currency": "XYZ"})),
        422,
        "invalid-value",
        detail="XYZ",
    ),
    "currency-not-the-companys": Bad(
        _post_device(_device(company_cost={"amount": "100.00", "currency": "EUR"})),
        422,
        "invalid-value",
        detail="SEK",
    ),
    "company-with-unknown-currency": Bad(
        lambda api, w: api.post(
            "/v1/companies", json={"name": "C", "currency": "ABC"}, headers=auth(w.operator)
        ),
        422,
        "invalid-value",
    ),
    "leased-without-renewal-date": Bad(
        _post_device(_device(contract_type="leased", lease_start="2026-01-01")),
        422,
        "invalid-value",
        detail="renewal date",
    ),
    "leased-renewal-before-start": Bad(
        _post_device(_device(**{**LEASED, "renewal_date": "2025-12-31"})),
        422,
        "invalid-value",
    ),
    "purchased-with-renewal-date": Bad(
        _post_device(_device(renewal_date="2029-01-01")), 422, "invalid-value"
    ),
    "blank-serial": Bad(_post_device(_device(serial="   ")), 422, "invalid-value"),
    "unknown-time-zone": Bad(
        lambda api, w: api.patch(
            f"/v1/companies/{w.a.company_id}",
            json={"time_zone": "Mars/Olympus_Mons"},
            headers=auth(w.a.admin),
        ),
        422,
        "invalid-value",
    ),
    "vat-out-of-range": Bad(
        lambda api, w: api.patch(
            f"/v1/companies/{w.a.company_id}", json={"vat_rate": "125"}, headers=auth(w.a.admin)
        ),
        422,
        "invalid-value",
    ),
    "unknown-company-setting": Bad(
        lambda api, w: api.patch(
            f"/v1/companies/{w.a.company_id}",
            json={"settings": {"free_devices": True}},
            headers=auth(w.a.admin),
        ),
        422,
        "invalid-value",
    ),
    "member-email-not-an-address": Bad(
        lambda api, w: api.post(
            "/v1/members", json={"name": "N", "email": "not-an-email"}, headers=auth(w.a.admin)
        ),
        422,
        "invalid-value",
    ),
    "member-with-service-role": Bad(
        lambda api, w: api.post(
            "/v1/members",
            json={"name": "N", "email": "n@a.example", "role": "service"},
            headers=auth(w.a.admin),
        ),
        422,
        "invalid-value",
    ),
    "member-with-operator-role": Bad(
        lambda api, w: api.post(
            "/v1/members",
            json={"name": "N", "email": "n@a.example", "role": "operator"},
            headers=auth(w.a.admin),
        ),
        422,
        "invalid-value",
    ),
    "assign-unknown-member": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            json={"member_id": str(uuid4())},
            headers=auth(w.a.admin),
        ),
        404,
        "not-found",
        detail="Member not found",
    ),
    "assign-member-of-another-tenant": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            json={"member_id": w.b.employee_member},
            headers=auth(w.a.admin),
        ),
        404,
        "not-found",
        detail="Member not found",
    ),
    "assign-a-device-id-as-member": Bad(
        lambda api, w: api.post(
            f"/v1/devices/{w.a.device_in_stock}/assign",
            json={"member_id": w.a.device_of_employee},
            headers=auth(w.a.admin),
        ),
        404,
        "not-found",
        detail="Member not found",
    ),
    "idempotency-key-too-long": Bad(
        lambda api, w: api.post(
            "/v1/devices",
            json=device_body("SN-BAD"),
            headers={**auth(w.a.admin), "Idempotency-Key": "k" * 256},
        ),
        422,
        "",
        detail="Idempotency-Key",
    ),
    "idempotency-key-blank": Bad(
        lambda api, w: api.post(
            "/v1/devices",
            json=device_body("SN-BAD"),
            headers={**auth(w.a.admin), "Idempotency-Key": "   "},
        ),
        422,
        "",
        detail="Idempotency-Key",
    ),
    "nul-byte-in-serial": Bad(_post_device(_device(serial="SN\x00BAD")), 422, ""),
    "nul-byte-in-model": Bad(_post_device(_device(model="Think\x00Pad")), 422, ""),
    "nul-byte-in-member-name": Bad(
        lambda api, w: api.post(
            "/v1/members",
            json={"name": "Ev\x00a", "email": "nul@a.example"},
            headers=auth(w.a.admin),
        ),
        422,
        "",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_writes_nothing(
    api: TestClient, world: World, container: Container, case: str
) -> None:
    bad = CASES[case]
    before = head(container)
    response = bad.send(api, world)
    body = assert_problem(response, bad.status, bad.kind or None)
    if bad.fields:
        named = {e["field"] for e in body["errors"]}
        assert set(bad.fields) <= named, body
    if bad.detail:
        assert bad.detail in body["detail"], body
    assert head(container) == before, f"{case}: the refused request wrote events"


def test_an_unknown_member_and_another_tenants_member_look_the_same(
    api: TestClient, world: World
) -> None:
    path = f"/v1/devices/{world.a.device_in_stock}/assign"
    foreign = api.post(
        path, json={"member_id": world.b.employee_member}, headers=auth(world.a.admin)
    )
    unknown = api.post(path, json={"member_id": str(uuid4())}, headers=auth(world.a.admin))
    assert without_instance(assert_problem(foreign, 404)) == without_instance(
        assert_problem(unknown, 404)
    )


# --------------------------------------------------------------------- oversized bodies


def _oversized(settings: Settings) -> bytes:
    body = device_body("SN-HUGE", model="x" * (settings.max_body_bytes + 10))
    return json.dumps(body).encode()


def test_an_oversized_body_with_content_length_is_413(
    api: TestClient, world: World, container: Container, settings: Settings
) -> None:
    raw = _oversized(settings)
    before = head(container)
    response = api.post(
        "/v1/devices",
        content=raw,
        headers={**auth(world.a.admin), "Content-Type": "application/json"},
    )
    assert response.request.headers["Content-Length"] == str(len(raw))
    assert_problem(response, 413, "payload-too-large")
    assert head(container) == before


def test_an_oversized_streamed_body_is_413(
    api: TestClient, world: World, container: Container, settings: Settings
) -> None:
    raw = _oversized(settings)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(raw), 64 * 1024):
            yield raw[start : start + 64 * 1024]

    before = head(container)
    response = api.post(
        "/v1/devices",
        content=chunks(),
        headers={**auth(world.a.admin), "Content-Type": "application/json"},
    )
    assert "Content-Length" not in response.request.headers
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert_problem(response, 413, "payload-too-large")
    assert head(container) == before


def test_a_body_under_the_limit_is_not_refused_for_its_size(api: TestClient, world: World) -> None:
    response = api.post(
        "/v1/devices", json=device_body("SN-SMALL", model="x" * 100), headers=auth(world.a.admin)
    )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------ bad queries


def test_a_naive_datetime_in_event_log_filters_is_422(api: TestClient, world: World) -> None:
    for name in ("occurred_from", "occurred_to"):
        response = api.get(
            "/v1/event-log", params={name: "2026-03-02T09:00:00"}, headers=auth(world.a.admin)
        )
        body = assert_problem(response, 422, "invalid-value")
        assert name in body["detail"]
        assert "time zone" in body["detail"]
    aware = api.get(
        "/v1/event-log",
        params={"occurred_from": "2026-03-02T09:00:00Z"},
        headers=auth(world.a.admin),
    )
    assert aware.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/devices", {"status": "lost"}, "query.status"),
        ("/v1/devices", {"contract_type": "borrowed"}, "query.contract_type"),
        ("/v1/devices", {"renewal_from": "soon"}, "query.renewal_from"),
        ("/v1/devices", {"assignee_id": "eva"}, "query.assignee_id"),
        ("/v1/devices", {"limit": "0"}, "query.limit"),
        ("/v1/devices", {"limit": "501"}, "query.limit"),
        ("/v1/devices", {"cursor": "-1"}, "query.cursor"),
        ("/v1/devices", {"min_position": "-1"}, "query.min_position"),
        ("/v1/event-log", {"occurred_from": "yesterday"}, "query.occurred_from"),
        ("/v1/event-log", {"aggregate_id": "x"}, "query.aggregate_id"),
        ("/v1/event-log", {"limit": "many"}, "query.limit"),
        ("/v1/devices/not-a-uuid", {}, "path.device_id"),
    ],
)
def test_bad_query_parameters_are_422_with_the_field(
    api: TestClient, world: World, path: str, params: dict[str, str], field: str
) -> None:
    response = api.get(path, params=params, headers=auth(world.a.admin))
    body = assert_problem(response, 422, "validation")
    assert field in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"occurred_from": "0001-01-01T00:00:00+14:00"}, id="year-1-with-offset"),
        pytest.param({"occurred_to": "9999-12-31T23:59:59-14:00"}, id="year-9999-with-offset"),
    ],
)
def test_an_instant_outside_the_utc_range_is_422_not_500(
    api: TestClient, world: World, params: dict[str, str]
) -> None:
    response = api.get("/v1/event-log", params=params, headers=auth(world.a.admin))
    assert_problem(response, 422)


@pytest.mark.parametrize("path", ["/v1/devices", "/v1/event-log"])
def test_a_cursor_beyond_any_position_is_a_client_error_or_an_empty_page(
    api: TestClient, world: World, path: str
) -> None:
    for cursor in (2**63 - 1, 2**63, 10**20):
        response = api.get(path, params={"cursor": cursor}, headers=auth(world.a.admin))
        if response.status_code == 200:
            assert response.json() == {"items": [], "next_cursor": None}
        else:
            assert_problem(response, 422)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/devices", {"serial": "SN\x00"}),
        ("/v1/devices", {"category": "lap\x00top"}),
        ("/v1/event-log", {"actor_id": "x\x00"}),
        ("/v1/event-log", {"operation": "Device.\x00"}),
    ],
)
def test_a_nul_byte_in_a_query_filter_is_a_client_error_or_no_match(
    api: TestClient, world: World, path: str, params: dict[str, str]
) -> None:
    response = api.get(path, params=params, headers=auth(world.a.admin))
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert_problem(response, 422)


def test_read_models_keep_working_after_a_request_with_a_nul_byte(
    api: TestClient, world: World
) -> None:
    """Whatever the answer to odd text, it must not wedge the projector for everyone."""
    api.post("/v1/devices", json=device_body("SN\x00ODD"), headers=auth(world.a.admin))
    api.post(
        "/v1/members",
        json={"name": "Od\x00d", "email": "odd@a.example"},
        headers=auth(world.a.admin),
    )
    fine = api.post("/v1/devices", json=device_body("SN-FINE"), headers=auth(world.a.admin))
    assert fine.status_code == 201, fine.text
    after = api.get(
        "/v1/devices",
        params={"min_position": position(fine), "serial": "SN-FINE"},
        headers=auth(world.a.admin),
    )
    assert after.status_code == 200, after.text
    assert [d["device_id"] for d in after.json()["items"]] == [fine.json()["id"]]
    logged = collect_pages(api, "/v1/event-log", world.a.admin, {"aggregate_id": fine.json()["id"]})
    assert [e["operation"] for e in logged] == ["Device.Registered"]
