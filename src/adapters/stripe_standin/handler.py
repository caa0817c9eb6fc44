"""The stand-in over HTTP: the request handler (API and checkout page) and the page itself."""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlsplit

from adapters.stripe_gateway import money_from_stripe
from adapters.stripe_standin.sessions import ApiError
from adapters.stripe_standin.webhooks import API_VERSION

if TYPE_CHECKING:
    from adapters.stripe_standin.server import StripeStandIn

log = logging.getLogger("lessor.stripe_standin")

_PAGE_PATH: Final = re.compile(r"^/c/pay/(?P<id>[A-Za-z0-9_]+)(?:/(?P<action>pay|decline))?$")


def checkout_page(session: Mapping[str, Any]) -> str:
    """The page a session's `url` shows: Pay and Decline while it is open."""
    esc = html.escape
    session_id = str(session["id"])
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


def handler_for(standin: StripeStandIn) -> type[BaseHTTPRequestHandler]:
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
