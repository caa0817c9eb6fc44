"""The stand-in's server: its sessions in memory, its threads (HTTP, webhook delivery,
expiry sweep) and the API's answers, with Stripe's idempotency."""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from typing import Any, Final

from adapters.stripe_standin.handler import checkout_page, handler_for
from adapters.stripe_standin.sessions import ApiError, new_session, public, unflatten
from adapters.stripe_standin.webhooks import Delivery, Outgoing, WebhookSender

log = logging.getLogger("lessor.stripe_standin")

_SESSION_PATH: Final = re.compile(
    r"^/v1/checkout/sessions/(?P<id>[A-Za-z0-9_]+)(?P<expire>/expire)?$"
)


class StripeStandIn:
    """The stand-in server. `start()` binds it; `url` is then its base address."""

    def __init__(
        self,
        *,
        webhook_url: str,
        webhook_secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: Callable[[], float] = time.time,
        sweep_interval_s: float = 1.0,
    ) -> None:
        self._address = (host, port)
        self._now = wall_clock
        self._sweep_interval_s = sweep_interval_s
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._intents: dict[str, dict[str, Any]] = {}  # the PaymentIntents of paid sessions
        self._idempotent: dict[str, tuple[tuple[Any, ...], int, dict[str, Any]]] = {}
        self._stop = threading.Event()
        self._webhooks = WebhookSender(
            webhook_url, webhook_secret, wall_clock=wall_clock, stop=self._stop
        )
        self._threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def webhook_url(self) -> str:
        return self._webhooks.url

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery so far, in order: for tests and debugging."""
        return self._webhooks.deliveries

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The Stripe stand-in is not started.")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadingHTTPServer(self._address, handler_for(self))
        server.daemon_threads = True
        self._server = server
        for name, target in (
            ("stripe-standin-http", lambda: server.serve_forever(poll_interval=0.05)),
            ("stripe-standin-webhooks", self._webhooks.deliver_forever),
            ("stripe-standin-expiry", self._sweep_forever),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.warning(
            "No Stripe key configured: Stripe stand-in on %s (webhooks to %s)",
            self.url,
            self.webhook_url,
        )

    def stop(self) -> None:
        if self._server is None:
            return
        self._stop.set()
        self._webhooks.close()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._server = None

    # ------------------------------------------------------------------- the API

    def handle_api(
        self, method: str, path: str, form: list[tuple[str, str]], headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) of one API request."""
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer sk_"):
            raise ApiError(401, "Invalid API Key provided.")
        key = headers.get("idempotency-key") if method == "POST" else None
        fingerprint = (method, path, tuple(sorted(form)))
        with self._lock:
            if key is not None and key in self._idempotent:
                first, status, body = self._idempotent[key]
                if first != fingerprint:
                    raise ApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                        type_="idempotency_error",
                    )
                return status, body, {"Idempotent-Replayed": "true"}
            status, body = self._route(method, path, form)
            if key is not None:
                self._idempotent[key] = (fingerprint, status, body)
        return status, body, {}

    def _route(
        self, method: str, path: str, form: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any]]:
        if path == "/v1/checkout/sessions" and method == "POST":
            session = new_session(unflatten(form), now=int(self._now()), base_url=self.url)
            self._sessions[session["id"]] = session
            return 200, public(session)
        if path == "/v1/payment_intents" and method == "GET":  # one page: the stand-in is small
            return 200, {
                "object": "list",
                "url": path,
                "has_more": False,
                "data": list(self._intents.values()),
            }
        match = _SESSION_PATH.match(path)
        if match is None:
            raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")
        session = self._session(match["id"])
        if match["expire"] and method == "POST":
            if session["status"] != "open":
                raise ApiError(
                    400,
                    'Only Checkout Sessions with a status in ["open"] can be expired.',
                    param="session",
                )
            self._expire(session)
            return 200, dict(session)
        if not match["expire"] and method == "GET":
            return 200, dict(session)
        raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def stored(self, session_id: str) -> dict[str, Any]:
        """Everything stored for a session, including what Stripe keeps on the payment
        intent (`_payment_intent_metadata`): for tests and debugging."""
        with self._lock:
            return dict(self._session(session_id))

    def _session(self, session_id: str) -> dict[str, Any]:
        found = self._sessions.get(session_id)
        if found is None:
            raise ApiError(
                404,
                f"No such checkout.session: '{session_id}'",
                param="session",
                code="resource_missing",
            )
        return found

    # ----------------------------------------------------- the page and outcomes

    def page(self, session_id: str) -> str:
        return checkout_page(self.stored(session_id))

    def pay(self, session_id: str, *, wait_s: float = 10.0) -> str:
        """What the page's Pay button does; returns where to send the browser."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=f"pi_{secrets.token_hex(12)}",
            )
            self._intents[session["payment_intent"]] = {
                "id": session["payment_intent"],
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "metadata": dict(session["_payment_intent_metadata"]),
                "created": int(self._now()),
            }
            sent = [self._webhooks.emit("checkout.session.completed", session)]
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
        self._webhooks.wait(sent, wait_s)
        return target

    def decline(self, session_id: str, *, wait_s: float = 10.0) -> str:
        """What the page's Decline button does: a delayed payment that fails."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="complete", payment_intent=f"pi_{secrets.token_hex(12)}")
            sent: list[Outgoing] = [
                self._webhooks.emit("checkout.session.completed", session),
                self._webhooks.emit("checkout.session.async_payment_failed", session),
            ]
            target = str(session["cancel_url"] or session["success_url"])
        self._webhooks.wait(sent, wait_s)
        return target

    def _open_session(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise ApiError(400, f"This checkout is {session['status']}.", param="session")
        return session

    def _expire(self, session: dict[str, Any]) -> None:
        session["status"] = "expired"
        self._webhooks.emit("checkout.session.expired", session)

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self._sweep_interval_s):
            now = self._now()
            with self._lock:
                for session in self._sessions.values():
                    if session["status"] == "open" and session["expires_at"] <= now:
                        self._expire(session)
