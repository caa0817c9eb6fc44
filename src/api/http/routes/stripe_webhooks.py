"""POST /webhooks/stripe: Stripe's events, outside /v1 (no bearer token: the signature is
the authentication).

The raw body is verified before anything is parsed; a bad signature answers 400 and
stores nothing. The application dedupes on the Stripe event id in the same transaction
as the domain events, so a redelivery answers 200 {"result": "duplicate"} and changes
nothing. Types we do not handle answer 200 {"result": "ignored"} so Stripe stops
retrying them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import anyio
from fastapi import APIRouter, Request

from adapters.sandbox_clock import SandboxClock
from adapters.stripe_webhooks import (
    SIGNATURE_HEADER,
    InvalidSignature,
    WebhookRejected,
    verify_and_translate,
)
from api.http.deps import ContainerDep
from api.http.documented import DocumentedRoute
from api.http.problems import problem
from api.http.schemas.stripe_webhooks import WebhookResultOut

router = APIRouter(tags=["webhooks"], route_class=DocumentedRoute)


@router.post(
    "/webhooks/stripe",
    summary="Stripe webhook endpoint (signed with the webhook secret; no bearer token)",
    name="stripe",
    response_model=WebhookResultOut,
    responses={
        200: {"description": "applied, duplicate, ignored or rejected (flagged, not fulfilled)"},
        400: {"description": "Bad signature or unreadable event: nothing stored"},
    },
)
async def stripe_webhook(request: Request, c: ContainerDep) -> Any:
    raw = await request.body()
    secret = c.settings.stripe_webhook_secret.get_secret_value()
    try:
        event = verify_and_translate(raw, request.headers.get(SIGNATURE_HEADER, ""), secret)
    except WebhookRejected as e:
        bad_signature = isinstance(e, InvalidSignature)
        return problem(
            400,
            "Invalid signature" if bad_signature else "Malformed event",
            str(e),
            type_="invalid-signature" if bad_signature else "malformed-event",
            instance=request.url.path,
        )
    if event is None:
        return {"result": "ignored"}
    if isinstance(c.clock, SandboxClock):  # Stripe stamps its wall clock; a sandbox runs ahead
        event = replace(event, occurred_at=c.clock.to_business_time(event.occurred_at))
    result = await anyio.to_thread.run_sync(c.app.end_of_lease.record_payment_event, event)
    return {"result": result}
