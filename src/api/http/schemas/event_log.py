"""/v1/event-log, a device's events and a subscription's history: the audit trail's pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from api.http.schemas.common import Body, InstantText, PageOut


class ActorOut(Body):
    """Who did it, as people read it: a member, a service account, the console or the system."""

    id: str = Field(description="the token id behind the actor")
    role: str
    name: str = Field(description="the member's name, else the token's label, else the role")
    email: str | None
    label: str | None = Field(description="a service account's (or operator token's) label")


class EventOut(Body):
    position: int = Field(description="the event's position in the log")
    company_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    operation: str = Field(description="e.g. Device.FinalDecisionRequested")
    occurred_at: InstantText
    actor: ActorOut
    correlation_id: str | None
    details: dict[str, Any] = Field(description="the event's own fields, by operation")


class EventPage(PageOut[EventOut]):
    pass
