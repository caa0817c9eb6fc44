"""POST /webhooks/stripe end to end: the real app on the real store (both stores).

Given a device whose employee opened a buyout checkout (through the HTTP API, the
container's payment gateway and the local Stripe stand-in), Stripe's events are delivered
the way Stripe delivers them: more than once, out of order, sometimes forged. The last
test walks the whole buyout offline, with the stand-in's Pay and Decline buttons sending
the webhooks to our API served on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import stripe
import uvicorn

from adapters.clock import FixedClock
from adapters.stripe_standin import StandInGateway
from api.bootstrap import Container, build, init_database
from api.http.app import create_app
from api.settings import Settings
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import (
    TestClient,
    assert_problem,
    assign,
    auth,
    created,
    device_body,
    head,
    make_client,
    register_device,
    register_member,
)

PRICE = {"amount": "3420.00", "currency": "SEK"}
PRICE_MINOR = 342000
FINAL_DECISION_DUE = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # R = 2026-04-15; R − 1 m passed


@dataclass(frozen=True)
class Checkout:
    company_id: str
    admin: str
    employee: str
    device_id: str
    session_id: str
    checkout_url: str


def open_checkout(
    client: TestClient | httpx.Client, container: Container, clock: FixedClock
) -> Checkout:
    """A company offering buyouts, an employee's leased laptop at R − 1 month with a manual
    price of 3 420 SEK, and the employee's choice to buy it out (a checkout is open)."""
    operator = issue_token(container, Role.OPERATOR)
    company_id = str(
        created(
            client.post(
                "/v1/companies",
                json={"name": "Buyout AB", "currency": "SEK", "settings": {"device_buyout": True}},
                headers=auth(operator),
            )
        )["id"]
    )
    admin_member = register_member(
        client, operator, company_id, "Admin", "admin@buyout.example", "admin"
    )
    admin = issue_token(container, Role.ADMIN, UUID(company_id), UUID(admin_member))
    employee_member = register_member(
        client, admin, company_id, "Eva", "eva@buyout.example", "employee"
    )
    employee = issue_token(container, Role.EMPLOYEE, UUID(company_id), UUID(employee_member))
    device_id = register_device(
        client,
        admin,
        device_body(
            "SN-BUY-1",
            contract_type="leased",
            lease_start="2023-04-15",
            renewal_date="2026-04-15",
        ),
    )
    assign(client, admin, device_id, employee_member)
    priced = client.post(
        f"/v1/devices/{device_id}/buyout-price", json={"amount": PRICE}, headers=auth(admin)
    )
    assert priced.status_code == 200, priced.text

    clock.set(FINAL_DECISION_DUE)
    container.scheduler.tick(clock.now())
    return start_buyout(client, company_id, admin, employee, device_id)


def start_buyout(
    client: TestClient | httpx.Client, company_id: str, admin: str, employee: str, device_id: str
) -> Checkout:
    started = client.post(f"/v1/devices/{device_id}/buyout", json={}, headers=auth(employee))
    assert started.status_code == 200, started.text
    options = options_of(client, employee, device_id)
    assert options["phase"] == "checkout_open", options
    url = str(options["checkout_url"])
    assert started.json()["checkout_url"] == url  # the answer carries the payment page
    return Checkout(company_id, admin, employee, device_id, url.rsplit("/", 1)[1], url)


def options_of(client: TestClient | httpx.Client, secret: str, device_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/devices/{device_id}/options", headers=auth(secret))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def device_of(client: TestClient | httpx.Client, secret: str, device_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/devices/{device_id}", headers=auth(secret))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def operations(
    client: TestClient | httpx.Client, container: Container, checkout: Checkout
) -> list[str]:
    """The device's event log (as admins see it), oldest first, once it caught up."""
    response = client.get(
        f"/v1/devices/{checkout.device_id}/events",
        params={"min_position": head(container), "limit": 500},
        headers=auth(checkout.admin),
    )
    assert response.status_code == 200, response.text
    return [item["operation"] for item in response.json()["items"]]


def stripe_event(
    event_id: str,
    type_: str,
    checkout: Checkout,
    *,
    created_at: datetime,
    amount: int = PRICE_MINOR,
    currency: str = "sek",
    **session: Any,
) -> str:
    obj = {
        "id": checkout.session_id,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": currency,
        "client_reference_id": checkout.device_id,
        "metadata": {"device_id": checkout.device_id, "company_id": checkout.company_id},
        "mode": "payment",
        "payment_intent": "pi_test_1",
        "payment_status": "paid",
        "status": "complete",
    }
    obj.update(session)
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(created_at.timestamp()),
            "type": type_,
            "data": {"object": obj},
            "livemode": False,
        }
    )


def deliver(client: TestClient, payload: str, secret: str) -> httpx.Response:
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return client.post(
        "/webhooks/stripe",
        content=payload.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


@pytest.fixture
def checkout(api: TestClient, container: Container, clock: FixedClock) -> Checkout:
    return open_checkout(api, container, clock)


@pytest.fixture
def webhook_secret(container: Container) -> str:
    return container.settings.stripe_webhook_secret.get_secret_value()


# --------------------------------------------------------------------------- tests


def test_opening_the_checkout_went_through_the_payment_gateway(
    container: Container, checkout: Checkout
) -> None:
    gateway = container.payment_gateway
    assert isinstance(gateway, StandInGateway)  # no Stripe key configured in tests
    stored = gateway.standin.stored(checkout.session_id)
    assert (stored["amount_total"], stored["currency"]) == (PRICE_MINOR, "sek")
    assert stored["client_reference_id"] == checkout.device_id
    assert stored["customer_email"] == "eva@buyout.example"


def test_a_paid_event_delivered_twice_and_an_older_expiry_after_it_pay_exactly_once(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str
) -> None:
    paid_at = datetime(2026, 3, 16, 9, 5, tzinfo=UTC)
    completed = stripe_event(
        "evt_completed", "checkout.session.completed", checkout, created_at=paid_at
    )
    expired_earlier = stripe_event(
        "evt_expired",
        "checkout.session.expired",
        checkout,
        created_at=datetime(2026, 3, 16, 9, 1, tzinfo=UTC),
        status="expired",
        payment_status="unpaid",
        payment_intent=None,
    )

    first = deliver(api, completed, webhook_secret)
    assert (first.status_code, first.json()) == (200, {"result": "applied"})
    after_first = head(container)
    version_after_first = device_of(api, checkout.employee, checkout.device_id)["version"]

    again = deliver(api, completed, webhook_secret)
    assert again.is_success
    assert again.json() == {"result": "duplicate"}
    assert head(container) == after_first  # a duplicate stores nothing at all

    late = deliver(api, expired_earlier, webhook_secret)
    assert late.is_success
    assert late.json() == {"result": "ignored"}

    device = device_of(api, checkout.employee, checkout.device_id)
    assert device["status"] == "active_bought_by_employee"
    assert device["version"] == version_after_first  # the stale expiry changed nothing
    assert device["end_of_lease"]["final_decision"] == "buyout"
    log = operations(api, container, checkout)
    assert log.count("Device.BuyoutPaid") == 1
    assert "Device.BuyoutCheckoutFailed" not in log
    assert options_of(api, checkout.employee, checkout.device_id)["phase"] == "decided"


def test_an_async_payment_pending_then_succeeded_pays_once(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str
) -> None:
    at = datetime(2026, 3, 16, 9, 5, tzinfo=UTC)
    pending = stripe_event(
        "evt_pending", "checkout.session.completed", checkout, created_at=at,
        payment_status="unpaid",
    )  # fmt: skip
    succeeded = stripe_event(
        "evt_succeeded", "checkout.session.async_payment_succeeded", checkout, created_at=at
    )
    assert deliver(api, pending, webhook_secret).json()["result"] == "ignored"
    assert options_of(api, checkout.employee, checkout.device_id)["phase"] == "checkout_open"
    assert deliver(api, succeeded, webhook_secret).json() == {"result": "applied"}
    assert device_of(api, checkout.employee, checkout.device_id)["status"] == (
        "active_bought_by_employee"
    )
    assert operations(api, container, checkout).count("Device.BuyoutPaid") == 1


def test_a_failed_payment_returns_the_employee_to_the_options(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str
) -> None:
    failed = stripe_event(
        "evt_failed",
        "checkout.session.async_payment_failed",
        checkout,
        created_at=datetime(2026, 3, 16, 9, 5, tzinfo=UTC),
        payment_status="unpaid",
    )
    assert deliver(api, failed, webhook_secret).json() == {"result": "applied"}
    options = options_of(api, checkout.employee, checkout.device_id)
    assert options["status"] == "active"
    assert options["final_decision"] is None
    assert "buyout" in options["actions"]
    assert "Device.BuyoutCheckoutFailed" in operations(api, container, checkout)


def test_a_checkout_the_restarted_stand_in_forgot_can_still_be_cancelled(
    checkout: Checkout, settings: Settings, clock: FixedClock
) -> None:
    """`lessor serve` restarted: its new stand-in has never heard of the open session. Backing
    out still works at once (no 502 until a scheduler tick), and a new buyout can start."""
    restarted = build(settings, clock=clock)
    try:
        with make_client(restarted) as client:
            cancelled = client.post(
                f"/v1/devices/{checkout.device_id}/buyout/cancel",
                json={},
                headers=auth(checkout.employee),
            )
            assert cancelled.status_code == 200, cancelled.text
            assert cancelled.json()["end_of_lease"]["phase"] == "final"
            assert cancelled.json()["checkout_url"] is None
            options = options_of(client, checkout.employee, checkout.device_id)
            assert "buyout" in options["actions"]
            assert operations(client, restarted, checkout)[-1] == "Device.BuyoutCheckoutFailed"
            again = start_buyout(
                client, checkout.company_id, checkout.admin, checkout.employee, checkout.device_id
            )
            assert again.session_id != checkout.session_id
    finally:
        restarted.close()


@pytest.mark.parametrize(
    "forge",
    ["wrong_secret", "tampered_body", "no_signature", "stale_timestamp"],
)
def test_a_bad_signature_is_refused_and_stores_nothing(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str, forge: str
) -> None:
    payload = stripe_event(
        "evt_forged",
        "checkout.session.completed",
        checkout,
        created_at=datetime(2026, 3, 16, 9, 5, tzinfo=UTC),
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, webhook_secret)
    body = payload
    if forge == "wrong_secret":
        header = stripe.WebhookSignature.generate_signature_header(payload, "whsec_forger")
    elif forge == "tampered_body":
        body = payload.replace('"payment_status": "paid"', '"payment_status": "paid" ')
    elif forge == "no_signature":
        header = ""
    elif forge == "stale_timestamp":
        header = stripe.WebhookSignature.generate_signature_header(
            payload, webhook_secret, int(time.time()) - 3600
        )
    before = head(container)

    response = api.post(
        "/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "invalid-signature")
    assert head(container) == before
    assert device_of(api, checkout.employee, checkout.device_id)["status"] == "active"
    # The genuine delivery afterwards is not mistaken for a duplicate of the forgery.
    assert deliver(api, payload, webhook_secret).json() == {"result": "applied"}


def test_a_signed_body_that_is_not_an_event_is_refused(
    api: TestClient, container: Container, webhook_secret: str
) -> None:
    before = head(container)
    response = deliver(api, "not json", webhook_secret)
    assert_problem(response, 400, "malformed-event")
    assert head(container) == before


def test_the_endpoint_needs_no_bearer_token_and_ignores_types_it_does_not_handle(
    api: TestClient, container: Container, webhook_secret: str
) -> None:
    before = head(container)
    payload = json.dumps(
        {"id": "evt_c", "object": "event", "type": "customer.created", "created": 1,
         "data": {"object": {"id": "cus_1", "object": "customer"}}}
    )  # fmt: skip
    response = deliver(api, payload, webhook_secret)
    assert (response.status_code, response.json()) == (200, {"result": "ignored"})
    assert head(container) == before


def test_an_amount_that_does_not_match_the_frozen_price_is_rejected_not_fulfilled(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str
) -> None:
    underpaid = stripe_event(
        "evt_underpaid",
        "checkout.session.completed",
        checkout,
        created_at=datetime(2026, 3, 16, 9, 5, tzinfo=UTC),
        amount=100,
    )
    other_currency = stripe_event(
        "evt_eur",
        "checkout.session.completed",
        checkout,
        created_at=datetime(2026, 3, 16, 9, 6, tzinfo=UTC),
        currency="eur",
    )

    assert deliver(api, underpaid, webhook_secret).json() == {"result": "rejected"}
    assert deliver(api, other_currency, webhook_secret).json() == {"result": "rejected"}

    log = operations(api, container, checkout)
    assert log.count("Device.BuyoutPaymentRejected") == 2
    assert "Device.BuyoutPaid" not in log
    device = device_of(api, checkout.employee, checkout.device_id)
    assert device["status"] == "active"
    assert device["end_of_lease"]["final_decision"] is None
    assert options_of(api, checkout.employee, checkout.device_id)["phase"] == "checkout_open"


def test_a_payment_for_a_device_we_do_not_know_is_acknowledged_and_ignored(
    api: TestClient, container: Container, checkout: Checkout, webhook_secret: str
) -> None:
    stranger = Checkout(
        checkout.company_id,
        checkout.admin,
        checkout.employee,
        "00000000-0000-4000-8000-000000000000",
        "cs_test_someone_else",
        "",
    )
    payload = stripe_event(
        "evt_stranger", "checkout.session.completed", stranger, created_at=FINAL_DECISION_DUE
    )
    response = deliver(api, payload, webhook_secret)
    assert (response.status_code, response.json()) == (200, {"result": "ignored"})
    assert device_of(api, checkout.employee, checkout.device_id)["status"] == "active"


# ---------------------------------------------------- the whole buyout, offline


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(settings: Settings, clock: FixedClock) -> Iterator[tuple[httpx.Client, Container]]:
    """Our API under uvicorn on 127.0.0.1 on a port of its own, and no public URL set: it
    follows the port, so the stand-in's webhooks reach it; an HTTP client for it."""
    port = _free_port()
    configured = Settings(**settings.model_dump(exclude={"public_url", "port"}), port=port)
    assert configured.public_url == f"http://127.0.0.1:{port}"
    init_database(configured)
    container = build(configured, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(container, start_projector=True),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        with httpx.Client(base_url=configured.public_url, timeout=30) as client:
            yield client, container
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        container.close()


def press(checkout_url: str, button: str) -> httpx.Response:
    """A browser pressing Pay or Decline on the stand-in's checkout page."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(checkout_url)
        assert page.status_code == 200
        assert f">{button.title()}</button>" in page.text
        return browser.post(f"{checkout_url}/{button}")


def test_walk_a_buyout_offline_decline_then_retry_and_pay(
    served: tuple[httpx.Client, Container], clock: FixedClock
) -> None:
    client, container = served
    first = open_checkout(client, container, clock)

    declined = press(first.checkout_url, "decline")
    assert declined.status_code == 303
    assert declined.headers["location"] == (
        f"{container.settings.public_url}/buyout/{first.device_id}/cancelled"
    )
    landing = client.get(f"/buyout/{first.device_id}/cancelled")  # public: a browser lands
    assert landing.status_code == 200
    assert "Nothing was charged" in landing.text
    options = options_of(client, first.employee, first.device_id)
    assert options["phase"] == "final"
    assert "buyout" in options["actions"]

    retry = start_buyout(client, first.company_id, first.admin, first.employee, first.device_id)
    assert retry.session_id != first.session_id
    paid = press(retry.checkout_url, "pay")
    assert paid.status_code == 303
    assert paid.headers["location"].endswith(f"/buyout/{first.device_id}/paid")

    device = device_of(client, first.employee, first.device_id)
    assert device["status"] == "active_bought_by_employee"
    log = operations(client, container, retry)
    assert log.count("Device.BuyoutCheckoutStarted") == 2
    assert log.count("Device.BuyoutCheckoutFailed") == 1
    assert log.count("Device.BuyoutPaid") == 1
    gateway = container.payment_gateway
    assert isinstance(gateway, StandInGateway)
    assert {d.status for d in gateway.standin.deliveries} == {200}
