"""UniqueClaim: reserves a natural key (a serial per company, an email per company).

Saved atomically with the aggregate that owns the key; a second claim of the same key
collides on version 1, so uniqueness holds even under concurrent requests.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id


def claim_id(kind: str, company_id: UUID, value: str) -> UUID:
    return natural_id("claim", kind, company_id, value.casefold())


class UniqueClaim(Aggregate):
    class_version = 1

    class Claimed(LessorCreated):
        class_version = 1
        kind: str
        value: str
        owner_id: UUID

    class Released(LessorEvent):
        class_version = 1

    class Reclaimed(LessorEvent):
        class_version = 1
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
        company_id: UUID | None,
    ) -> None:
        self.company_id = company_id
        self.kind = kind
        self.value = value
        self.owner_id: UUID | None = owner_id

    @property
    def is_held(self) -> bool:
        return self.owner_id is not None

    def release(self, *, cause: Cause) -> None:
        if self.owner_id is not None:
            self.trigger_event(self.Released, **cause.stamp(self.company_id))

    def reclaim(self, owner_id: UUID, *, cause: Cause) -> None:
        """Take a released key again (the caller has checked that it is free)."""
        self.trigger_event(self.Reclaimed, owner_id=owner_id, **cause.stamp(self.company_id))

    @event(Released)
    def _released(self) -> None:
        self.owner_id = None

    @event(Reclaimed)
    def _reclaimed(self, *, owner_id: UUID) -> None:
        self.owner_id = owner_id
