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
- `GET /v1/payment_intents`: the succeeded PaymentIntent of each paid session, with the
  session's `payment_intent_data[metadata]` (one page; reconciliation lists them).
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

The modules: `sessions` (parameters and the session objects), `server` (the store, its
threads and the API's idempotency), `handler` (the HTTP request handler and the page), `webhooks`
(signing and delivery), `gateway` (the PaymentGateway that starts it on first use).
"""

from adapters.stripe_standin.gateway import STANDIN_API_KEY, StandInGateway
from adapters.stripe_standin.server import StripeStandIn
from adapters.stripe_standin.sessions import ApiError
from adapters.stripe_standin.webhooks import Delivery, sign

__all__ = ["STANDIN_API_KEY", "ApiError", "Delivery", "StandInGateway", "StripeStandIn", "sign"]
