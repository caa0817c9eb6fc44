"""Helpers for the end-to-end HTTP tests: tokens, problem checks, route listing, the world.

Everything a test needs is built through the public HTTP API (companies, members,
devices, assignments); only bearer tokens are issued directly, the way the
`lessor tokens create` CLI does it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from adapters.token_secrets import hash_token
from api.bootstrap import Container
from api.http.app import create_app
from domain.model.actor import Role
from domain.model.api_token import token_id_for
from tests.conftest import issue_token

with warnings.catch_warnings():
    # Starlette nudges towards its `httpx2` fork; the project's dev extra pins httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PROBLEM_JSON = "application/problem+json"
SHORT_READ_WAIT_S = 0.3  # read_wait_timeout_s of the container used for the 503 path
PROBLEM_TYPE_BASE = "https://lessor.dev/problems/"
PROBLEM_KEYS = frozenset({"type", "title", "status", "detail"})

# What a leaked stack trace or source location looks like in a response body.
_LEAK = re.compile(r"Traceback|File \"|\.py\b|site-packages|/work/|/src/|/usr/lib", re.IGNORECASE)


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def token_id(secret: str) -> str:
    """The actor id the event log records for requests made with this token."""
    return str(token_id_for(hash_token(secret)))


def head(container: Container) -> int:
    """The event store's position: unchanged means nothing at all was written."""
    return int(container.app.recorder.max_notification_id() or 0)


def position(response: httpx.Response) -> int:
    return int(response.headers["Lessor-Position"])


def assert_no_leak(response: httpx.Response) -> None:
    text = response.text
    match = _LEAK.search(text)
    assert match is None, (
        f"{response.request.method} {response.request.url} answered {response.status_code} "
        f"with internals in its body ({match.group(0)!r}): {text[:500]}"
    )


def check_response(response: httpx.Response) -> None:
    """Applied to every response of every e2e test (an httpx response hook)."""
    response.read()
    assert_no_leak(response)
    if response.status_code >= 400:
        assert response.headers.get("content-type") == PROBLEM_JSON, (
            f"{response.request.method} {response.request.url}: error {response.status_code} "
            f"is not problem+json: {response.headers.get('content-type')} {response.text[:300]}"
        )
    assert response.status_code != 500, (
        f"{response.request.method} {response.request.url} answered 500 (a server bug, "
        f"not a client error): {response.text[:300]}"
    )


def make_client(container: Container, *, start_projector: bool = True) -> TestClient:
    """The real app around `container`; enter it (`with`) to run the lifespan and projector.

    raise_server_exceptions=False: a 500 comes back as a response, which `check_response`
    then reports with its request, instead of as a bare exception from inside the app.
    """
    app = create_app(container, start_projector=start_projector)
    client = TestClient(app, raise_server_exceptions=False)
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


def assert_problem(
    response: httpx.Response, status: int, kind: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with this status (and problem type slug, when given)."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text[:500]}"
    )
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert isinstance(body, dict)
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["type"].startswith(PROBLEM_TYPE_BASE), body
    if kind is not None:
        assert body["type"] == PROBLEM_TYPE_BASE + kind, body
    assert_no_leak(response)
    return body


def without_instance(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus `instance` (the request path, which holds the id asked for)."""
    return {k: v for k, v in body.items() if k != "instance"}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path template) of every API route, from app.routes and the OpenAPI document.

    Newer FastAPI keeps included routers nested in app.routes; `iter_route_contexts`
    flattens them. The OpenAPI paths are added so a route hidden from one view still counts.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    found: set[tuple[str, str]] = set()
    for route in routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute):
            for method in route.methods or ():
                found.add((method.upper(), str(route.path)))
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            found.add((method.upper(), path))
    return found


def collect_pages(
    client: TestClient,
    path: str,
    secret: str,
    params: dict[str, Any] | None = None,
    *,
    min_position: int | None = None,
) -> list[dict[str, Any]]:
    """Follow next_cursor to the end; every page must be a 200.

    `min_position` (a command's Lessor-Position) makes the first page wait for the write.
    """
    items: list[dict[str, Any]] = []
    query = dict(params or {})
    if min_position is not None:
        query["min_position"] = min_position
    for _ in range(1000):
        response = client.get(path, params=query, headers=auth(secret))
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]
    raise AssertionError(f"{path}: pagination did not end")


def device_body(
    serial: str,
    *,
    company_id: str | None = None,
    currency: str = "SEK",
    amount: str = "12000.00",
    category: str = "laptop",
    contract_type: str = "purchased",
    lease_start: str | None = None,
    renewal_date: str | None = None,
    model: str = "ThinkPad T14",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "serial": serial,
        "model": model,
        "category": category,
        "company_cost": {"amount": amount, "currency": currency},
        "contract_type": contract_type,
    }
    if company_id is not None:
        body["company_id"] = company_id
    if lease_start is not None:
        body["lease_start"] = lease_start
    if renewal_date is not None:
        body["renewal_date"] = renewal_date
    return body


@dataclass
class Tenant:
    """One company as seen from the outside, with a token for each kind of caller."""

    company_id: str
    currency: str
    admin_member: str
    employee_member: str
    other_employee_member: str
    admin: str  # token secrets
    service: str
    employee: str
    other_employee: str
    device_of_employee: str  # assigned to employee_member
    device_of_other_employee: str  # assigned to other_employee_member
    device_in_stock: str
    subscription: str  # monthly: plan (employee holds a licence) and option seats
    serials: list[str] = field(default_factory=list)

    def token(self, role: str) -> str:
        return {"admin": self.admin, "service": self.service, "employee": self.employee}[role]

    @property
    def member_ids(self) -> list[str]:
        return [self.admin_member, self.employee_member, self.other_employee_member]

    @property
    def device_ids(self) -> list[str]:
        return [self.device_of_employee, self.device_of_other_employee, self.device_in_stock]


@dataclass
class World:
    operator: str
    plan: str  # catalog product ids (the catalog is provider-wide)
    option: str
    a: Tenant
    b: Tenant


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def register_company(client: TestClient, operator: str, name: str, currency: str) -> str:
    response = client.post(
        "/v1/companies", json={"name": name, "currency": currency}, headers=auth(operator)
    )
    return str(created(response)["id"])


def register_member(
    client: TestClient, secret: str, company_id: str, name: str, email: str, role: str
) -> str:
    response = client.post(
        "/v1/members",
        json={"company_id": company_id, "name": name, "email": email, "role": role},
        headers=auth(secret),
    )
    return str(created(response)["id"])


def register_device(client: TestClient, secret: str, body: dict[str, Any]) -> str:
    return str(created(client.post("/v1/devices", json=body, headers=auth(secret)))["id"])


def assign(client: TestClient, secret: str, device_id: str, member_id: str) -> httpx.Response:
    response = client.post(
        f"/v1/devices/{device_id}/assign", json={"member_id": member_id}, headers=auth(secret)
    )
    assert response.status_code == 200, response.text
    return response


def add_product(client: TestClient, operator: str, code: str, name: str, kind: str) -> str:
    response = client.post(
        "/v1/catalog/products",
        json={"code": code, "name": name, "kind": kind, "prices": {"SEK": "99.00", "EUR": "9.00"}},
        headers=auth(operator),
    )
    return str(created(response)["id"])


def subscription_body(plan: str, option: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lines": [{"product_id": plan, "seats": 10}, {"product_id": option, "seats": 5}],
        "start_date": "2026-03-01",
        "term": "monthly",
        "po_reference": "PO-1",
        "renewal_option": "every_time",
    }
    body.update(changes)
    return body


def build_tenant(
    client: TestClient,
    container: Container,
    operator: str,
    tag: str,
    currency: str,
    products: tuple[str, str],
) -> Tenant:
    """A company with an admin, two employees, a service account, three devices and a
    monthly subscription whose plan licence the first employee holds.

    Both tenants use the same serial numbers on purpose (serials are unique per company),
    so a filter by serial can only ever find one's own device.
    """
    company_id = register_company(client, operator, f"Company {tag}", currency)
    low = tag.lower()
    admin_member = register_member(
        client, operator, company_id, f"Admin {tag}", f"admin@{low}.example", "admin"
    )
    admin = issue_token(container, Role.ADMIN, UUID(company_id), UUID(admin_member))
    employee_member = register_member(
        client, admin, company_id, f"Eva {tag}", f"eva@{low}.example", "employee"
    )
    other_employee_member = register_member(
        client, admin, company_id, f"Erik {tag}", f"erik@{low}.example", "employee"
    )
    service = issue_token(container, Role.SERVICE, UUID(company_id))
    employee = issue_token(container, Role.EMPLOYEE, UUID(company_id), UUID(employee_member))
    other_employee = issue_token(
        container, Role.EMPLOYEE, UUID(company_id), UUID(other_employee_member)
    )
    serials = ["SN-0001", "SN-0002", "SN-0003"]
    devices = [
        register_device(client, admin, device_body(serial, currency=currency)) for serial in serials
    ]
    assign(client, admin, devices[0], employee_member)
    assign(client, service, devices[1], other_employee_member)
    plan, option = products
    subscription = str(
        created(
            client.post(
                "/v1/subscriptions", json=subscription_body(plan, option), headers=auth(admin)
            )
        )["id"]
    )
    licence = client.post(
        f"/v1/subscriptions/{subscription}/licences",
        json={"member_id": employee_member, "product_id": plan},
        headers=auth(admin),
    )
    assert licence.status_code == 200, licence.text
    return Tenant(
        company_id=company_id,
        currency=currency,
        admin_member=admin_member,
        employee_member=employee_member,
        other_employee_member=other_employee_member,
        admin=admin,
        service=service,
        employee=employee,
        other_employee=other_employee,
        device_of_employee=devices[0],
        device_of_other_employee=devices[1],
        device_in_stock=devices[2],
        subscription=subscription,
        serials=serials,
    )


def build_world(client: TestClient, container: Container) -> World:
    operator = issue_token(container, Role.OPERATOR)
    plan = add_product(client, operator, "PLAN-BASIC", "Basic plan", "plan")
    option = add_product(client, operator, "REP-SU", "Reporting – Superuser", "option")
    a = build_tenant(client, container, operator, "A", "SEK", (plan, option))
    b = build_tenant(client, container, operator, "B", "EUR", (plan, option))
    settle(client, container, operator)
    return World(operator=operator, plan=plan, option=option, a=a, b=b)


def settle(client: TestClient, container: Container, secret: str) -> None:
    """Wait (through the API) until both read models have folded everything written so far."""
    reached = head(container)
    for path in ("/v1/devices", "/v1/event-log", "/v1/subscriptions", "/v1/charges"):
        response = client.get(
            path, params={"min_position": reached, "limit": 1}, headers=auth(secret)
        )
        assert response.status_code == 200, response.text
