"""Stripe webhooks at the boundary: a correctly signed event becomes a plain PaymentEvent;
anything not signed with our secret, or signed too long ago, is refused.

Payloads are signed the way Stripe signs them, with the SDK's own
`WebhookSignature.generate_signature_header`; no server is involved.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from adapters.stripe_gateway import StripeGatewayError, money_from_stripe, stripe_amount
from adapters.stripe_webhooks import (
    InvalidSignature,
    MalformedEvent,
    verify_and_translate,
)
from domain.model.money import CURRENCY_EXPONENTS, Money
from domain.ports import PaymentEvent

SECRET = "whsec_unit_test_secret"
DEVICE = UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
CREATED = 1_790_000_000


def session(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "amount_total": 342000,
        "currency": "sek",
        "client_reference_id": str(DEVICE),
        "metadata": {"device_id": str(DEVICE), "company_id": "c", "attempt": "1"},
        "payment_intent": "pi_1",
        "payment_status": "paid",
        "status": "complete",
    }
    obj.update(changes)
    return obj


def event(type_: str, obj: dict[str, Any], event_id: str = "evt_1") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": CREATED,
            "type": type_,
            "data": {"object": obj},
        }
    )


def signed(payload: str, secret: str = SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def deliver(payload: str) -> PaymentEvent | None:
    return verify_and_translate(payload.encode(), signed(payload), SECRET)


def expected(kind: str, **changes: Any) -> PaymentEvent:
    fields: dict[str, Any] = {
        "provider_event_id": "evt_1",
        "kind": kind,
        "session_id": "cs_test_1",
        "device_id": DEVICE,
        "payment_id": "pi_1",
        "amount": Money(342000, "SEK"),
        "occurred_at": datetime.fromtimestamp(CREATED, UTC),
    }
    fields.update(changes)
    return PaymentEvent(**fields)


# ------------------------------------------------------------------ translation


def test_a_completed_and_paid_checkout_is_a_payment() -> None:
    assert deliver(event("checkout.session.completed", session())) == expected("paid")


def test_a_completed_but_unpaid_checkout_awaits_the_async_outcome() -> None:
    payload = event("checkout.session.completed", session(payment_status="unpaid"))
    assert deliver(payload) == expected("pending")


def test_an_async_payment_that_succeeded_is_a_payment() -> None:
    payload = event("checkout.session.async_payment_succeeded", session())
    assert deliver(payload) == expected("paid")


def test_an_async_payment_that_failed_is_a_failure() -> None:
    payload = event("checkout.session.async_payment_failed", session(payment_status="unpaid"))
    assert deliver(payload) == expected("failed")


def test_an_expired_checkout_has_no_payment() -> None:
    payload = event(
        "checkout.session.expired",
        session(status="expired", payment_status="unpaid", payment_intent=None),
    )
    assert deliver(payload) == expected("expired", payment_id=None)


def test_a_failed_payment_intent_names_its_session_only_through_metadata() -> None:
    intent = {
        "id": "pi_9",
        "object": "payment_intent",
        "amount": 342000,
        "currency": "sek",
        "metadata": {"device_id": str(DEVICE), "checkout_session": "cs_test_1"},
        "status": "requires_payment_method",
    }
    payload = event("payment_intent.payment_failed", intent)
    assert deliver(payload) == expected("failed", payment_id="pi_9")


def test_a_failed_payment_intent_without_a_session_cannot_end_a_checkout() -> None:
    """A decline inside Checkout leaves the session open: no session id, so nothing closes."""
    intent = {
        "id": "pi_9",
        "object": "payment_intent",
        "amount": 342000,
        "currency": "sek",
        "metadata": {"device_id": str(DEVICE)},
    }
    payload = event("payment_intent.payment_failed", intent)
    assert deliver(payload) == expected("failed", payment_id="pi_9", session_id="")


def test_the_device_comes_from_metadata_when_there_is_no_client_reference() -> None:
    payload = event("checkout.session.completed", session(client_reference_id=None))
    assert deliver(payload) == expected("paid")


def test_a_device_id_that_is_not_ours_is_none() -> None:
    payload = event(
        "checkout.session.completed", session(client_reference_id="order-7", metadata={})
    )
    assert deliver(payload) == expected("paid", device_id=None)


def test_an_expanded_payment_intent_gives_its_id() -> None:
    payload = event("checkout.session.completed", session(payment_intent={"id": "pi_2"}))
    assert deliver(payload) == expected("paid", payment_id="pi_2")


def test_a_currency_we_do_not_know_has_no_amount() -> None:
    payload = event("checkout.session.completed", session(currency="xts"))
    assert deliver(payload) == expected("paid", amount=None)


@pytest.mark.parametrize(
    ("stripe_total", "currency", "money"),
    [
        (5000, "jpy", Money(5000, "JPY")),  # zero-decimal on both sides
        (150000, "isk", Money(1500, "ISK")),  # Stripe: two decimals, ISO: none
        (25000, "mga", Money(2500000, "MGA")),  # Stripe: none, ISO: two
        (12340, "bhd", Money(12340, "BHD")),  # three decimals on both sides
    ],
)
def test_amounts_are_read_in_stripes_unit(stripe_total: int, currency: str, money: Money) -> None:
    payload = event(
        "checkout.session.completed", session(amount_total=stripe_total, currency=currency)
    )
    translated = deliver(payload)
    assert translated is not None
    assert translated.amount == money


@pytest.mark.parametrize(
    "type_", ["customer.created", "payment_intent.succeeded", "charge.refunded", "invoice.paid"]
)
def test_types_we_do_not_handle_are_ignored(type_: str) -> None:
    assert deliver(event(type_, {"id": "x_1", "object": "thing"})) is None


def test_a_handled_event_without_an_object_is_malformed() -> None:
    with pytest.raises(MalformedEvent):
        deliver(event("checkout.session.completed", {"object": "checkout.session"}))


@pytest.mark.parametrize("body", ["not json", "[]", "1"])
def test_a_signed_body_that_is_not_an_event_is_malformed(body: str) -> None:
    with pytest.raises(MalformedEvent):
        deliver(body)


# ------------------------------------------------------------------- signatures


def test_a_tampered_body_is_refused() -> None:
    payload = event("checkout.session.completed", session())
    header = signed(payload)
    tampered = payload.replace("342000", "100")
    with pytest.raises(InvalidSignature):
        verify_and_translate(tampered.encode(), header, SECRET)


def test_a_body_signed_with_another_secret_is_refused() -> None:
    payload = event("checkout.session.completed", session())
    with pytest.raises(InvalidSignature):
        verify_and_translate(payload.encode(), signed(payload, "whsec_other"), SECRET)


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature() -> None:
    payload = event("checkout.session.completed", session())
    stale = signed(payload, timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify_and_translate(payload.encode(), stale, SECRET)


def test_a_recent_timestamp_within_the_tolerance_is_accepted() -> None:
    payload = event("checkout.session.completed", session())
    recent = signed(payload, timestamp=int(time.time()) - 240)
    assert verify_and_translate(payload.encode(), recent, SECRET) == expected("paid")


@pytest.mark.parametrize("header", ["", "   ", "garbage", "t=abc,v1=00", "t=1700000000"])
def test_a_missing_or_unreadable_signature_is_refused(header: str) -> None:
    payload = event("checkout.session.completed", session())
    with pytest.raises(InvalidSignature):
        verify_and_translate(payload.encode(), header, SECRET)


def test_an_empty_secret_verifies_nothing() -> None:
    payload = event("checkout.session.completed", session())
    with pytest.raises(InvalidSignature):
        verify_and_translate(payload.encode(), signed(payload, " "), " ")


# ---------------------------------------------------- amounts in Stripe's unit


@given(
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
    whole_units=st.integers(min_value=1, max_value=10**9),
)
def test_whole_unit_prices_round_trip_through_stripes_unit(currency: str, whole_units: int) -> None:
    money = Money(whole_units * 10 ** CURRENCY_EXPONENTS[currency], currency)
    unit_amount, code = stripe_amount(money)
    assert code == currency.lower()
    assert money_from_stripe(unit_amount, code) == money


def test_a_fraction_stripe_cannot_express_is_refused_not_rounded() -> None:
    with pytest.raises(StripeGatewayError):
        stripe_amount(Money(250050, "MGA"))  # 2500.50 MGA: Stripe charges whole ariary
