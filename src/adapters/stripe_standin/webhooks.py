"""The stand-in's webhooks: events signed as Stripe signs them, sent from one delivery
thread, up to three attempts each."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from adapters.stripe_standin.sessions import public

log = logging.getLogger("lessor.stripe_standin")

API_VERSION: Final = "2026-10-28.endive"
DELIVERY_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: str
    type: str
    status: int | None  # the endpoint's HTTP status; None when it could not be reached
    error: str | None = None


@dataclass
class Outgoing:
    event: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)


def sign(payload: str, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for `payload`, as Stripe computes it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookSender:
    """Queues events and delivers them in order from `deliver_forever` (one thread)."""

    def __init__(
        self, url: str, secret: str, *, wall_clock: Callable[[], float], stop: threading.Event
    ) -> None:
        self.url = url
        self._secret = secret
        self._now = wall_clock
        self._stop = stop
        self._outbox: queue.Queue[Outgoing | None] = queue.Queue()
        self.deliveries: list[Delivery] = []

    def emit(self, type_: str, session: dict[str, Any]) -> Outgoing:
        """Queue a signed event with a snapshot of the session as it is now."""
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self._now()),
            "data": {"object": public(session)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        outgoing = Outgoing(event)
        self._outbox.put(outgoing)
        return outgoing

    @staticmethod
    def wait(sent: list[Outgoing], wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        for outgoing in sent:
            outgoing.done.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Ends `deliver_forever` after what is queued (the stop event cuts retries short)."""
        self._outbox.put(None)

    def deliver_forever(self) -> None:
        while (outgoing := self._outbox.get()) is not None:
            try:
                self.deliveries.append(self._deliver(outgoing.event))
            finally:
                outgoing.done.set()

    def _deliver(self, event: dict[str, Any]) -> Delivery:
        payload = json.dumps(event, indent=2)
        result = Delivery(event["id"], event["type"], None, "not attempted")
        for attempt in range(DELIVERY_ATTEMPTS):
            if attempt and self._stop.wait(0.5 * 2**attempt):
                break
            request = urllib.request.Request(  # noqa: S310 (our own configured http URL)
                self.url,
                data=payload.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(payload, self._secret, int(self._now())),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    return Delivery(event["id"], event["type"], response.status)
            except urllib.error.HTTPError as e:
                result = Delivery(event["id"], event["type"], e.code, e.reason)
                if e.code < 500:
                    break  # our endpoint refused it: retrying will not help
            except (urllib.error.URLError, OSError, ValueError) as e:  # ValueError: bad URL
                result = Delivery(event["id"], event["type"], None, str(e))
        log.warning(
            "Stripe stand-in: %s %s not delivered to %s: %s",
            event["type"],
            event["id"],
            self.url,
            result.error,
        )
        return result
