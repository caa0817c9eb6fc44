"""A local stand-in for Stripe Checkout, so the whole buyout can be tried offline.

Used when no Stripe key is configured (`./scripts/serve` out of the box): bootstrap wraps
it in a `StandInGateway`, which starts it on 127.0.0.1 and a free port the first time a
checkout is opened (a thread inside `lessor serve`) and talks to it through the real
`StripeGateway` and the official SDK, with a dummy key. It keeps everything in memory: a
restart forgets its sessions.

What it speaks (enough of Stripe's API for our gateway; everything else is a 404):

- `POST /v1/checkout/sessions` (form-encoded like the SDK sends it; mode "payment",
  `line_items[].price_data` only) with Stripe's idempotency: the same `Idempotency-Key`
  and parameters replay the first answer (`Idempotent-Replayed: true`); the same key with
  other parameters is an `idempotency_error`.
- `GET /v1/checkout/sessions/{id}`, `POST /v1/checkout/sessions/{id}/expire`.
- `GET /c/pay/{id}`: a tiny checkout page with **Pay** and **Decline** buttons that POST
  back here. Pay completes the session as paid and sends `checkout.session.completed`.
  Decline behaves like a delayed payment method that fails: `checkout.session.completed`
  with payment_status "unpaid", then `checkout.session.async_payment_failed`. Either then
  redirects the browser to the session's success or cancel URL.
- Open sessions past `expires_at` (and expired through the API) send
  `checkout.session.expired`.

Webhooks go to `webhook_url` (our `POST /webhooks/stripe`), signed exactly as Stripe signs
them (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`), from one delivery thread,
up to three attempts each. The page's buttons wait for their events' delivery before
redirecting, so the page you land on already shows the outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from adapters.stripe_gateway import StripeGateway, money_from_stripe
from domain.ports import CheckoutRequest, CheckoutSession

log = logging.getLogger("lessor.stripe_standin")

API_VERSION: Final = "2026-10-28.endive"
STANDIN_API_KEY: Final = "sk_test_lessor_standin"  # any sk_… key is accepted
MIN_TTL_S: Final = 30 * 60  # Stripe: expires_at 30 minutes …
MAX_TTL_S: Final = 24 * 60 * 60  # … to 24 hours after creation
DELIVERY_ATTEMPTS: Final = 3
_CREATE_PARAMS: Final = frozenset(
    {
        "mode",
        "line_items",
        "customer_email",
        "client_reference_id",
        "metadata",
        "payment_intent_data",
        "success_url",
        "cancel_url",
        "expires_at",
        "expand",
    }
)
_SESSION_PATH: Final = re.compile(
    r"^/v1/checkout/sessions/(?P<id>[A-Za-z0-9_]+)(?P<expire>/expire)?$"
)
_PAGE_PATH: Final = re.compile(r"^/c/pay/(?P<id>[A-Za-z0-9_]+)(?:/(?P<action>pay|decline))?$")


class ApiError(Exception):
    """Answered as Stripe's error body: {"error": {"type", "message", "param", "code"}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type_, "message": message}}
        if param:
            self.body["error"]["param"] = param
        if code:
            self.body["error"]["code"] = code


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: str
    type: str
    status: int | None  # the endpoint's HTTP status; None when it could not be reached
    error: str | None = None


@dataclass
class _Outgoing:
    event: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)


def sign(payload: str, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for `payload`, as Stripe computes it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        if not parts:
            continue
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ApiError(400, f"Invalid parameter {key}", param=key)
        node[parts[-1]] = value
    return _listify(root)  # type: ignore[no-any-return]


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _int(value: Any, param: str, *, minimum: int) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise ApiError(400, f"Invalid integer: {value}", param=param)
    number = int(value)
    if number < minimum:
        raise ApiError(400, f"{param} must be at least {minimum}", param=param)
    return number


def _strings(value: Any, param: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(400, f"Invalid object: {param}", param=param)
    return dict(value)


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
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self._host = host
        self._port = port
        self._now = wall_clock
        self._sweep_interval_s = sweep_interval_s
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, tuple[tuple[Any, ...], int, dict[str, Any]]] = {}
        self._outbox: queue.Queue[_Outgoing | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None
        self.deliveries: list[Delivery] = []

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
        server = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        for name, target in (
            ("stripe-standin-http", lambda: server.serve_forever(poll_interval=0.05)),
            ("stripe-standin-webhooks", self._deliver_forever),
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
        self._outbox.put(None)
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
            return 200, self._create_session(unflatten(form))
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

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - _CREATE_PARAMS)
        if unknown:
            raise ApiError(400, f"Received unknown parameter: {unknown[0]}", param=unknown[0])
        if params.get("mode") != "payment":
            raise ApiError(400, "The stand-in supports mode=payment only.", param="mode")
        if not params.get("success_url"):
            raise ApiError(400, "Missing required param: success_url.", param="success_url")
        lines = params.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise ApiError(400, "Missing required param: line_items.", param="line_items")
        total, currency = 0, None
        for i, line in enumerate(lines):
            where = f"line_items[{i}]"
            price = line.get("price_data") if isinstance(line, dict) else None
            if not isinstance(price, dict):
                raise ApiError(400, "The stand-in supports price_data only.", param=where)
            line_currency = price.get("currency")
            if not isinstance(line_currency, str) or not re.fullmatch(r"[a-z]{3}", line_currency):
                raise ApiError(400, "Invalid currency.", param=f"{where}[price_data][currency]")
            if currency not in (None, line_currency):
                raise ApiError(400, "All line items must share one currency.", param=where)
            currency = line_currency
            product = price.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise ApiError(400, "Missing product name.", param=f"{where}[price_data]")
            unit = _int(price.get("unit_amount"), f"{where}[price_data][unit_amount]", minimum=1)
            total += unit * _int(line.get("quantity"), f"{where}[quantity]", minimum=1)
        now = int(self._now())
        expires_at = (
            _int(params["expires_at"], "expires_at", minimum=0)
            if "expires_at" in params
            else now + MAX_TTL_S
        )
        if not MIN_TTL_S <= expires_at - now <= MAX_TTL_S:
            raise ApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
        pi_data = params.get("payment_intent_data") or {}
        if not isinstance(pi_data, dict):
            raise ApiError(400, "Invalid object", param="payment_intent_data")
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "metadata": _strings(params.get("metadata"), "metadata"),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{self.url}/c/pay/{session_id}",
            # Not Stripe's: what the page shows, and the intent's metadata once paid.
            "_description": lines[0]["price_data"]["product_data"]["name"],
            "_payment_intent_metadata": _strings(
                pi_data.get("metadata"), "payment_intent_data[metadata]"
            ),
        }
        self._sessions[session_id] = session
        return _public(session)

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

    def pay(self, session_id: str, *, wait_s: float = 10.0) -> str:
        """What the page's Pay button does; returns where to send the browser."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=f"pi_{secrets.token_hex(12)}",
            )
            sent = [self._emit("checkout.session.completed", session)]
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
        self._wait(sent, wait_s)
        return target

    def decline(self, session_id: str, *, wait_s: float = 10.0) -> str:
        """What the page's Decline button does: a delayed payment that fails."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="complete", payment_intent=f"pi_{secrets.token_hex(12)}")
            sent = [self._emit("checkout.session.completed", session)]
            sent.append(self._emit("checkout.session.async_payment_failed", session))
            target = str(session["cancel_url"] or session["success_url"])
        self._wait(sent, wait_s)
        return target

    def page(self, session_id: str) -> str:
        with self._lock:
            session = dict(self._session(session_id))
        esc = html.escape
        money = money_from_stripe(session["amount_total"], session["currency"])
        amount = str(money) if money else f"{session['amount_total']} {session['currency']}"
        if session["status"] == "open":
            body = f"""
<p>{esc(str(session["_description"]))}</p>
<p class="amount">{esc(amount)}</p>
<p>{esc(str(session["customer_email"] or ""))}</p>
<form method="post" action="/c/pay/{esc(session_id)}/pay"><button>Pay</button></form>
<form method="post" action="/c/pay/{esc(session_id)}/decline"><button>Decline</button></form>
<p><a href="{esc(str(session["cancel_url"] or ""))}">Back</a></p>"""
        else:
            body = f"<p>This checkout is {esc(str(session['status']))}.</p>"
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout (Stripe stand-in)</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:3em auto}}
.amount{{font-size:2em}} form{{display:inline-block;margin-right:1em}}</style></head>
<body><h1>Checkout</h1><p><em>Local Stripe stand-in: no money moves.</em></p>{body}
</body></html>"""

    def _open_session(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise ApiError(400, f"This checkout is {session['status']}.", param="session")
        return session

    def _expire(self, session: dict[str, Any]) -> None:
        session["status"] = "expired"
        self._emit("checkout.session.expired", session)

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self._sweep_interval_s):
            now = self._now()
            with self._lock:
                for session in self._sessions.values():
                    if session["status"] == "open" and session["expires_at"] <= now:
                        self._expire(session)

    # ------------------------------------------------------------------ webhooks

    def _emit(self, type_: str, session: dict[str, Any]) -> _Outgoing:
        """Queue a signed event with a snapshot of the session (call with the lock held)."""
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self._now()),
            "data": {"object": _public(session)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        outgoing = _Outgoing(event)
        self._outbox.put(outgoing)
        return outgoing

    @staticmethod
    def _wait(sent: list[_Outgoing], wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        for outgoing in sent:
            outgoing.done.wait(max(0.0, deadline - time.monotonic()))

    def _deliver_forever(self) -> None:
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
                self.webhook_url,
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
            self.webhook_url,
            result.error,
        )
        return result


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in session.items() if not k.startswith("_")}


def _handler_for(standin: StripeStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "stripe-standin"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            page = _PAGE_PATH.match(path)
            try:
                if page is not None:
                    self._page(method, page["id"], page["action"])
                    return
                form = parse_qsl(raw, keep_blank_values=True)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, body, extra = standin.handle_api(method, path, form, headers)
            except ApiError as e:
                self._send(e.status, "application/json", json.dumps(e.body).encode())
                return
            self._send(status, "application/json", json.dumps(body).encode(), extra)

        def _page(self, method: str, session_id: str, action: str | None) -> None:
            if method == "GET" and action is None:
                self._send(200, "text/html; charset=utf-8", standin.page(session_id).encode())
            elif method == "POST" and action == "pay":
                self._redirect(standin.pay(session_id))
            elif method == "POST" and action == "decline":
                self._redirect(standin.decline(session_id))
            else:
                raise ApiError(405, "Method not allowed.")

        def _redirect(self, location: str) -> None:
            self._send(303, "text/plain", b"", {"Location": location})

        def _send(
            self,
            status: int,
            content_type: str,
            body: bytes,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
            self.send_header("Stripe-Version", API_VERSION)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


class StandInGateway:
    """The PaymentGateway when no Stripe key is configured: starts the stand-in on first use
    and talks to it through the real `StripeGateway` (dummy key) over HTTP on 127.0.0.1."""

    def __init__(self, standin: StripeStandIn) -> None:
        self.standin = standin
        self._gateway: StripeGateway | None = None
        self._lock = threading.Lock()

    def _ready(self) -> StripeGateway:
        with self._lock:
            if self._gateway is None:
                self.standin.start()
                self._gateway = StripeGateway(STANDIN_API_KEY, self.standin.url)
            return self._gateway

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        return self._ready().open_checkout(request)

    def expire_checkout(self, session_id: str) -> None:
        self._ready().expire_checkout(session_id)

    def close(self) -> None:
        self.standin.stop()
