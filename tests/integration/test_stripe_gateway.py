"""The Stripe gateway through the official SDK, over HTTP on 127.0.0.1, against the local
Stripe stand-in (adapters/stripe_standin/) — the same pair `./scripts/serve` uses when
no Stripe key is configured.

Webhooks the stand-in sends are caught by a tiny receiver and verified with our own
webhook adapter, so a test sees exactly what our endpoint would.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
import stripe
from pydantic import SecretStr

from adapters.clock import FixedClock
from adapters.stripe_gateway import StripeGateway, StripeGatewayError
from adapters.stripe_standin import STANDIN_API_KEY, StandInGateway, StripeStandIn
from adapters.stripe_webhooks import SIGNATURE_HEADER, InvalidSignature, verify_and_translate
from api.bootstrap import payment_gateway
from api.settings import Settings
from domain.model.money import Money
from domain.ports import CheckoutRequest, PaymentEvent

SECRET = "whsec_integration_test"
DEVICE = UUID("11111111-2222-4333-8444-555555555555")
COMPANY = UUID("66666666-7777-4888-8999-aaaaaaaaaaaa")
PRICE = Money(342000, "SEK")


class Receiver:
    """Our webhook endpoint's stand-in: records what arrives, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._arrived:
                    receiver.received.append((body, self.headers.get(SIGNATURE_HEADER, "")))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def events(self, count: int, timeout_s: float = 10.0) -> list[PaymentEvent | None]:
        """The first `count` deliveries, verified and translated as our endpoint would."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout_s)
            assert len(self.received) >= count, f"{len(self.received)} of {count} arrived"
            got = list(self.received[:count])
        return [verify_and_translate(body, header, SECRET) for body, header in got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def standin(receiver: Receiver) -> Iterator[StripeStandIn]:
    s = StripeStandIn(webhook_url=receiver.url, webhook_secret=SECRET)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def gateway(standin: StripeStandIn) -> StripeGateway:
    return StripeGateway(STANDIN_API_KEY, standin.url)


def request(attempt: int = 1, amount: Money = PRICE) -> CheckoutRequest:
    return CheckoutRequest(
        device_id=DEVICE,
        company_id=COMPANY,
        attempt=attempt,
        amount=amount,
        description="Buyout of ThinkPad T14 (SN-0001)",
        customer_email="eva@a.example",
        success_url="http://127.0.0.1:8000/done?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:8000/options",
    )


def post_form(url: str) -> http.client.HTTPResponse:
    """Press a button on the checkout page (without following the redirect)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
    conn.request("POST", parts.path, body=b"", headers={"Content-Length": "0"})
    return conn.getresponse()


# ----------------------------------------------------------------------- opening


def test_opening_a_checkout_sends_the_frozen_price_and_our_references(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    before = datetime.now(UTC)
    session = gateway.open_checkout(request())

    assert session.session_id.startswith("cs_test_")
    assert session.url == f"{standin.url}/c/pay/{session.session_id}"
    assert before + timedelta(minutes=54) <= session.expires_at <= before + timedelta(minutes=61)
    stored = standin.stored(session.session_id)
    metadata = {"device_id": str(DEVICE), "company_id": str(COMPANY), "attempt": "1"}
    assert stored["mode"] == "payment"
    assert (stored["amount_total"], stored["currency"]) == (342000, "sek")
    assert stored["client_reference_id"] == str(DEVICE)
    assert stored["customer_email"] == "eva@a.example"
    assert stored["metadata"] == metadata
    assert stored["_payment_intent_metadata"] == metadata
    assert stored["_description"] == "Buyout of ThinkPad T14 (SN-0001)"
    assert stored["success_url"] == request().success_url
    assert stored["cancel_url"] == request().cancel_url
    assert stored["status"] == "open"


def test_the_checkout_page_shows_the_price_and_both_buttons(gateway: StripeGateway) -> None:
    session = gateway.open_checkout(request())
    with urllib.request.urlopen(session.url, timeout=10) as response:
        page = response.read().decode()
    assert "3420.00 SEK" in page
    assert "Buyout of ThinkPad T14 (SN-0001)" in page
    assert ">Pay</button>" in page
    assert ">Decline</button>" in page


def test_the_same_idempotency_key_finds_the_same_session(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    first = gateway.open_checkout(request(attempt=1))
    again = gateway.open_checkout(request(attempt=1))
    other_gateway_instance = StripeGateway(STANDIN_API_KEY, standin.url).open_checkout(request())
    next_attempt = gateway.open_checkout(request(attempt=2))

    assert again == first
    assert other_gateway_instance == first  # a restarted process finds it too
    assert next_attempt.session_id != first.session_id


def test_a_retry_from_a_later_expiry_window_opens_a_fresh_session_instead_of_failing(
    standin: StripeStandIn,
) -> None:
    """Stripe refuses a key reused with other parameters; expires_at moves with time."""
    clock = FixedClock(datetime.now(UTC))
    gateway = StripeGateway(STANDIN_API_KEY, standin.url, clock=clock)
    first = gateway.open_checkout(request())
    clock.advance(timedelta(minutes=10))
    later = gateway.open_checkout(request())
    later_again = gateway.open_checkout(request())

    assert later.session_id != first.session_id
    assert later_again == later


def test_stripe_refusing_the_request_is_a_gateway_error(standin: StripeStandIn) -> None:
    too_short = StripeGateway(STANDIN_API_KEY, standin.url, checkout_ttl=timedelta(minutes=10))
    with pytest.raises(StripeGatewayError) as refused:
        too_short.open_checkout(request())
    assert isinstance(refused.value.__cause__, stripe.InvalidRequestError)

    with pytest.raises(StripeGatewayError) as unauthenticated:
        StripeGateway("pk_not_a_secret_key", standin.url).open_checkout(request())
    assert isinstance(unauthenticated.value.__cause__, stripe.AuthenticationError)


def test_an_unreachable_stripe_is_a_gateway_error_after_the_sdks_retries(
    standin: StripeStandIn,
) -> None:
    base = standin.url
    standin.stop()
    started = time.monotonic()
    with pytest.raises(StripeGatewayError) as unreachable:
        StripeGateway(STANDIN_API_KEY, base).open_checkout(request())
    assert isinstance(unreachable.value.__cause__, stripe.APIConnectionError)
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------------- expiring


def test_expiring_a_checkout_expires_it_and_tells_our_endpoint(
    gateway: StripeGateway, standin: StripeStandIn, receiver: Receiver
) -> None:
    session = gateway.open_checkout(request())
    gateway.expire_checkout(session.session_id)

    assert standin.stored(session.session_id)["status"] == "expired"
    [expired] = receiver.events(1)
    assert expired is not None
    assert (expired.kind, expired.session_id, expired.device_id) == (
        "expired",
        session.session_id,
        DEVICE,
    )


def test_expiring_twice_is_harmless(gateway: StripeGateway, receiver: Receiver) -> None:
    session = gateway.open_checkout(request())
    gateway.expire_checkout(session.session_id)
    gateway.expire_checkout(session.session_id)
    assert len(receiver.events(1)) == 1


def test_a_paid_or_unknown_checkout_cannot_be_expired(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    session = gateway.open_checkout(request())
    standin.pay(session.session_id)
    with pytest.raises(StripeGatewayError):
        gateway.expire_checkout(session.session_id)
    with pytest.raises(StripeGatewayError):
        gateway.expire_checkout("cs_test_unknown")


def test_an_open_checkout_expires_by_itself_at_its_time(receiver: Receiver) -> None:
    wall = [time.time()]
    standin = StripeStandIn(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        wall_clock=lambda: wall[0],
        sweep_interval_s=0.05,
    )
    standin.start()
    try:
        session = StripeGateway(STANDIN_API_KEY, standin.url).open_checkout(request())
        wall[0] = session.expires_at.timestamp() + 1
        [expired] = receiver.events(1)
    finally:
        standin.stop()
    assert expired is not None
    assert (expired.kind, expired.session_id) == ("expired", session.session_id)


# ------------------------------------------------------------- the page's buttons


def test_pay_completes_the_checkout_sends_a_signed_paid_event_and_returns_to_success(
    gateway: StripeGateway, receiver: Receiver
) -> None:
    session = gateway.open_checkout(request())
    response = post_form(session.url + "/pay")

    assert response.status == 303
    assert response.headers["Location"] == (
        f"http://127.0.0.1:8000/done?session_id={session.session_id}"
    )
    [paid] = receiver.events(1, timeout_s=0)  # delivered before the redirect
    assert paid is not None
    assert paid.kind == "paid"
    assert (paid.session_id, paid.device_id, paid.amount) == (session.session_id, DEVICE, PRICE)
    assert paid.payment_id is not None
    assert paid.payment_id.startswith("pi_")


def test_decline_is_a_delayed_payment_that_fails_and_returns_to_the_options(
    gateway: StripeGateway, receiver: Receiver
) -> None:
    session = gateway.open_checkout(request())
    response = post_form(session.url + "/decline")

    assert response.status == 303
    assert response.headers["Location"] == "http://127.0.0.1:8000/options"
    completed, failed = receiver.events(2, timeout_s=0)
    assert completed is not None
    assert failed is not None
    assert (completed.kind, failed.kind) == ("pending", "failed")
    assert completed.session_id == failed.session_id == session.session_id


def test_a_finished_checkout_cannot_be_paid_again(
    gateway: StripeGateway, receiver: Receiver
) -> None:
    session = gateway.open_checkout(request())
    assert post_form(session.url + "/pay").status == 303
    again = post_form(session.url + "/pay")
    assert again.status == 400
    assert json.loads(again.read())["error"]["type"] == "invalid_request_error"
    assert len(receiver.events(1)) == 1
    with urllib.request.urlopen(session.url, timeout=10) as page:
        assert "This checkout is complete." in page.read().decode()


def test_every_event_is_signed_with_the_configured_secret_only(
    gateway: StripeGateway, receiver: Receiver
) -> None:
    session = gateway.open_checkout(request())
    post_form(session.url + "/pay")
    body, header = receiver.received[0]
    assert verify_and_translate(body, header, SECRET) is not None
    with pytest.raises(InvalidSignature):
        verify_and_translate(body, header, "whsec_someone_else")


# ------------------------------------------------------------ the bootstrap wiring


def test_the_stand_in_gateway_starts_the_stand_in_on_first_use(receiver: Receiver) -> None:
    standin = StripeStandIn(webhook_url=receiver.url, webhook_secret=SECRET)
    gateway = StandInGateway(standin)
    assert not standin.running
    try:
        session = gateway.open_checkout(request())
        assert standin.running
        assert session.url.startswith(standin.url)
        gateway.expire_checkout(session.session_id)
    finally:
        gateway.close()
    assert not standin.running


def test_with_a_key_bootstrap_uses_stripe_at_the_configured_base(standin: StripeStandIn) -> None:
    configured = Settings(
        stripe_api_key=SecretStr("sk_test_configured"),
        stripe_api_base=standin.url,
        stripe_webhook_secret=SecretStr("whsec_from_the_dashboard"),
    )
    gateway = payment_gateway(configured)
    assert isinstance(gateway, StripeGateway)
    assert gateway.open_checkout(request()).url.startswith(standin.url)


def test_a_real_key_next_to_the_public_development_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="LESSOR_STRIPE_WEBHOOK_SECRET"):
        payment_gateway(Settings(stripe_api_key=SecretStr("sk_test_configured")))


def test_without_a_key_bootstrap_uses_the_stand_in_posting_to_our_public_url() -> None:
    gateway = payment_gateway(Settings(stripe_api_key=None, public_url="http://127.0.0.1:8123/"))
    assert isinstance(gateway, StandInGateway)
    assert gateway.standin.webhook_url == "http://127.0.0.1:8123/webhooks/stripe"
    assert not gateway.standin.running  # started on first use only
