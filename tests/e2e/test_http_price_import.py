"""CSV import of manual buyout prices over HTTP (SPEC §2.1), on both stores.

POST /v1/devices/buyout-prices/import with the file as a text/csv body: a dry run reports
every row and writes nothing; an apply with any bad row answers 422 listing every error and
writes nothing; a clean apply sets the prices in one commit; the same file again is a no-op.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from api.bootstrap import Container
from domain.model.device import Device
from domain.model.money import Money
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    device_body,
    head,
    position,
    recorded_actor,
    register_device,
    token_id,
)

IMPORT = "/v1/devices/buyout-prices/import"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
HEADER = "serial,price,available,effective_date"


def post_csv(
    api: TestClient, secret: str, content: str | bytes, *, dry_run: bool, **params: str
) -> httpx.Response:
    body = content.encode() if isinstance(content, str) else content
    return api.post(
        IMPORT,
        content=body,
        params={"dry_run": str(dry_run).lower(), **params},
        headers={**auth(secret), **CSV},
    )


def device_state(container: Container, device_id: str) -> tuple[int, Money | None, bool]:
    device = container.app.repository.get(UUID(device_id))
    assert isinstance(device, Device)
    return device.version, device.manual_price, device.buyout_available


def written_since(container: Container, after: int) -> list[str]:
    """The events stored after position `after`, as 'Aggregate.Event' names."""
    found = container.app.recorder.select_notifications(start=after + 1, limit=1000)
    return [n.topic.split(":")[1] for n in found]


def log_items(api: TestClient, secret: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/event-log", params={"limit": 500, **params}, headers=auth(secret))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_dry_run_reports_every_row_and_writes_nothing(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    before = head(container)
    devices_before = [device_state(container, d) for d in a.device_ids]
    content = (
        f"{HEADER}\n"
        "SN-0001,3420.00,yes,2026-03-01\n"
        "SN-0002,-5,maybe,2026-03-01\n"
        "SN-NOPE,1,,2026-03-01\n"
        "SN-0003,,no,2026-03-02\n"
    )

    response = post_csv(api, a.admin, content, dry_run=True)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dry_run"], body["valid"], body["applied"], body["repeated"]) == (
        True,
        False,
        False,
        False,
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "available"),
        (3, "price"),
        (4, "serial"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert [r["line"] for r in body["rows"]] == [2, 5]
    assert body["rows"][0] == {
        "line": 2,
        "serial": "SN-0001",
        "device_id": a.device_of_employee,
        "price": {"amount": "3420.00", "currency": "SEK", "minor": 342000},
        "price_given": True,
        "available": True,
        "effective_date": "2026-03-01",
        "changes": ["price_set"],  # available already: nothing to change
    }
    assert body["rows"][1]["changes"] == ["availability_set"]  # no manual price to clear
    assert body["counts"] == {
        "rows": 2,
        "errors": 3,
        "devices_changed": 2,
        "price_set": 1,
        "price_cleared": 0,
        "availability_set": 1,
    }
    assert head(container) == before
    assert [device_state(container, d) for d in a.device_ids] == devices_before


def test_a_file_with_one_bad_row_changes_nothing_and_names_the_row(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    before = head(container)
    devices_before = [device_state(container, d) for d in a.device_ids]
    content = (
        f"{HEADER}\n"
        "SN-0001,3420.00,yes,2026-03-01\n"
        "SN-0002,1500.00,no,2026-03-01\n"
        "SN-0003,99.999,,2026-03-01\n"
    )

    response = post_csv(api, a.admin, content, dry_run=False)

    problem = assert_problem(response, 422, "invalid-value")
    assert problem["errors"] == [
        {"line": 4, "field": "price", "message": "SEK has 2 decimals; '99.999' has more"}
    ]
    assert "nothing was imported" in problem["detail"]
    assert head(container) == before
    assert [device_state(container, d) for d in a.device_ids] == devices_before


def test_an_apply_sets_prices_and_availability_in_one_commit(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    before = head(container)
    content = (
        "\ufeffEffective_Date,Serial,Price,Available\r\n"
        "2026-03-01,sn-0001,3420.00,\r\n"
        '2026-02-15," SN-0002 ","12000",no\r\n'
    ).encode()

    response = post_csv(api, a.service, content, dry_run=False)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["repeated"], body["valid"]) == (True, False, True)
    assert body["counts"]["price_set"] == 2
    assert body["counts"]["availability_set"] == 1
    reached = position(response)
    assert reached == head(container)
    # One transaction: the record and the three device events, nothing else.
    assert written_since(container, before) == [
        "PriceImportRecord.Applied",
        "Device.BuyoutPriceSet",
        "Device.BuyoutPriceSet",
        "Device.BuyoutAvailabilitySet",
    ]
    assert device_state(container, a.device_of_employee)[1:] == (Money(342000, "SEK"), True)
    assert device_state(container, a.device_of_other_employee)[1:] == (
        Money(1200000, "SEK"),
        False,
    )

    prices = log_items(
        api,
        a.admin,
        operation="Device.BuyoutPriceSet",
        min_position=reached,
        cursor=before,
    )
    assert {(p["aggregate_id"], p["details"]["amount"]["amount"]) for p in prices} == {
        (a.device_of_employee, "3420.00"),
        (a.device_of_other_employee, "12000.00"),
    }
    assert all(p["details"]["source"] == "csv" for p in prices)
    assert all(recorded_actor(p) == {"id": token_id(a.service), "role": "service"} for p in prices)
    [record] = log_items(api, a.admin, operation="PriceImportRecord.Applied", cursor=before)
    assert record["aggregate_id"] == body["import_id"]
    assert record["details"]["sha256"] == body["sha256"]
    assert [(r["serial"], r["effective_date"]) for r in record["details"]["rows"]] == [
        ("sn-0001", "2026-03-01"),
        ("SN-0002", "2026-02-15"),
    ]
    # The devices' events share the import's correlation id: one operation in the audit.
    assert {p["correlation_id"] for p in prices} == {record["correlation_id"]}


def test_the_same_file_twice_writes_nothing_new(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    content = f"{HEADER}\nSN-0001,3420.00,,2026-03-01\n"
    first = post_csv(api, a.admin, content, dry_run=False)
    assert first.status_code == 200, first.text
    after_first = head(container)

    again = post_csv(api, a.admin, content, dry_run=False)
    checked = post_csv(api, a.service, content, dry_run=True)

    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["repeated"], body["applied"]) == (True, False)
    assert body["import_id"] == first.json()["import_id"]
    assert body["rows"] == first.json()["rows"]
    assert checked.json()["repeated"] is True
    assert head(container) == after_first

    # A different file (one byte more) is a new import, and restates the price.
    changed = post_csv(api, a.admin, content + "\n", dry_run=False)
    assert changed.json()["applied"] is True
    assert written_since(container, after_first) == [
        "PriceImportRecord.Applied",
        "Device.BuyoutPriceSet",
    ]


def test_another_companys_serials_are_unknown(
    api: TestClient, world: World, container: Container
) -> None:
    a, b = world.a, world.b
    register_device(api, b.admin, device_body("SN-ONLY-B", currency="EUR"))
    content = f"{HEADER}\nSN-ONLY-B,100.00,,2026-03-01\nSN-0001,200.00,,2026-03-01\n"
    before = head(container)

    dry = post_csv(api, a.admin, content, dry_run=True)
    applied = post_csv(api, a.admin, content, dry_run=False)
    elsewhere = post_csv(api, a.admin, content, dry_run=True, company_id=b.company_id)

    assert [(e["line"], e["field"]) for e in dry.json()["errors"]] == [(2, "serial")]
    assert "SN-ONLY-B" in dry.json()["errors"][0]["message"]
    assert [r["device_id"] for r in dry.json()["rows"]] == [a.device_of_employee]
    assert_problem(applied, 422, "invalid-value")
    assert_problem(elsewhere, 404, "not-found")
    assert head(container) == before

    # A's SN-0001 is A's device, never B's device of the same serial.
    ok = post_csv(api, a.admin, f"{HEADER}\nSN-0001,200.00,,2026-03-01\n", dry_run=False)
    assert ok.status_code == 200, ok.text
    assert device_state(container, a.device_of_employee)[1] == Money(20000, "SEK")
    assert device_state(container, b.device_of_employee)[1] is None


def test_operators_name_the_company_and_employees_may_not_import(
    api: TestClient, world: World, container: Container
) -> None:
    content = f"{HEADER}\nSN-0003,1.00,,2026-03-01\n"
    before = head(container)

    assert_problem(post_csv(api, world.operator, content, dry_run=True), 422, "invalid-value")
    assert_problem(post_csv(api, world.a.employee, content, dry_run=True), 403, "forbidden")
    for_a = post_csv(api, world.operator, content, dry_run=True, company_id=world.a.company_id)

    assert for_a.status_code == 200, for_a.text
    assert for_a.json()["rows"][0]["device_id"] == world.a.device_in_stock
    assert head(container) == before


def test_a_form_upload_or_json_is_refused_with_a_hint(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)

    as_json = api.post(IMPORT, json={"serial": "SN-0001"}, headers=auth(world.a.admin))
    as_form = api.post(
        IMPORT,
        files={"file": ("prices.csv", f"{HEADER}\n".encode(), "text/csv")},
        headers=auth(world.a.admin),
    )

    for response in (as_json, as_form):
        assert "text/csv" in assert_problem(response, 422, "invalid-value")["detail"]
    assert head(container) == before


def test_the_file_as_text_csv_or_as_octet_stream_answers_the_same(
    api: TestClient, world: World, container: Container
) -> None:
    """The OpenAPI declares application/octet-stream (generated clients send bytes); curl's
    text/csv stays accepted."""
    before = head(container)
    content = f"{HEADER}\nSN-0001,3420.00,yes,2026-03-01\n".encode()
    answers = [
        api.post(IMPORT, content=content, headers={**auth(world.a.admin), "Content-Type": kind})
        for kind in ("text/csv", "application/octet-stream")
    ]

    assert [r.status_code for r in answers] == [200, 200]
    as_csv, as_bytes = (r.json() for r in answers)
    assert as_csv["rows"] == as_bytes["rows"]
    assert as_bytes["rows"][0]["price"]["amount"] == "3420.00"
    assert head(container) == before  # dry runs


def test_a_dry_run_is_the_default_and_an_empty_body_is_an_error_of_the_file(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)

    response = api.post(IMPORT, headers=auth(world.a.admin))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dry_run"], body["valid"]) == (True, False)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(1, "file")]
    assert head(container) == before
