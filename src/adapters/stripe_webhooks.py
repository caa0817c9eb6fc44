"""Stripe webhooks at the boundary: verify the signature on the raw body, then translate
the event into a plain `PaymentEvent`. The domain never sees a Stripe object.

Handled types and what they become:

| Stripe event                                  | kind                                  |
|-----------------------------------------------|---------------------------------------|
| checkout.session.completed                    | "paid" if payment_status is "paid",   |
|                                               | else "pending" (await the async one)  |
| checkout.session.async_payment_succeeded      | "paid"                                |
| checkout.session.async_payment_failed         | "failed"                              |
| checkout.session.expired                      | "expired"                             |
| payment_intent.payment_failed                 | "failed"                              |

Anything else is None: acknowledged (2xx) and ignored.

For a Checkout Session the session id is the object's id, the device comes from
`client_reference_id` (else `metadata.device_id`), the payment id from `payment_intent`,
and the amount from `amount_total` + `currency`.

For `payment_intent.payment_failed` the object is a PaymentIntent, which does not know
its Checkout Session. We take the session id from the intent's `metadata.checkout_session`
when present, else "" — no lookup at Stripe. This is deliberate: a card declined inside
Checkout leaves the session open (the employee retries on Stripe's page, and the session
later completes or expires), so such a decline must not end our checkout. An intent that
names its session (a PaymentIntent-flow integration may set the field) can end it. The
device comes from `metadata.device_id` (our gateway puts it in `payment_intent_data`), the
amount from `amount` + `currency`, the payment id is the intent's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import stripe

from adapters.stripe_gateway import money_from_stripe
from domain.ports import PaymentEvent

DEFAULT_TOLERANCE_S: Final = stripe.Webhook.DEFAULT_TOLERANCE  # 300 s: older is refused
SIGNATURE_HEADER: Final = "Stripe-Signature"

_SESSION_KINDS: Final = {
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
}
HANDLED_TYPES: Final = frozenset(
    {*_SESSION_KINDS, "checkout.session.completed", "payment_intent.payment_failed"}
)


class WebhookRejected(Exception):
    """The request is not an event we can trust or read: answer 400, store nothing."""


class InvalidSignature(WebhookRejected):
    """Missing or wrong signature, wrong secret, or a timestamp outside the tolerance."""


class MalformedEvent(WebhookRejected):
    """Correctly signed, but not a Stripe event we can read (bad JSON, missing fields)."""


def verify_and_translate(
    raw_body: bytes,
    signature_header: str,
    secret: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> PaymentEvent | None:
    """The PaymentEvent a signed webhook body carries; None for types we do not handle."""
    if not signature_header.strip():
        raise InvalidSignature(f"No {SIGNATURE_HEADER} header.")
    try:
        event = stripe.Webhook.construct_event(
            raw_body, signature_header, secret, tolerance_s, api_key="sk_unused_for_webhooks"
        )
    except stripe.SignatureVerificationError as e:
        raise InvalidSignature(str(e).split("\n")[0]) from e
    except (ValueError, TypeError, AttributeError) as e:  # not JSON, or JSON but not an object
        raise MalformedEvent("The webhook body is not a JSON Stripe event.") from e
    return translate(event.to_dict())


def translate(event: Mapping[str, Any]) -> PaymentEvent | None:
    """A verified event (as plain JSON data) → PaymentEvent, or None when not ours to handle."""
    type_ = event.get("type")
    if type_ not in HANDLED_TYPES:
        return None
    event_id = event.get("id")
    created = event.get("created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(created, int):
        raise MalformedEvent("A Stripe event needs an id and a created timestamp.")
    if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
        raise MalformedEvent(f"{type_} {event_id} carries no object with an id.")
    occurred_at = datetime.fromtimestamp(created, UTC)
    metadata = obj.get("metadata")
    meta: Mapping[str, Any] = metadata if isinstance(metadata, Mapping) else {}

    if type_ == "payment_intent.payment_failed":
        session = meta.get("checkout_session")
        return PaymentEvent(
            provider_event_id=event_id,
            kind="failed",
            session_id=session if isinstance(session, str) else "",
            device_id=_uuid(meta.get("device_id")),
            payment_id=obj["id"],
            amount=money_from_stripe(obj.get("amount"), obj.get("currency")),
            occurred_at=occurred_at,
        )

    if type_ == "checkout.session.completed":
        kind = "paid" if obj.get("payment_status") == "paid" else "pending"
    else:
        kind = _SESSION_KINDS[type_]
    return PaymentEvent(
        provider_event_id=event_id,
        kind=kind,
        session_id=obj["id"],
        device_id=_uuid(obj.get("client_reference_id")) or _uuid(meta.get("device_id")),
        payment_id=_id_of(obj.get("payment_intent")),
        amount=money_from_stripe(obj.get("amount_total"), obj.get("currency")),
        occurred_at=occurred_at,
    )


def _uuid(value: object) -> UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def _id_of(value: object) -> str | None:
    """An id field that may also come expanded into its object."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
