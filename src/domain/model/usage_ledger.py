"""UsageLedger: per company, when each billable entity became active and inactive (SPEC §5).

One ledger per company (its id derives from the company's). A request records a batch of
changes (up to MAX_BATCH) as one event, all or nothing: a change id seen before with the same
content is a no-op (retries are safe), with other content it is refused; changes may arrive
in any order, and the ledger refuses only a change that contradicts its entity's timeline
(usage.contradictions) or is dated in a month whose invoice is issued. Every refusal names
its change, and all of a batch's refusals are reported together.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.errors import DomainError, InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.time import TimeZoneName
from domain.model.usage import (
    MAX_BATCH,
    ActiveInterval,
    UsageChange,
    contradictions,
    intervals,
    month_of,
    ordered,
)


def ledger_id(company_id: UUID) -> UUID:
    return natural_id("usage-ledger", company_id)


@dataclass(frozen=True, slots=True)
class ChangeError:
    """One refused change of a batch: its place in the batch, its id, and why."""

    index: int
    change_id: str | None
    detail: str


class RefusedChanges(DomainError):
    """A refusal that lists each change it refuses (the problem's `errors`)."""

    errors: list[ChangeError]

    def extensions(self) -> dict[str, Any]:
        """One error per refused change, in the shape of a field error (where, message,
        type) plus the change's place in the batch and its id."""
        return {
            "errors": [
                {
                    "field": f"changes.{e.index}",
                    "message": e.detail,
                    "type": "usage_change_refused",
                    "index": e.index,
                    "change_id": e.change_id,
                }
                for e in self.errors
            ]
        }


def _summary(errors: Sequence[ChangeError]) -> str:
    first = errors[0].detail
    more = f" (and {len(errors) - 1} more refused changes)" if len(errors) > 1 else ""
    return f"Nothing was recorded. {first}{more}"


class UsageChangesInvalid(RefusedChanges, InvalidValue):
    """Some changes of a batch are malformed: nothing of it is recorded (422)."""

    title = "Invalid usage changes"

    def __init__(self, errors: Sequence[ChangeError]) -> None:
        super().__init__(_summary(errors))
        self.errors = list(errors)


class UsageChangesRefused(RefusedChanges, RuleViolation):
    """Some changes of a batch contradict the ledger: nothing of it is recorded (409)."""

    title = "Usage changes refused"

    def __init__(self, errors: Sequence[ChangeError]) -> None:
        super().__init__(_summary(errors))
        self.errors = list(errors)


class UsageLedger(Aggregate):
    class_version = 1

    class Opened(LessorCreated):
        class_version = 1

    class ChangesRecorded(LessorEvent):
        class_version = 1
        changes: list[UsageChange]  # only changes not recorded before, in the order sent

    @classmethod
    def open(cls, *, company_id: UUID, cause: Cause) -> UsageLedger:
        return cls._create(cls.Opened, id=ledger_id(company_id), **cause.stamp(company_id))

    @event(Opened)
    def __init__(self, *, company_id: UUID) -> None:
        self.company_id = company_id
        # entity ("kind/external id") → its changes in instant order
        self.timelines: dict[str, list[UsageChange]] = {}
        # change id → the entity whose timeline holds it
        self.entity_of: dict[str, str] = {}

    # ------------------------------------------------------------------ reads

    def recorded(self, change_id: str) -> UsageChange | None:
        entity = self.entity_of.get(change_id)
        if entity is None:
            return None
        return next(c for c in self.timelines[entity] if c.change_id == change_id)

    def intervals_of(self, kind: str, entity_id: str) -> list[ActiveInterval]:
        return intervals(self.timelines.get(f"{kind}/{entity_id}", []))

    @property
    def change_count(self) -> int:
        return len(self.entity_of)

    # --------------------------------------------------------------- commands

    def record(
        self,
        changes: Sequence[UsageChange],
        *,
        time_zone: TimeZoneName,
        issued_months: Collection[str],
        cause: Cause,
    ) -> list[UsageChange]:
        """Record the batch's new changes as one event, or refuse it whole. Returns the new
        changes (empty when every one was recorded before: nothing happens)."""
        if not changes:
            raise InvalidValue("A batch holds at least one change.")
        if len(changes) > MAX_BATCH:
            raise InvalidValue(
                f"A batch holds at most {MAX_BATCH:,} changes, got {len(changes):,}."
            )
        new, errors = self._new_changes(changes)
        if errors:
            raise UsageChangesInvalid(errors)
        index_of = {c.change_id: i for i, c in enumerate(changes)}
        refused = [
            ChangeError(
                index_of[c.change_id],
                c.change_id,
                f"Change '{c.change_id}' is dated {c.at.isoformat()}, in {month}, whose invoice"
                " is already issued: send its correction as a change after that month.",
            )
            for c in new
            if (month := month_of(c.at, time_zone)) in issued_months
        ]
        by_entity: dict[str, list[UsageChange]] = {}
        for change in new:
            by_entity.setdefault(change.entity, []).append(change)
        for entity, arriving in by_entity.items():
            for found in contradictions(self.timelines.get(entity, []), arriving):
                refused.append(
                    ChangeError(
                        index_of[found.change.change_id], found.change.change_id, found.detail
                    )
                )
        if refused:
            raise UsageChangesRefused(sorted(refused, key=lambda e: e.index))
        if new:
            self.trigger_event(self.ChangesRecorded, changes=new, **cause.stamp(self.company_id))
        return new

    def _new_changes(
        self, changes: Sequence[UsageChange]
    ) -> tuple[list[UsageChange], list[ChangeError]]:
        """The changes not recorded before (a repeat within the batch once), and the change
        ids reused with other content, before or within the batch."""
        new: list[UsageChange] = []
        seen: dict[str, UsageChange] = {}
        errors: list[ChangeError] = []
        for i, change in enumerate(changes):
            earlier = seen.get(change.change_id) or self.recorded(change.change_id)
            if earlier is None:
                seen[change.change_id] = change
                new.append(change)
            elif earlier != change:
                errors.append(
                    ChangeError(
                        i,
                        change.change_id,
                        f"Change '{change.change_id}' was sent before with other content"
                        f" ({earlier.action} {earlier.kind} '{earlier.entity_id}' at"
                        f" {earlier.at.isoformat()}): a change id names one change.",
                    )
                )
        return new, errors

    @event(ChangesRecorded)
    def _changes_recorded(self, *, changes: list[UsageChange]) -> None:
        touched: set[str] = set()
        for change in changes:
            self.timelines.setdefault(change.entity, []).append(change)
            self.entity_of[change.change_id] = change.entity
            touched.add(change.entity)
        for entity in touched:
            self.timelines[entity] = ordered(self.timelines[entity])
