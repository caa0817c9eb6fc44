"""IdempotencyRecord: the durable memory of one Idempotency-Key.

It is saved in the same transaction as the command's events, so a retry after a crash
finds either both or neither. Its id derives from (scope, key): a concurrent duplicate
collides on version 1 and loses.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.events import Cause, LessorCreated
from domain.model.ids import natural_id


def idempotency_record_id(scope: str, key: str) -> UUID:
    return natural_id("idempotency", scope, key)


class IdempotencyRecord(Aggregate):
    class_version = 1

    class Recorded(LessorCreated):
        class_version = 1
        scope: str
        key: str
        request_hash: str
        operation: str
        subject_id: UUID
        subject_version: int
        created: bool

    @classmethod
    def record(
        cls,
        *,
        scope: str,
        key: str,
        request_hash: str,
        operation: str,
        subject_id: UUID,
        subject_version: int,
        created: bool,
        company_id: UUID | None,
        cause: Cause,
    ) -> IdempotencyRecord:
        return cls._create(
            cls.Recorded,
            id=idempotency_record_id(scope, key),
            scope=scope,
            key=key,
            request_hash=request_hash,
            operation=operation,
            subject_id=subject_id,
            subject_version=subject_version,
            created=created,
            **cause.stamp(company_id),
        )

    @event(Recorded)
    def __init__(
        self,
        *,
        scope: str,
        key: str,
        request_hash: str,
        operation: str,
        subject_id: UUID,
        subject_version: int,
        created: bool,
    ) -> None:
        self.scope = scope
        self.key = key
        self.request_hash = request_hash
        self.operation = operation
        self.subject_id = subject_id
        self.subject_version = subject_version
        self.created = created
