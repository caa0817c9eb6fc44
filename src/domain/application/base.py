"""The application core: command context, outcomes, and the load/commit/replay plumbing.

Every command group (companies, devices, …) is a mixin over `ApplicationCore`; the one
`LessorApplication` combines them, so all aggregates share one event store and a command
that touches several commits them in one transaction (docs/adr/0001-one-application.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from domain.model.actor import Caller
from domain.model.errors import (
    AlreadyExists,
    DomainError,
    IdempotencyKeyReused,
    NotFound,
    VersionConflict,
)
from domain.model.events import Cause
from domain.model.idempotency import IdempotencyRecord, idempotency_record_id
from domain.model.unique_claim import UniqueClaim, claim_id
from domain.transcodings import register_lessor_transcodings

A = TypeVar("A", bound=Aggregate)
P = ParamSpec("P")
S = TypeVar("S", bound="ApplicationCore")


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The client's Idempotency-Key and a hash of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class CommandContext:
    caller: Caller
    cause: Cause
    idempotency: Idempotency | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command reached: the subject's id and version and the log position."""

    subject_id: UUID
    version: int
    position: int
    created: bool
    replayed: bool = False


def command(
    method: Callable[Concatenate[S, CommandContext, P], Outcome],
) -> Callable[Concatenate[S, CommandContext, P], Outcome]:
    """Idempotency around a command: a request already done under its key is replayed.

    Checked again when the command is refused, because a concurrent duplicate may have
    committed in between (its serial claim, say, now exists): that is a replay, not a refusal.
    """
    operation = method.__name__

    @functools.wraps(method)
    def run(app: S, ctx: CommandContext, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
        if (replay := app._replay(ctx, operation)) is not None:
            return replay
        try:
            return method(app, ctx, *args, **kwargs)
        except DomainError:
            if (replay := app._replay(ctx, operation)) is not None:
                return replay
            raise

    return run


class ApplicationCore(Application[UUID]):
    """Loading with tenancy, optimistic concurrency, uniqueness claims, idempotent commits."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.committed_listeners: list[Callable[[int], None]] = []

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_lessor_transcodings(transcoder)

    # ----------------------------------------------------------------- plumbing

    def _load(self, kind: type[A], aggregate_id: UUID, what: str, version: int | None = None) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{what or kind.__name__} not found.") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{what or kind.__name__} not found.")
        return aggregate

    def _check_version(self, ctx: CommandContext, aggregate: Aggregate) -> None:
        expected = ctx.expected_version
        if expected is not None and expected != aggregate.version:
            raise VersionConflict(
                f"Expected version {expected}, but it is at version {aggregate.version}.",
                current_version=aggregate.version,
            )

    def _claim(
        self, kind: str, company_id: UUID, value: str, owner_id: UUID, cause: Cause
    ) -> UniqueClaim:
        """Reserve a natural key for `owner_id`; a held key is AlreadyExists, a released one
        is taken again. Saved with its owner, so a concurrent twin collides on commit."""
        existing_id = claim_id(kind, company_id, value)
        if existing_id in self.repository:
            existing = self._load(UniqueClaim, existing_id, "")
            if existing.is_held:
                raise AlreadyExists(
                    f"The {kind.replace('-', ' ')} '{value}' is already registered."
                )
            existing.reclaim(owner_id, cause=cause)
            return existing
        return UniqueClaim.claim(
            kind=kind, company_id=company_id, value=value, owner_id=owner_id, cause=cause
        )

    def _held_claim(self, kind: str, company_id: UUID, value: str) -> UniqueClaim | None:
        try:
            claim = self._load(UniqueClaim, claim_id(kind, company_id, value), "")
        except NotFound:
            return None
        return claim if claim.is_held else None

    def _replay(self, ctx: CommandContext, operation: str) -> Outcome | None:
        """The stored outcome of a request already done under this Idempotency-Key."""
        if ctx.idempotency is None:
            return None
        record_id = idempotency_record_id(ctx.caller.actor.id, ctx.idempotency.key)
        try:
            record = self._load(IdempotencyRecord, record_id, "")
        except NotFound:
            return None
        if record.request_hash != ctx.idempotency.request_hash or record.operation != operation:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request."
            )
        return Outcome(
            subject_id=record.subject_id,
            version=record.subject_version,
            position=self.recorder.max_notification_id() or 0,
            created=record.created,
            replayed=True,
        )

    def _commit(
        self,
        ctx: CommandContext,
        operation: str,
        subject: Aggregate,
        *others: Aggregate,
        created: bool,
    ) -> Outcome:
        pending: list[Aggregate] = [subject, *others]
        if ctx.idempotency is not None:
            pending.append(
                IdempotencyRecord.record(
                    scope=ctx.caller.actor.id,
                    key=ctx.idempotency.key,
                    request_hash=ctx.idempotency.request_hash,
                    operation=operation,
                    subject_id=subject.id,
                    subject_version=subject.version,
                    created=created,
                    company_id=getattr(subject, "company_id", subject.id),
                    cause=ctx.cause,
                )
            )
        try:
            position = self._save_and_announce(*pending)
        except IntegrityError:
            # Someone committed first: the same request (replay it), a claim, or a newer version.
            if (replay := self._replay(ctx, operation)) is not None:
                return replay
            for other in others:
                if isinstance(other, UniqueClaim) and self._held_claim_conflicts(other):
                    kind = other.kind.replace("-", " ")
                    raise AlreadyExists(
                        f"The {kind} '{other.value}' is already registered."
                    ) from None
            current = (
                self.repository.get(subject.id).version if subject.id in self.repository else None
            )
            raise VersionConflict(
                "The resource was changed by another request; reload it and try again.",
                current_version=current,
            ) from None
        return Outcome(
            subject_id=subject.id, version=subject.version, position=position, created=created
        )

    def _held_claim_conflicts(self, claim: UniqueClaim) -> bool:
        if claim.id not in self.repository:
            return False
        stored = self._load(UniqueClaim, claim.id, "")
        return stored.is_held and stored.owner_id != claim.owner_id

    def _save_and_announce(self, *aggregates: Aggregate) -> int:
        recordings = self.save(*aggregates)
        if not recordings:  # nothing changed: the caller has read everything up to the head
            return int(self.recorder.max_notification_id() or 0)
        position = max(r.notification.id for r in recordings)
        for listener in self.committed_listeners:
            listener(position)
        return position

    def _notifications_of(self, *event_classes: type) -> Iterator[Any]:
        topics = [get_topic(cls) for cls in event_classes]
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=500, topics=topics)
            yield from page
            if len(page) < 500:
                return
            start = page[-1].id + 1
