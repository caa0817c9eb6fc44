"""The OpenAPI document tells the truth: stable operation ids, declared errors, typed bodies."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from api.bootstrap import Container
from api.http.problems import Problem, ValidationProblem
from tests.e2e._http import TestClient, World, assert_problem, auth, head, settle

# Pinned: renaming an operation renames a generated client's function, so it shows here.
OPERATION_IDS = [
    "companies_register",
    "companies_list",
    "companies_get",
    "companies_change",
    "members_export_members",
    "members_import_members",
    "members_register",
    "members_list",
    "members_get",
    "members_set_last_employment_day",
    "devices_import_buyout_prices",
    "devices_register",
    "devices_list",
    "devices_get",
    "devices_assign",
    "devices_unassign",
    "event_log_list",
    "event_log_device_events",
    "catalog_add_product",
    "catalog_list_products",
    "catalog_get_product",
    "catalog_change_product",
    "subscriptions_quote",
    "subscriptions_create",
    "subscriptions_list",
    "subscriptions_get",
    "subscriptions_history",
    "subscriptions_add_seats",
    "subscriptions_quote_seats",
    "subscriptions_remove_seats",
    "subscriptions_change_po_reference",
    "subscriptions_change_renewal_option",
    "subscriptions_cancel",
    "subscriptions_assign_licence",
    "subscriptions_unassign_licence",
    "subscriptions_choose_default_licence",
    "subscriptions_list_charges",
    "invoices_run",
    "invoices_list",
    "invoices_billing_details",
    "invoices_pdf",
    "invoices_facturx",
    "invoices_html",
    "invoices_get",
    "invoices_issue",
    "invoices_credit_note",
    "invoices_adjust",
    "end_of_lease_options",
    "end_of_lease_preliminary_choice",
    "end_of_lease_choose_return",
    "end_of_lease_start_buyout",
    "end_of_lease_cancel_buyout",
    "end_of_lease_register_replacement",
    "end_of_lease_delivered",
    "end_of_lease_received",
    "end_of_lease_record_serial",
    "end_of_lease_release",
    "end_of_lease_confirm_return",
    "end_of_lease_remove",
    "end_of_lease_rma_swap",
    "end_of_lease_deactivate_rental",
    "end_of_lease_deactivate_rental_earlier_path",
    "end_of_lease_buyout_price",
    "end_of_lease_buyout_availability",
    "end_of_lease_valuation_chart",
    "end_of_lease_automatic_valuation",
    "end_of_lease_save_curve",
    "end_of_lease_clear_curve",
    "usage_record_changes",
    "usage_month",
    "usage_current",
    "usage_price_list",
    "usage_set_price",
    "terms_publish",
    "terms_get",
    "rental_credits_issue_keys",
    "rental_credits_list_batches",
    "rental_credits_void_batch",
    "rental_credits_account",
    "rental_credits_list_accounts",
    "rental_credits_history",
    "rental_credits_redeem",
    "rental_credits_activate_rental",
    "rental_credits_swap_rental",
    "rental_credits_licence",
    "rental_credits_licence_keys",
    "sandbox_show_clock",
    "sandbox_move_clock",
    "reconciliations_start",
    "reconciliations_show",
    "webhooks_stripe",
    "health_status",
    "health_ready",
]

# Routes whose 422 lists more than refused fields (a price file's errors, by line).
FILE_TYPES = {"text/csv", "text/html", "application/pdf"}
OWN_422 = {
    "/v1/devices/buyout-prices/import": "CsvFileProblem",
    "/v1/members/import": "CsvFileProblem",
}

# POSTs that record no event, so have no answer to replay.
NOT_RECORDED = {
    "/v1/subscriptions/quote",
    "/v1/subscriptions/{subscription_id}/seats/quote",
    "/v1/sandbox/clock",
    "/v1/reconciliations",  # a report run, kept in its own table
    "/v1/members/import",  # recognised by its content, like the price import
}


def operations(api: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = api.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def test_operation_ids_are_stable_snake_case_names_of_the_operation(api: TestClient) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(api)]
    assert all(re.fullmatch(r"[a-z_]+", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == sorted(OPERATION_IDS)


def test_every_error_response_is_declared_as_problem_json(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for method, path, operation in operations(api):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        if path.startswith("/v1/"):
            assert {"400", "401", "403"} <= set(errors), (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        for status, response in errors.items():
            schema = response["content"]["application/problem+json"]["schema"]
            expected = OWN_422.get(path, "ValidationProblem") if status == "422" else "Problem"
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)


def test_every_success_response_declares_a_closed_model(api: TestClient) -> None:
    """No untyped body: each 2xx names a model that lists every field it sends."""
    spec = api.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for method, path, operation in operations(api):
        for status, response in operation["responses"].items():
            if status[0] != "2":
                continue
            if "application/json" not in response["content"]:  # a file: CSV, PDF, HTML
                [(media, _)] = response["content"].items()
                assert media in FILE_TYPES, (method, path, status, media)
                continue
            ref = response["content"]["application/json"]["schema"].get("$ref", "")
            name = ref.removeprefix("#/components/schemas/")
            assert name in schemas, (method, path, status, response)
            assert schemas[name].get("additionalProperties") is False, (method, path, name)
            assert schemas[name].get("properties"), (method, path, name)


def test_commands_declare_their_conflicts_and_the_idempotency_key(api: TestClient) -> None:
    commands = [
        (method, path, operation)
        for method, path, operation in operations(api)
        if method in {"post", "patch"} and path.startswith("/v1/")
    ]
    for method, path, operation in commands:
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert {"409", "413", "422"} <= set(operation["responses"]), (method, path)
        assert ("412" in operation["responses"]) == ("If-Match" in headers), (method, path)
        if path not in NOT_RECORDED:
            assert "Idempotency-Key" in headers, (method, path)


def _declared(spec: dict[str, Any], name: str) -> set[str]:
    return set(spec["components"]["schemas"][name]["properties"])


def test_real_problem_bodies_have_the_declared_shape(api: TestClient, world: World) -> None:
    spec = api.get("/openapi.json").json()
    device = world.a.device_in_stock
    invalid = api.post(
        f"/v1/devices/{device}/assign", json={"member_id": 5}, headers=auth(world.a.admin)
    )
    stale = api.post(
        f"/v1/devices/{device}/assign",
        json={"member_id": world.a.employee_member},
        headers={**auth(world.a.admin), "If-Match": '"99"'},
    )
    missing = api.get(f"/v1/devices/{uuid4()}", headers=auth(world.a.admin))
    anonymous = api.get("/v1/devices")
    assert [r.status_code for r in (invalid, stale, missing, anonymous)] == [422, 412, 404, 401]
    for response in (invalid, stale, missing, anonymous):
        body = response.json()
        model = ValidationProblem if response.status_code == 422 else Problem
        assert set(body) <= _declared(spec, model.__name__), body
        assert model.model_validate(body).model_dump(exclude_unset=True) == body
    assert invalid.json()["errors"][0]["field"] == "body.member_id"
    assert stale.json()["current_version"] == 1


def test_an_unknown_query_parameter_is_refused_like_an_unknown_body_field(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)
    misspelt = api.get("/v1/devices", params={"stauts": "active"}, headers=auth(world.a.admin))
    assert_problem(misspelt, 422, "validation")
    assert misspelt.json()["errors"] == [
        {"field": "query.stauts", "message": "Unknown query parameter", "type": "extra_forbidden"}
    ]
    on_a_command = api.post(
        f"/v1/devices/{world.a.device_in_stock}/assign",
        params={"force": "true"},
        json={"member_id": world.a.employee_member},
        headers=auth(world.a.admin),
    )
    assert_problem(on_a_command, 422, "validation")
    assert head(container) == before  # the command was not run
    declared = api.get("/v1/devices", params={"status": "active"}, headers=auth(world.a.admin))
    assert declared.status_code == 200
    assert api.get("/healthz", params={"verbose": "1"}).status_code == 422
    assert api.get("/readyz", params={"verbose": "1"}).status_code == 422


INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _is_money(value: dict[str, Any]) -> bool:
    return "currency" in value and bool({"amount", "minor"} & set(value))


def _money_and_instants(value: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Every money object and every instant in a body, however deep."""
    if isinstance(value, dict):
        found: tuple[list[dict[str, Any]], list[str]] = ([value] if _is_money(value) else [], [])
        parts = value.values()
    elif isinstance(value, list):
        found, parts = ([], []), value
    else:
        return [], [value] if isinstance(value, str) and INSTANT.match(value) else []
    for part in parts:
        money, instants = _money_and_instants(part)
        found[0].extend(money)
        found[1].extend(instants)
    return found


def test_one_money_shape_and_one_instant_format_in_every_response(
    api: TestClient, world: World, container: Container
) -> None:
    settle(api, container, world.a.admin)
    tenant = world.a
    paths = [
        f"/v1/devices/{tenant.device_of_employee}",
        "/v1/devices",
        f"/v1/subscriptions/{tenant.subscription}",
        "/v1/subscriptions",
        f"/v1/subscriptions/{tenant.subscription}/history",
        "/v1/charges",
        "/v1/event-log",
        f"/v1/devices/{tenant.device_of_employee}/events",
        f"/v1/devices/{tenant.device_of_employee}/options",
    ]
    monies, instants = 0, 0
    for path in paths:
        response = api.get(path, headers=auth(tenant.admin))
        assert response.status_code == 200, (path, response.text)
        money, stamps = _money_and_instants(response.json())
        for amount in money:
            assert set(amount) == {"amount", "currency", "minor"}, (path, amount)
        for stamp in stamps:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", stamp), (
                path,
                stamp,
            )
        monies += len(money)
        instants += len(stamps)
    assert monies  # the walk saw both
    assert instants
