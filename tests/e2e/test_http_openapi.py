"""The OpenAPI document tells the truth: stable operation ids, declared errors, typed bodies."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e._http import TestClient

# Pinned: renaming an operation renames a generated client's function, so it shows here.
OPERATION_IDS = [
    "companies_register",
    "companies_list",
    "companies_get",
    "companies_change",
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
    "subscriptions_remove_seats",
    "subscriptions_change_po_reference",
    "subscriptions_change_renewal_option",
    "subscriptions_cancel",
    "subscriptions_assign_licence",
    "subscriptions_unassign_licence",
    "subscriptions_choose_default_licence",
    "subscriptions_list_charges",
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
    "end_of_lease_buyout_price",
    "end_of_lease_buyout_availability",
    "end_of_lease_valuation_chart",
    "end_of_lease_automatic_valuation",
    "end_of_lease_save_curve",
    "end_of_lease_clear_curve",
    "sandbox_show_clock",
    "sandbox_move_clock",
    "webhooks_stripe",
    "health_status",
]


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
