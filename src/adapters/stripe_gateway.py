"""The PaymentGateway on Stripe Checkout, through the official SDK's `StripeClient`.

One client per gateway, built here from what the composition root passes in: no
module-level `stripe.api_key`, no global state. `api_base` points the SDK at another
server speaking Stripe's API (the local stand-in, adapters/stripe_standin/).

Idempotency: the request's key (`buyout-<device>-<attempt>`) goes to Stripe as the
`Idempotency-Key`, so the SDK's own network retries, a double click, or a retry after a
crash find the same Checkout Session instead of opening a second one. Stripe refuses a
key reused with different parameters, and `expires_at` is the one parameter that moves
with time, so it sits on a 5-minute grid: a retry within the same window sends identical
parameters. A retry from a later window (Stripe answers idempotency_error) opens a session
under the key suffixed with the new expiry; the earlier one was never shown to anybody
(its URL was not recorded) and simply expires.

Amounts: our `Money.minor` counts ISO-4217 minor units; Stripe counts its own "smallest
currency unit", which differs for a few currencies (`stripe_amount` / `money_from_stripe`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import stripe

from adapters.clock import Clock, SystemClock
from domain.model.errors import InvalidValue
from domain.model.money import Money, exponent
from domain.ports import CheckoutRequest, CheckoutSession, CheckoutUnknown

CHECKOUT_TTL: Final = timedelta(hours=1)  # Stripe accepts 30 minutes to 24 hours
EXPIRY_GRID_S: Final = 300  # expires_at rounds down to this: the TTL is 55 to 60 minutes
UNKNOWN_SESSION: Final = "resource_missing"  # Stripe's error code for an id it does not know

# Where Stripe's unit differs from ISO 4217's minor unit (docs.stripe.com/currencies):
# ISK and UGX are sent with two decimals (amounts divisible by 100), MGA with none.
_STRIPE_DIGITS: Final = {"ISK": 2, "UGX": 2, "MGA": 0}


class StripeGatewayError(Exception):
    """Stripe refused or could not be reached; the SDK's error is the __cause__."""


class UnknownCheckoutSession(StripeGatewayError, CheckoutUnknown):
    """Stripe has no such session: it can never be paid."""


def stripe_amount(money: Money) -> tuple[int, str]:
    """(unit_amount, lower-case currency) as Stripe wants them."""
    shift = _STRIPE_DIGITS.get(money.currency, exponent(money.currency)) - exponent(money.currency)
    if shift >= 0:
        return money.minor * 10**shift, money.currency.lower()
    whole, rest = divmod(money.minor, 10**-shift)
    if rest:
        raise StripeGatewayError(f"{money} cannot be charged in Stripe's unit for this currency")
    return whole, money.currency.lower()


def money_from_stripe(amount: object, currency: object) -> Money | None:
    """Stripe's (amount, currency) as Money; None when absent or not a currency we know."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        return None
    code = currency.upper()
    try:
        digits = exponent(code)
    except InvalidValue:
        return None
    shift = digits - _STRIPE_DIGITS.get(code, digits)
    if shift >= 0:
        return Money(amount * 10**shift, code)
    whole, rest = divmod(amount, 10**-shift)
    return Money(whole, code) if rest == 0 else None


@dataclass(frozen=True, slots=True)
class StripePayment:
    """A succeeded PaymentIntent that our gateway opened (it carries our metadata)."""

    payment_id: str
    device_id: str
    company_id: str | None
    amount: Money | None  # None: not an amount in a currency we know


class StripeGateway:
    """`PaymentGateway` on Stripe Checkout (mode "payment", one line, price_data)."""

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        clock: Clock | None = None,
        checkout_ttl: timedelta = CHECKOUT_TTL,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=2,
        )
        # Stripe checks expires_at against its own (wall) clock, so this is the system
        # clock, not the business clock tests move around.
        self._clock = clock or SystemClock()
        self._ttl = checkout_ttl

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        unit_amount, currency = stripe_amount(request.amount)
        expiry = int((self._clock.now() + self._ttl).timestamp())
        expires_at = expiry - expiry % EXPIRY_GRID_S
        metadata = {
            "device_id": str(request.device_id),
            "company_id": str(request.company_id),
            "attempt": str(request.attempt),
        }
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": unit_amount,
                        "product_data": {"name": request.description},
                    },
                    "quantity": 1,
                }
            ],
            "client_reference_id": str(request.device_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": expires_at,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            try:
                session = self._create(params, request.idempotency_key)
            except stripe.IdempotencyError:  # the key was used in an earlier expiry window
                session = self._create(params, f"{request.idempotency_key}-{expires_at}")
        except stripe.StripeError as e:
            raise StripeGatewayError(f"Stripe did not open a checkout: {e}") from e
        if not session.url:
            raise StripeGatewayError(f"Checkout session {session.id} has no URL")
        return CheckoutSession(
            session_id=session.id,
            url=session.url,
            expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        )

    def _create(self, params: dict[str, Any], idempotency_key: str) -> stripe.checkout.Session:
        return self._client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]  # a plain dict of the typed params
            options={"idempotency_key": idempotency_key},
        )

    def expire_checkout(self, session_id: str) -> None:
        """Idempotent: a session that has already expired stays so. One that completed
        (paid) cannot be expired, and that is an error the caller must see; so is one Stripe
        does not know (`CheckoutUnknown`: a restarted stand-in forgot it)."""
        try:
            self._client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError as e:
            if e.code == UNKNOWN_SESSION:
                raise UnknownCheckoutSession(f"Stripe does not know {session_id}") from e
            try:
                status = self._client.v1.checkout.sessions.retrieve(session_id).status
            except stripe.StripeError:
                status = None
            if status != "expired":
                raise StripeGatewayError(f"Stripe did not expire {session_id}: {e}") from e
        except stripe.StripeError as e:
            raise StripeGatewayError(f"Stripe did not expire {session_id}: {e}") from e

    def succeeded_payments(self) -> Iterator[StripePayment]:
        """Every succeeded PaymentIntent with our `device_id` metadata (reconciliation):
        Checkout puts `payment_intent_data.metadata` on the intent it creates."""
        try:
            listed = self._client.v1.payment_intents.list(params={"limit": 100})
            for intent in listed.auto_paging_iter():
                metadata = intent.metadata.to_dict() if intent.metadata else {}
                if intent.status != "succeeded" or "device_id" not in metadata:
                    continue
                yield StripePayment(
                    payment_id=intent.id,
                    device_id=str(metadata["device_id"]),
                    company_id=metadata.get("company_id"),
                    amount=money_from_stripe(intent.amount, intent.currency),
                )
        except stripe.StripeError as e:
            raise StripeGatewayError(f"Stripe did not list the payments: {e}") from e
