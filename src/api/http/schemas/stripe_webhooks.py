"""POST /webhooks/stripe: what became of a Stripe event."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.http.schemas.common import Body


class WebhookResultOut(Body):
    result: Literal["applied", "duplicate", "ignored", "rejected"] = Field(
        description="rejected: flagged for a person, not fulfilled; duplicate: a redelivery"
    )
