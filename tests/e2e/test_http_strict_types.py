"""Request bodies take JSON types as sent (issue 9, finding 2): a count is a JSON integer,
never `true`, `"5"`, `" 3 "` or `2.0`; a flag is a JSON boolean, never 1 or "true"; a date
is a string, never a number. Each is a 422 problem naming the field, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.bootstrap import Container
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    device_body,
    head,
    subscription_body,
)

# name -> (path, body, the field its problem names)
Case = tuple[Callable[[World], str], Callable[[World], dict[str, Any]], str]


def _seats(seats: Any) -> Case:
    return (
        lambda w: f"/v1/subscriptions/{w.a.subscription}/seats",
        lambda w: {"product_id": w.option, "seats": seats},
        "body.seats",
    )


def _unassign(expected_version: Any) -> Case:
    return (
        lambda w: f"/v1/devices/{w.a.device_of_employee}/unassign",
        lambda w: {"expected_version": expected_version},
        "body.expected_version",
    )


def _availability(available: Any) -> Case:
    return (
        lambda w: f"/v1/devices/{w.a.device_in_stock}/buyout-availability",
        lambda w: {"available": available},
        "body.available",
    )


CASES: dict[str, Case] = {
    "seats-true": _seats(True),
    "seats-numeric-string": _seats("5"),
    "seats-padded-numeric-string": _seats(" 3 "),
    "seats-float": _seats(2.0),
    "expected-version-true": _unassign(True),
    "expected-version-float": _unassign(2.0),
    "expected-version-numeric-string": _unassign("2"),
    "flag-as-integer": _availability(1),
    "flag-as-string": _availability("false"),
    "subscription-line-seats-string": (
        lambda w: "/v1/subscriptions",
        lambda w: {
            **subscription_body(w.plan, w.option),
            "lines": [{"product_id": w.plan, "seats": "10"}],
        },
        "body.lines.0.seats",
    ),
    "separate-invoice-as-integer": (
        lambda w: "/v1/subscriptions",
        lambda w: subscription_body(w.plan, w.option, separate_invoice=1),
        "body.separate_invoice",
    ),
    "date-as-a-number": (
        lambda w: "/v1/devices",
        lambda w: {
            **device_body("SN-STRICT", contract_type="leased", renewal_date="2029-01-01"),
            "lease_start": 0,
        },
        "body.lease_start",
    ),
    "date-as-a-numeric-string": (
        lambda w: "/v1/devices",
        lambda w: device_body(
            "SN-STRICT", contract_type="leased", lease_start="0", renewal_date="2029-01-01"
        ),
        "body.lease_start",
    ),
    "curve-month-as-string": (
        lambda w: f"/v1/companies/{w.a.company_id}/valuation/phone/curve",
        lambda w: {"points": [["0", "100"], [36, "10"]], "floor": "5"},
        "body.points.0.0",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_body_value_of_the_wrong_json_type_is_422_and_writes_nothing(
    api: TestClient, world: World, container: Container, name: str
) -> None:
    path_of, body_of, field = CASES[name]
    before = head(container)

    response = api.post(path_of(world), json=body_of(world), headers=auth(world.a.admin))

    problem = assert_problem(response, 422, "validation")
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert head(container) == before


def test_a_company_setting_must_be_a_json_boolean(
    api: TestClient, world: World, container: Container
) -> None:
    before = head(container)
    response = api.patch(
        f"/v1/companies/{world.a.company_id}",
        json={"settings": {"auto_mark_received": 1}},
        headers=auth(world.a.admin),
    )
    problem = assert_problem(response, 422, "validation")
    assert "body.settings.auto_mark_received" in {e["field"] for e in problem["errors"]}
    assert head(container) == before


def test_the_same_values_in_their_json_types_go_through(api: TestClient, world: World) -> None:
    """The control: the refusals above are about the type, not the value."""
    a = world.a
    seats = api.post(
        f"/v1/subscriptions/{a.subscription}/seats",
        json={"product_id": world.option, "seats": 3},
        headers=auth(a.admin),
    )
    assert seats.status_code == 200, seats.text
    available = api.post(
        f"/v1/devices/{a.device_in_stock}/buyout-availability",
        json={"available": False, "expected_version": 1},
        headers=auth(a.admin),
    )
    assert available.status_code == 200, available.text
    leased = api.post(
        "/v1/devices",
        json=device_body(
            "SN-STRICT-OK",
            contract_type="leased",
            lease_start="2026-01-01",
            renewal_date="2029-01-01",
        ),
        headers=auth(a.admin),
    )
    assert leased.status_code == 201, leased.text
