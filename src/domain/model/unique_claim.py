"""UniqueClaim: reserves a natural key (a serial per company, an email per company).

Saved atomically with the aggregate that owns the key; a second claim of the same key
collides on version 1, so uniqueness holds even under concurrent requests.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Actor
from domain.model.events import Cause, LessorCreated
from domain.model.ids import natural_id


def claim_id(kind: str, company_id: UUID, value: str) -> UUID:
    return natural_id("claim", kind, company_id, value.casefold())


class UniqueClaim(Aggregate):
    class Claimed(LessorCreated):
        kind: str
        value: str
        owner_id: UUID

    @classmethod
    def claim(
        cls, *, kind: str, company_id: UUID, value: str, owner_id: UUID, cause: Cause
    ) -> UniqueClaim:
        return cls._create(
            cls.Claimed,
            id=claim_id(kind, company_id, value),
            kind=kind,
            value=value,
            owner_id=owner_id,
            **cause.stamp(company_id),
        )

    @event(Claimed)
    def __init__(
        self,
        *,
        kind: str,
        value: str,
        owner_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.kind = kind
        self.value = value
        self.owner_id = owner_id
