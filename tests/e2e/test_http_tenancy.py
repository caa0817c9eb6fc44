"""Tenant isolation (SPEC §1): a token of company A never reads or changes anything of B.

Another tenant's id answers exactly like an id that does not exist (404, same body), so
ids don't leak; lists and the event log never show B's rows to A.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from api.bootstrap import Container
from tests.e2e._http import (
    Tenant,
    TestClient,
    World,
    api_routes,
    assert_problem,
    auth,
    collect_pages,
    head,
    token_id,
    without_instance,
)


@dataclass(frozen=True)
class IdRoute:
    """How to call one route that takes an id: B's id to try, a body, expected statuses."""

    # An id of company B; None for the provider-wide catalog, which has no tenant.
    foreign_id: Callable[[Tenant], str] | None
    own_kind_id: Callable[[Tenant], str]  # an id of company A of another kind (not this route's)
    body: Callable[[World], dict[str, Any] | None]
    # What A's caller gets for B's id (and for an unknown one) per role.
    expected: dict[str, int]


ALL_404 = {"admin": 404, "service": 404, "employee": 404}
ALL_403 = {"admin": 403, "service": 403, "employee": 403}


def _subscription_route(body: Callable[[World], dict[str, Any] | None]) -> IdRoute:
    return IdRoute(
        foreign_id=lambda b: b.subscription,
        own_kind_id=lambda a: a.company_id,
        body=body,
        expected=ALL_404,
    )


def _invoice_route(expected: dict[str, int], body: dict[str, Any] | None) -> IdRoute:
    """The world has no invoices yet: unknown ids and another kind's id answer alike."""
    return IdRoute(
        foreign_id=None, own_kind_id=lambda a: a.company_id, body=lambda w: body, expected=expected
    )


ID_ROUTES: dict[tuple[str, str], IdRoute] = {
    ("GET", "/v1/invoices/{invoice_id}"): _invoice_route(
        {"admin": 404, "service": 403, "employee": 403}, None
    ),
    ("GET", "/v1/invoices/{invoice_id}.pdf"): _invoice_route(
        {"admin": 404, "service": 403, "employee": 403}, None
    ),
    ("GET", "/v1/invoices/{invoice_id}.html"): _invoice_route(
        {"admin": 404, "service": 403, "employee": 403}, None
    ),
    ("GET", "/v1/invoices/{invoice_id}/facturx.pdf"): _invoice_route(
        {"admin": 404, "service": 403, "employee": 403}, None
    ),
    ("POST", "/v1/companies/{company_id}/billing-details"): IdRoute(
        foreign_id=lambda b: b.company_id,
        own_kind_id=lambda a: a.device_in_stock,
        body=lambda w: {"vat_id": "SE556000000001", "country": "SE"},
        expected={"admin": 404, "service": 404, "employee": 404},
    ),
    ("POST", "/v1/invoices/{invoice_id}/issue"): _invoice_route(ALL_403, {}),
    ("GET", "/v1/reconciliations/{reconciliation_id}"): _invoice_route(ALL_403, None),
    ("POST", "/v1/invoices/{invoice_id}/credit-note"): _invoice_route(ALL_403, {}),
    ("POST", "/v1/invoices/{invoice_id}/adjustments"): _invoice_route(
        ALL_403,
        {"line_no": 1, "amount": {"amount": "1.00", "currency": "SEK"}, "description": "x"},
    ),
    # Key batches are the provider's (issued by operators): no company's caller touches one.
    ("POST", "/v1/activation-keys/{batch_id}/void"): IdRoute(
        foreign_id=None, own_kind_id=lambda a: a.company_id, body=lambda w: {}, expected=ALL_403
    ),
    ("GET", "/v1/companies/{company_id}"): IdRoute(
        foreign_id=lambda b: b.company_id,
        own_kind_id=lambda a: a.device_in_stock,
        body=lambda w: None,
        expected=ALL_404,
    ),
    ("PATCH", "/v1/companies/{company_id}"): IdRoute(
        foreign_id=lambda b: b.company_id,
        own_kind_id=lambda a: a.admin_member,
        body=lambda w: {"name": "Taken over", "settings": {"device_buyout": True}},
        expected=ALL_404,
    ),
    ("GET", "/v1/members/{member_id}"): IdRoute(
        foreign_id=lambda b: b.employee_member,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: None,
        expected=ALL_404,
    ),
    ("POST", "/v1/members/{member_id}/last-employment-day"): IdRoute(
        foreign_id=lambda b: b.employee_member,
        own_kind_id=lambda a: a.device_of_employee,
        body=lambda w: {"last_employment_day": "2026-06-30"},
        expected=ALL_404,
    ),
    ("GET", "/v1/devices/{device_id}"): IdRoute(
        foreign_id=lambda b: b.device_of_employee,
        own_kind_id=lambda a: a.employee_member,
        body=lambda w: None,
        expected=ALL_404,
    ),
    ("POST", "/v1/devices/{device_id}/assign"): IdRoute(
        foreign_id=lambda b: b.device_in_stock,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: {"member_id": w.a.employee_member},
        expected=ALL_404,
    ),
    ("POST", "/v1/devices/{device_id}/unassign"): IdRoute(
        foreign_id=lambda b: b.device_of_employee,
        own_kind_id=lambda a: a.other_employee_member,
        body=lambda w: {},
        expected=ALL_404,
    ),
    ("GET", "/v1/devices/{device_id}/events"): IdRoute(
        foreign_id=lambda b: b.device_of_employee,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: None,
        # Employees may not read event logs at all: 403 whatever the id, so nothing leaks.
        expected={"admin": 404, "service": 404, "employee": 403},
    ),
    ("GET", "/v1/subscriptions/{subscription_id}"): _subscription_route(lambda w: None),
    ("GET", "/v1/subscriptions/{subscription_id}/history"): _subscription_route(lambda w: None),
    ("POST", "/v1/subscriptions/{subscription_id}/seats"): _subscription_route(
        lambda w: {"product_id": w.option, "seats": 1}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/seats/quote"): _subscription_route(
        lambda w: {"product_id": w.option, "seats": 1}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/seat-removals"): _subscription_route(
        lambda w: {"product_id": w.option, "seats": 1}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/po-reference"): _subscription_route(
        lambda w: {"po_reference": "PO-HIJACK"}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/renewal-option"): _subscription_route(
        lambda w: {"renewal_option": "none"}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/cancel"): _subscription_route(lambda w: {}),
    ("POST", "/v1/subscriptions/{subscription_id}/licences"): _subscription_route(
        lambda w: {"member_id": w.a.other_employee_member, "product_id": w.option}
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/licences/unassign"): _subscription_route(
        lambda w: {"member_id": w.a.employee_member, "product_id": w.plan}
    ),
    ("POST", "/v1/companies/{company_id}/default-licence"): IdRoute(
        foreign_id=lambda b: b.company_id,
        own_kind_id=lambda a: a.subscription,
        body=lambda w: {"subscription_id": w.b.subscription, "product_id": w.plan},
        expected=ALL_404,
    ),
    # The catalog is the provider's, shared by every company: there is no "B's product".
    # Unknown ids and ids of other kinds still answer alike; only operators change it.
    ("GET", "/v1/catalog/products/{product_id}"): IdRoute(
        foreign_id=None,
        own_kind_id=lambda a: a.device_in_stock,
        body=lambda w: None,
        expected=ALL_404,
    ),
    ("PATCH", "/v1/catalog/products/{product_id}"): IdRoute(
        foreign_id=None,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: {"name": "Renamed by a customer"},
        expected=ALL_403,
    ),
    # Usage takes no id in its path (a month, a kind; the company is a query parameter, in
    # tests/e2e/test_http_usage.py): an id there is malformed for every role.
    ("GET", "/v1/usage/months/{month}"): IdRoute(
        foreign_id=None,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: None,
        expected={"admin": 422, "service": 422, "employee": 422},
    ),
    ("POST", "/v1/usage/prices/{kind}"): IdRoute(
        foreign_id=None,
        own_kind_id=lambda a: a.company_id,
        body=lambda w: {"prices": {"SEK": "1.00"}},
        expected={"admin": 422, "service": 422, "employee": 422},
    ),
    # End of lease: every device route answers B's ids exactly like unknown ones.
    **{
        (method, "/v1/devices/{device_id}" + tail): IdRoute(
            foreign_id=lambda b: b.device_of_employee,
            own_kind_id=lambda a: a.company_id,
            body=body,
            expected=ALL_404,
        )
        for method, tail, body in [
            ("GET", "/options", lambda w: None),
            ("POST", "/preliminary-choice", lambda w: {"choice": "return"}),
            ("POST", "/return", lambda w: {}),
            ("POST", "/buyout", lambda w: {}),
            ("POST", "/buyout/cancel", lambda w: {}),
            ("POST", "/received", lambda w: {}),
            ("POST", "/delivered", lambda w: {}),
            ("POST", "/serial", lambda w: {"serial": "HIJACK-1"}),
            ("POST", "/release", lambda w: {}),
            ("POST", "/return-confirmation", lambda w: {}),
            ("POST", "/removal", lambda w: {}),
            ("POST", "/rma-swap", lambda w: {"serial": "HIJACK-2", "model": "X"}),
            ("POST", "/rental-deactivation", lambda w: {}),
            ("POST", "/rental/deactivation", lambda w: {}),
            ("POST", "/rental", lambda w: {"rate": 2}),
            ("POST", "/rental/swap", lambda w: {"replacement_id": w.a.device_in_stock}),
            ("GET", "/rental/licence", lambda w: None),
            ("POST", "/buyout-price", lambda w: {"amount": {"amount": "1.00", "currency": "SEK"}}),
            ("POST", "/buyout-availability", lambda w: {"available": False}),
            (
                "POST",
                "/replacements",
                lambda w: {
                    "serial": "HIJACK-3",
                    "model": "X",
                    "category": "laptop",
                    "company_cost": {"amount": "1.00", "currency": "SEK"},
                    "contract_type": "purchased",
                },
            ),
        ]
    },
    **{
        (method, "/v1/companies/{company_id}/valuation/{category}" + tail): IdRoute(
            foreign_id=lambda b: b.company_id,
            own_kind_id=lambda a: a.device_in_stock,
            body=body,
            expected=ALL_404,
        )
        for method, tail, body in [
            ("GET", "", lambda w: None),
            ("POST", "/automatic", lambda w: {"enabled": True}),
            ("POST", "/curve", lambda w: {"points": [[0, "100"], [12, "50"]], "floor": "5"}),
            ("POST", "/curve/clear", lambda w: {}),
        ]
    },
}


def test_the_table_covers_every_route_that_takes_an_id(api: TestClient) -> None:
    routes = api_routes(api.app)
    # Public pages outside /v1 (Stripe Checkout's landing pages) show no data of anyone.
    with_ids = {(m, p) for m, p in routes if "{" in p and p.startswith("/v1/")}
    assert ("GET", "/v1/devices/{device_id}") in with_ids, routes  # the listing works at all
    uncovered = with_ids - ID_ROUTES.keys()
    assert not uncovered, f"routes with a path id missing from the tenancy table: {uncovered}"
    stale = ID_ROUTES.keys() - with_ids
    assert not stale, f"tenancy table names routes the app does not have: {stale}"


def _call(api: TestClient, method: str, template: str, id_: str, secret: str, body: Any):
    path = template.split("{")[0] + id_ + template.split("}", 1)[1]
    if body is None:
        return api.request(method, path, headers=auth(secret))
    return api.request(method, path, json=body, headers=auth(secret))


def test_another_tenants_ids_answer_exactly_like_unknown_ids(
    api: TestClient, world: World, container: Container
) -> None:
    a, b = world.a, world.b
    before = head(container)
    for (method, template), route in ID_ROUTES.items():
        for role, status in route.expected.items():
            secret = a.token(role)
            body = route.body(world)
            unknown = _call(api, method, template, str(uuid4()), secret, body)
            other_kind = _call(api, method, template, route.own_kind_id(a), secret, body)
            where = f"{role}: {method} {template}"
            unknown_body = assert_problem(unknown, status)
            other_kind_body = assert_problem(other_kind, status)
            assert without_instance(other_kind_body) == without_instance(unknown_body), where
            if route.foreign_id is None:
                continue
            foreign = _call(api, method, template, route.foreign_id(b), secret, body)
            foreign_body = assert_problem(foreign, status)
            assert without_instance(foreign_body) == without_instance(unknown_body), where
            assert foreign.headers.keys() == unknown.headers.keys(), where
            assert route.foreign_id(b) not in foreign_body["detail"], where
    assert head(container) == before, "a refused cross-tenant request wrote events"

    # B's data is exactly as it was.
    company = api.get(f"/v1/companies/{b.company_id}", headers=auth(b.admin)).json()
    assert company["name"] == "Company B"
    assert company["settings"]["device_buyout"] is False
    member = api.get(f"/v1/members/{b.employee_member}", headers=auth(b.admin)).json()
    assert member["last_employment_day"] is None
    device = api.get(f"/v1/devices/{b.device_of_employee}", headers=auth(b.admin)).json()
    assert device["assignee_id"] == b.employee_member
    assert (
        api.get(f"/v1/devices/{b.device_in_stock}", headers=auth(b.admin)).json()["assignee_id"]
        is None
    )
    subscription = api.get(f"/v1/subscriptions/{b.subscription}", headers=auth(b.admin)).json()
    assert subscription["version"] == 3  # created, charged, one licence: nothing since
    assert subscription["po_reference"] == "PO-1"
    assert subscription["cancel_at_term_end"] is False
    company_b = api.get(f"/v1/companies/{b.company_id}", headers=auth(b.admin)).json()
    assert company_b["version"] == 1
    product = api.get(f"/v1/catalog/products/{world.plan}", headers=auth(a.admin)).json()
    assert product["name"] == "Basic plan"
    assert product["version"] == 1


def test_the_operator_reaches_every_tenant(api: TestClient, world: World) -> None:
    for tenant in (world.a, world.b):
        for template, id_ in (
            ("/v1/companies/{}", tenant.company_id),
            ("/v1/members/{}", tenant.employee_member),
            ("/v1/devices/{}", tenant.device_of_employee),
            ("/v1/devices/{}/events", tenant.device_of_employee),
        ):
            response = api.get(template.format(id_), headers=auth(world.operator))
            assert response.status_code == 200, (template, response.text)


def _foreign_device_ids(b: Tenant) -> set[str]:
    return set(b.device_ids)


def test_the_hardware_overview_never_shows_another_tenants_devices(
    api: TestClient, world: World
) -> None:
    a, b = world.a, world.b
    for role in ("admin", "service"):
        secret = a.token(role)
        items = collect_pages(api, "/v1/devices", secret, {"limit": 1})
        assert {i["device_id"] for i in items} == set(a.device_ids), role
        assert {i["company_id"] for i in items} == {a.company_id}
        # Both companies have a device "SN-0001": A only ever finds its own.
        by_serial = collect_pages(api, "/v1/devices", secret, {"serial": "SN-0001"})
        assert [i["device_id"] for i in by_serial] == [a.device_of_employee]
        # Filtering by one of B's members finds nothing (not B's device).
        by_b_member = collect_pages(api, "/v1/devices", secret, {"assignee_id": b.employee_member})
        assert by_b_member == []
        own_company = collect_pages(api, "/v1/devices", secret, {"company_id": a.company_id})
        assert {i["device_id"] for i in own_company} == set(a.device_ids)

        asked_for_b = api.get(
            "/v1/devices", params={"company_id": b.company_id}, headers=auth(secret)
        )
        asked_unknown = api.get(
            "/v1/devices", params={"company_id": str(uuid4())}, headers=auth(secret)
        )
        assert without_instance(assert_problem(asked_for_b, 404)) == without_instance(
            assert_problem(asked_unknown, 404)
        )

    # An employee sees only the devices assigned to them, whatever they ask for.
    for params in (
        {},
        {"company_id": a.company_id},
        {"assignee_id": a.other_employee_member},
        {"serial": "SN-0002"},
    ):
        items = collect_pages(api, "/v1/devices", a.employee, params)
        assert {i["device_id"] for i in items} <= {a.device_of_employee}, params
    assert [i["device_id"] for i in collect_pages(api, "/v1/devices", a.employee)] == [
        a.device_of_employee
    ]
    assert_problem(
        api.get("/v1/devices", params={"company_id": b.company_id}, headers=auth(a.employee)),
        404,
    )

    # The operator sees both tenants, and can narrow to one.
    everything = collect_pages(api, "/v1/devices", world.operator)
    assert {i["device_id"] for i in everything} == set(a.device_ids) | _foreign_device_ids(b)
    only_b = collect_pages(api, "/v1/devices", world.operator, {"company_id": b.company_id})
    assert {i["device_id"] for i in only_b} == set(b.device_ids)


def test_the_event_log_never_shows_another_tenants_events(api: TestClient, world: World) -> None:
    a, b = world.a, world.b
    b_ids = {b.company_id, *b.member_ids, *b.device_ids}
    b_actors = {token_id(b.admin), token_id(b.service)}
    for role in ("admin", "service"):
        secret = a.token(role)
        items = collect_pages(api, "/v1/event-log", secret, {"limit": 7})
        assert items, role
        assert {i["company_id"] for i in items} == {a.company_id}, role
        assert not {i["aggregate_id"] for i in items} & b_ids
        assert not {i["actor"]["id"] for i in items} & b_actors
        assert "Company B" not in str(items)
        operations = {i["operation"] for i in items}
        assert {"Company.Registered", "Member.Registered", "Device.Assigned"} <= operations

        for params in (
            {"aggregate_id": b.device_of_employee},
            {"aggregate_id": b.company_id},
            {"actor_id": token_id(b.admin)},
            {"actor_id": token_id(b.service)},
        ):
            assert collect_pages(api, "/v1/event-log", secret, params) == [], params

        asked_for_b = api.get(
            "/v1/event-log", params={"company_id": b.company_id}, headers=auth(secret)
        )
        asked_unknown = api.get(
            "/v1/event-log", params={"company_id": str(uuid4())}, headers=auth(secret)
        )
        assert without_instance(assert_problem(asked_for_b, 404)) == without_instance(
            assert_problem(asked_unknown, 404)
        )

    everything = collect_pages(api, "/v1/event-log", world.operator, {"limit": 500})
    assert {a.company_id, b.company_id} <= {i["company_id"] for i in everything}
    only_b = collect_pages(api, "/v1/event-log", world.operator, {"company_id": b.company_id})
    assert only_b
    assert {i["company_id"] for i in only_b} == {b.company_id}


def test_subscription_lists_and_charges_never_show_another_tenants_rows(
    api: TestClient, world: World
) -> None:
    a, b = world.a, world.b
    for role, paths in (
        ("admin", ("/v1/subscriptions", "/v1/charges")),
        ("service", ("/v1/subscriptions",)),
    ):
        secret = a.token(role)
        for path in paths:
            items = collect_pages(api, path, secret, {"limit": 1})
            assert items, (role, path)
            assert {i["company_id"] for i in items} == {a.company_id}, (role, path)
            assert {i["subscription_id"] for i in items} == {a.subscription}, (role, path)
            asked_for_b = api.get(path, params={"company_id": b.company_id}, headers=auth(secret))
            asked_unknown = api.get(path, params={"company_id": str(uuid4())}, headers=auth(secret))
            assert without_instance(assert_problem(asked_for_b, 404)) == without_instance(
                assert_problem(asked_unknown, 404)
            )
    # Naming B's subscription in a filter finds nothing of it.
    by_b = collect_pages(api, "/v1/charges", a.admin, {"subscription_id": b.subscription})
    assert by_b == []
    # The operator sees both.
    everything = collect_pages(api, "/v1/subscriptions", world.operator)
    assert {i["subscription_id"] for i in everything} == {a.subscription, b.subscription}


def test_foreign_ids_inside_command_bodies_are_404_like_unknown_ones(
    api: TestClient, world: World, container: Container
) -> None:
    a, b = world.a, world.b
    before = head(container)
    pairs = [
        # Licence on A's subscription for B's member.
        (
            f"/v1/subscriptions/{a.subscription}/licences",
            {"member_id": b.other_employee_member, "product_id": world.option},
            {"member_id": str(uuid4()), "product_id": world.option},
        ),
        # A's default licence pointing at B's subscription.
        (
            f"/v1/companies/{a.company_id}/default-licence",
            {"subscription_id": b.subscription, "product_id": world.plan},
            {"subscription_id": str(uuid4()), "product_id": world.plan},
        ),
        # A's device handing its rental over to B's device.
        (
            f"/v1/devices/{a.device_of_employee}/rental/swap",
            {"replacement_id": b.device_in_stock},
            {"replacement_id": str(uuid4())},
        ),
        # A key redeemed onto B's rental account by A's admin.
        (
            "/v1/rental-account/redemptions",
            {"code": "ISC-AAAA-AAAA-AAAA", "company_id": b.company_id},
            {"code": "ISC-AAAA-AAAA-AAAA", "company_id": str(uuid4())},
        ),
        # A subscription bought for company B by A's admin.
        (
            "/v1/subscriptions",
            {
                "company_id": b.company_id,
                "lines": [{"product_id": world.plan, "seats": 1}],
                "start_date": "2026-04-01",
                "term": "1y",
            },
            {
                "company_id": str(uuid4()),
                "lines": [{"product_id": world.plan, "seats": 1}],
                "start_date": "2026-04-01",
                "term": "1y",
            },
        ),
    ]
    for path, foreign, unknown in pairs:
        got_foreign = api.post(path, json=foreign, headers=auth(a.admin))
        got_unknown = api.post(path, json=unknown, headers=auth(a.admin))
        assert without_instance(assert_problem(got_foreign, 404)) == without_instance(
            assert_problem(got_unknown, 404)
        ), path
    assert head(container) == before
