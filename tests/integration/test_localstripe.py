"""Our webhook endpoint against a real, independent Stripe emulator: localstripe.

localstripe has no Checkout Sessions, but it does PaymentIntents and sends real, signed
webhooks. It runs as a separate process (GPL-3.0: never imported into our code) bound to
127.0.0.1 on a free port, once per session, and is reset between tests. Our API runs
under uvicorn on 127.0.0.1 in a thread; localstripe delivers to its /webhooks/stripe.

What this proves: our endpoint verifies signatures made by someone else's
implementation (and refuses the same events signed with another secret), translates
what it handles, and acknowledges what it does not (`ignored`). Checkout Sessions are
covered against our stand-in (test_stripe_gateway.py) and with self-signed payloads.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import stripe
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.clock import FixedClock
from adapters.stripe_gateway import StripeGateway, StripePayment
from api.bootstrap import Container, build, init_database
from api.http.app import create_app
from api.settings import Settings
from domain.model.money import Money
from domain.model.payment_record import PaymentEventRecord

SECRET = "whsec_localstripe_test"
WRONG_SECRET = "whsec_not_ours"
API_KEY = "sk_test_localstripe"

LAUNCHER = (
    "import sys\n"
    "from aiohttp import web\n"
    "from localstripe import server\n"
    "web.run_app(server.app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localstripe as its own process on 127.0.0.1; its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_for_port(port, process, timeout_s=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Answer:
    event_id: str
    event_type: str
    status: int
    body: dict[str, Any]


class RecordWebhookAnswers:
    """ASGI wrapper: what our app answered to each POST /webhooks/stripe (test-side only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.answers: list[Answer] = []
        self.arrived = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/webhooks/stripe":
            await self.app(scope, receive, send)
            return
        request_body = b""
        status = 0
        response_body = b""

        async def receive_and_keep() -> Message:
            nonlocal request_body
            message = await receive()
            request_body += message.get("body", b"")
            return message

        async def send_and_keep(message: Message) -> None:
            nonlocal status, response_body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response_body += message.get("body", b"")
            await send(message)

        await self.app(scope, receive_and_keep, send_and_keep)
        event = json.loads(request_body)
        with self.arrived:
            self.answers.append(
                Answer(event["id"], event["type"], status, json.loads(response_body))
            )
            self.arrived.notify_all()

    def wait_for(self, event_type: str, count: int, timeout_s: float = 15.0) -> list[Answer]:
        def matching() -> list[Answer]:
            return [a for a in self.answers if a.event_type == event_type]

        with self.arrived:
            self.arrived.wait_for(lambda: len(matching()) >= count, timeout_s)
            found = matching()
        assert len(found) >= count, f"{event_type}: {len(found)} of {count}; {self.answers}"
        return found


@dataclass
class Served:
    url: str
    container: Container
    recorder: RecordWebhookAnswers


@pytest.fixture
def served(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Served]:
    """Our API under uvicorn on 127.0.0.1 (a free port), with the test webhook secret."""
    configured = settings.model_copy(update={"stripe_webhook_secret": SecretStr(SECRET)})
    init_database(configured)
    container = build(configured, clock=clock)
    recorder = RecordWebhookAnswers(create_app(container, start_projector=False))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(recorder, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        wait_for_port(port, None, timeout_s=15)
        yield Served(f"http://127.0.0.1:{port}", container, recorder)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        container.close()


@pytest.fixture
def client(localstripe: str, served: Served) -> Iterator[stripe.StripeClient]:
    """A clean localstripe whose webhooks go to our endpoint: once signed with our secret,
    once with another (which our endpoint must refuse)."""
    httpx.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()
    for hook, secret in (("ours", SECRET), ("forged", WRONG_SECRET)):
        httpx.post(
            f"{localstripe}/_config/webhooks/{hook}",
            data={"url": f"{served.url}/webhooks/stripe", "secret": secret},
            timeout=10,
        ).raise_for_status()
    yield stripe.StripeClient(API_KEY, base_addresses={"api": localstripe})
    httpx.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()


def stored_payment_records(container: Container) -> list[PaymentEventRecord.Recorded]:
    return [
        n
        for n in (
            container.app.mapper.to_domain_event(item)
            for item in container.app.recorder.select_notifications(start=1, limit=10_000)
        )
        if isinstance(n, PaymentEventRecord.Recorded)
    ]


def test_a_card_payment_sends_webhooks_our_endpoint_verifies_and_acknowledges(
    client: stripe.StripeClient, served: Served
) -> None:
    intent = client.v1.payment_intents.create(
        params={
            "amount": 342000,
            "currency": "sek",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"device_id": str(uuid4())},
        }
    )
    assert intent.status == "succeeded"

    [ours, forged] = sorted(
        served.recorder.wait_for("payment_intent.succeeded", 2), key=lambda a: a.status
    )
    assert (ours.status, ours.body) == (200, {"result": "ignored"})  # verified, not ours
    assert forged.status == 400
    assert forged.body["type"].endswith("/invalid-signature")
    assert ours.event_id == forged.event_id


def test_a_declined_card_sends_a_failure_our_endpoint_translates_and_records(
    client: stripe.StripeClient, served: Served
) -> None:
    device_id = str(uuid4())  # no such device here: recorded, and ignored
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            params={
                "amount": 342000,
                "currency": "sek",
                "payment_method": "pm_card_chargeCustomerFail",
                "confirm": True,
                "metadata": {"device_id": device_id},
            }
        )

    answers = served.recorder.wait_for("payment_intent.payment_failed", 2)
    by_status = {a.status: a for a in answers}
    assert set(by_status) == {200, 400}
    assert by_status[200].body == {"result": "ignored"}
    [record] = stored_payment_records(served.container)
    assert record.provider_event_id == by_status[200].event_id
    assert (record.kind, record.result) == ("failed", "ignored")


def test_a_redelivered_event_is_a_duplicate(
    client: stripe.StripeClient, served: Served, localstripe: str
) -> None:
    """localstripe never retries; replay its own signed delivery the way Stripe retries."""
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "eur",
                "payment_method": "pm_card_chargeCustomerFail",
                "confirm": True,
                "metadata": {"device_id": str(uuid4())},
            }
        )
    [first] = [
        a for a in served.recorder.wait_for("payment_intent.payment_failed", 2) if a.status == 200
    ]
    event = client.v1.events.retrieve(first.event_id)
    payload = json.dumps(event.to_dict())
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    again = httpx.post(
        f"{served.url}/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=10,
    )
    assert (again.status_code, again.json()) == (200, {"result": "duplicate"})
    assert len(stored_payment_records(served.container)) == 1


def test_the_gateway_lists_the_succeeded_payments_it_opened(localstripe: str) -> None:
    """Reconciliation asks Stripe through our gateway (ADR 0045): localstripe's own
    PaymentIntents, listed through the SDK, keep the succeeded ones carrying our metadata."""
    httpx.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()
    client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe})
    device, company = str(uuid4()), str(uuid4())

    def pay(card: str, metadata: dict[str, str]) -> Any:
        return client.v1.payment_intents.create(
            params={
                "amount": 342000,
                "currency": "sek",
                "payment_method": card,
                "confirm": True,
                "metadata": metadata,
            }
        )

    ours = pay("pm_card_visa", {"device_id": device, "company_id": company})
    pay("pm_card_visa", {"order": "not a buyout"})  # someone else's payment on the account
    with pytest.raises(stripe.CardError):
        pay("pm_card_chargeCustomerFail", {"device_id": str(uuid4())})
    try:
        listed = list(StripeGateway(API_KEY, localstripe).succeeded_payments())
    finally:
        httpx.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()
    assert listed == [StripePayment(ours.id, device, company, Money(342000, "SEK"))]
