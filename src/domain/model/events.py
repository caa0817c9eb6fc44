"""The shape every Lessor event shares: who did it, when (business time) and why (correlation).

The library's own `timestamp` is the recording time; `at` is the business time the rules use.
`company_id` names the tenant the fact belongs to (None for provider-level facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.model.actor import Actor
from domain.model.time import require_utc


class Stamp(TypedDict):
    actor: Actor
    at: datetime
    correlation_id: str
    company_id: UUID | None


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a command runs: the actor, the business time and the request's correlation id."""

    actor: Actor
    at: datetime
    correlation_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at))

    def stamp(self, company_id: UUID | None) -> Stamp:
        return Stamp(
            actor=self.actor, at=self.at, correlation_id=self.correlation_id, company_id=company_id
        )


class LessorEvent(Aggregate.Event):
    actor: Actor
    at: datetime
    correlation_id: str
    company_id: UUID | None


class LessorCreated(Aggregate.Created):
    actor: Actor
    at: datetime
    correlation_id: str
    company_id: UUID | None
