"""The scene the console's overview pages show — built through the public API, as a
company's admins and the provider's operators would — and a browser-like client that
still fails on a 500 or a leaked trace (tests/e2e/_console.py signs it in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.time import local_midnight
from tests.e2e._console import csrf_of, sign_in
from tests.e2e._http import (
    TestClient,
    World,
    assert_no_leak,
    assign,
    auth,
    created,
    device_body,
    register_device,
    register_member,
    settle,
)

# User text that must render as text: in a company, a device model and a member name.
SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def browser(api: TestClient) -> TestClient:
    """A client of the same app that keeps cookies and takes HTML errors (the console's
    404 is a page, not problem+json); it still fails on a 500 or a leaked trace."""

    def check(response: httpx.Response) -> None:
        response.read()
        assert_no_leak(response)
        assert response.status_code != 500, response.text[:300]

    client = TestClient(api.app, raise_server_exceptions=False, follow_redirects=False)
    client.event_hooks = {"request": [], "response": [check]}
    return client


def sign_in_as(client: TestClient, secret: str) -> None:
    """A new session for `secret` in the same browser (the last one's cookie replaced)."""
    client.cookies.clear()
    signed = sign_in(client, secret)
    assert signed.status_code == 303, signed.text[:500]


def pick_company(client: TestClient, company_id: str) -> None:
    """An operator chooses the company the pages show."""
    page = client.get("/console/hardware")
    picked = client.post(
        "/console/company", data={"csrf_token": csrf_of(page.text), "company_id": company_id}
    )
    assert picked.status_code == 303, picked.text[:500]


def page(client: TestClient, path: str, **params: Any) -> httpx.Response:
    response = client.get(path, params=params) if params else client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:800]}"
    assert response.text.count("<h1") == 1
    return response


@dataclass
class Scene:
    world: World
    leased: str  # tenant A's leased phone: in its options window, the employee chose buyout
    odd: str  # tenant A's device whose model and assignee's name are markup
    odd_member: str
    invoice: str  # tenant A's issued invoice


def build_scene(api: TestClient, container: Container, clock: FixedClock, world: World) -> Scene:
    a, op = world.a, world.operator
    # Markup in a company name, a device model and a member name (it must show as text).
    renamed = api.patch(
        f"/v1/companies/{a.company_id}", json={"name": f"Acme {SCRIPT}"}, headers=auth(op)
    )
    assert renamed.status_code == 200, renamed.text
    enabled = api.patch(
        f"/v1/companies/{a.company_id}",
        json={"settings": {"device_buyout": True}},
        headers=auth(a.admin),
    )
    assert enabled.status_code == 200, enabled.text
    automatic = api.post(
        f"/v1/companies/{a.company_id}/valuation/phone/automatic",
        json={"enabled": True},
        headers=auth(a.admin),
    )
    assert automatic.status_code == 200, automatic.text
    odd_member = register_member(
        api, a.admin, a.company_id, f"Mallory {IMG}", "mallory@a.example", "employee"
    )
    odd = register_device(api, a.admin, device_body("SN-ODD", model=f"Model {SCRIPT}"))
    assign(api, a.admin, odd, odd_member)
    licence = api.post(
        f"/v1/subscriptions/{a.subscription}/licences",
        json={"member_id": odd_member, "product_id": world.plan},
        headers=auth(a.admin),
    )
    assert licence.status_code == 200, licence.text

    # A leased phone three months before its renewal: the employee plans a buyout.
    leased = register_device(
        api,
        a.admin,
        device_body(
            "SN-LEASE",
            category="phone",
            contract_type="leased",
            lease_start="2024-05-15",
            renewal_date="2026-05-15",
            model="Pixel 8",
        ),
    )
    assign(api, a.admin, leased, a.employee_member)
    report = container.scheduler.tick(clock.now())
    assert report.failures == [], report.failures
    chose = api.post(
        f"/v1/devices/{leased}/preliminary-choice",
        json={"choice": "buyout"},
        headers=auth(a.employee),
    )
    assert chose.status_code == 200, chose.text

    _rentals(api, world)
    _usage(api, world)
    invoice = _issued_invoice(api, container, clock, world)
    settle(api, container, op)
    return Scene(world=world, leased=leased, odd=odd, odd_member=odd_member, invoice=invoice)


def _rentals(api: TestClient, world: World) -> None:
    """Tenant A's rental account: 100 credits, one rented phone at 3 a day."""
    a = world.a
    keys = api.post(
        "/v1/activation-keys", json={"credits": 100, "count": 1}, headers=auth(world.operator)
    )
    [code] = created(keys)["codes"]
    redeemed = api.post(
        "/v1/rental-account/redemptions", json={"code": code}, headers=auth(a.admin)
    )
    assert redeemed.is_success, redeemed.text
    phone = register_device(
        api,
        a.admin,
        device_body("SN-RENT", category="phone", contract_type="rental", model="IP232"),
    )
    rented = api.post(f"/v1/devices/{phone}/rental", json={"rate": 3}, headers=auth(a.admin))
    assert rented.is_success, rented.text


def _usage(api: TestClient, world: World) -> None:
    """Two superusers of tenant A active this month (T0 is 2 March 2026)."""
    changes = [
        {
            "change_id": f"u-{n}",
            "kind": "superuser",
            "entity_id": who,
            "action": "activated",
            "at": "2026-03-01T08:00:00Z",
        }
        for n, who in enumerate(("ann", "bob"))
    ]
    recorded = api.post("/v1/usage/changes", json={"changes": changes}, headers=auth(world.a.admin))
    assert recorded.status_code == 200, recorded.text


def _issued_invoice(api: TestClient, container: Container, clock: FixedClock, world: World) -> str:
    """Tenant A's March invoice (its monthly subscription), drafted and issued."""
    a, op = world.a, world.operator
    march = local_midnight(date(2026, 3, 1), "Europe/Stockholm")
    assert clock.now() >= march
    ran = api.post(
        "/v1/invoice-runs", json={"company_id": a.company_id, "month": "2026-03"}, headers=auth(op)
    )
    assert ran.is_success, ran.text
    settle(api, container, op)
    drafts = api.get(
        "/v1/invoices", params={"company_id": a.company_id, "status": "draft"}, headers=auth(op)
    )
    [draft] = drafts.json()["items"]
    issued = api.post(f"/v1/invoices/{draft['invoice_id']}/issue", json={}, headers=auth(op))
    assert issued.status_code == 201, issued.text
    return str(draft["invoice_id"])
