"""PaymentEventRecord: a payment provider's event, remembered once.

Its id derives from the provider's event id and it is saved in the same transaction as the
event's effect on the device, so a redelivered webhook finds it and changes nothing.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.events import Cause, LessorCreated


class PaymentEventRecord(Aggregate):
    class_version = 1

    class Recorded(LessorCreated):
        class_version = 1
        provider_event_id: str
        kind: str
        result: str  # applied | ignored | rejected

    @classmethod
    def record(
        cls,
        *,
        record_id: UUID,
        provider_event_id: str,
        kind: str,
        result: str,
        company_id: UUID | None,
        cause: Cause,
    ) -> PaymentEventRecord:
        return cls._create(
            cls.Recorded,
            id=record_id,
            provider_event_id=provider_event_id,
            kind=kind,
            result=result,
            **cause.stamp(company_id),
        )

    @event(Recorded)
    def __init__(
        self,
        *,
        provider_event_id: str,
        kind: str,
        result: str,
    ) -> None:
        self.provider_event_id = provider_event_id
        self.kind = kind
        self.result = result
