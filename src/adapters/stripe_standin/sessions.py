"""Checkout sessions as Stripe shapes them: the create parameters (form-encoded like the SDK
sends them), their checks and Stripe's error body, and the session object."""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

MIN_TTL_S: Final = 30 * 60  # Stripe: expires_at 30 minutes …
MAX_TTL_S: Final = 24 * 60 * 60  # … to 24 hours after creation
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


def new_session(params: dict[str, Any], *, now: int, base_url: str) -> dict[str, Any]:
    """The open session `POST /v1/checkout/sessions` creates, with the keys only the
    stand-in keeps (`_…`: what the page shows, the intent's metadata once paid)."""
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
    total, currency = _total(lines)
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
    return {
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
        "url": f"{base_url}/c/pay/{session_id}",
        "_description": lines[0]["price_data"]["product_data"]["name"],
        "_payment_intent_metadata": _strings(
            pi_data.get("metadata"), "payment_intent_data[metadata]"
        ),
    }


def _total(lines: list[Any]) -> tuple[int, str | None]:
    """The sum of the line items (`price_data` only) and their one currency."""
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
    return total, currency


def public(session: dict[str, Any]) -> dict[str, Any]:
    """The session as Stripe answers it: without the stand-in's own keys."""
    return {k: v for k, v in session.items() if not k.startswith("_")}
