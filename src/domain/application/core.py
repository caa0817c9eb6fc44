"""The application core: command context, outcomes, and the load/commit/replay plumbing.

Commands are grouped into feature services (companies, devices, end of lease, …): plain
classes, each given this core and the siblings and ports it needs (`LessorApplication`
wires them). They share this one Application, so all aggregates live in one event store
and a command that touches several commits them in one transaction
(docs/adr/0001-one-application.md).
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from domain.model.actor import Caller
from domain.model.due import SCHEDULER as SCHEDULER  # the time rules' actor, for the services
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
R = TypeVar("R")


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
    operation: str | None = None  # set by @command, for the commit: callers leave it out


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command reached: its subject at the version reached, and the log position.

    The subject is what the response shows, so no client loads it again; a replayed
    request gets it at the version its first answer reached, and so the same answer.
    """

    subject: Aggregate
    position: int
    created: bool
    replayed: bool = False

    @property
    def subject_id(self) -> UUID:
        subject_id: UUID = self.subject.id
        return subject_id

    @property
    def version(self) -> int:
        return self.subject.version

    def subject_as(self, kind: type[A]) -> A:
        """The subject as the aggregate class the caller knows it to be."""
        if not isinstance(self.subject, kind):
            raise TypeError(
                f"The subject is a {type(self.subject).__name__}, not a {kind.__name__}."
            )
        return self.subject


class ReclaimNeeded(Exception):
    """A claim created first collided with a released one: run the command again, and its
    claim() reclaims the key (nothing was written)."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a scheduler job done for many aggregates in one save did: the events written
    per aggregate, and the ones refused (left out of the save, as their job alone would be)."""

    events: dict[UUID, int] = field(default_factory=dict)
    refused: dict[UUID, DomainError] = field(default_factory=dict)


class LostRace(VersionConflict):
    """Another request committed to the subject between this command's load and its commit:
    nothing of this one was written."""

    def __init__(self, detail: str, *, current_version: int | None, subject_id: UUID) -> None:
        super().__init__(detail, current_version=current_version)
        self.subject_id = subject_id


# A command that loses a race it did not ask about (no expected version) runs again, in all
# at most this many times, before its 409 is answered (docs/adr/0015-credentials-and-names.md).
COMMAND_ATTEMPTS = 5
_RETRY_BASE_S = 0.005  # the first pause is up to 5 ms, each next one up to twice as long
_RETRY_TURNSTILES = 64  # in-process retries of one aggregate take turns (striped by id)
_RELEASED_CLAIMS_KEPT = 1024  # claims known released, until a command reclaims each


def pause_before_retry(retry: int) -> None:
    """Full jitter: a random pause below an exponentially growing bound, so that requests
    which collided (in other processes too) do not collide again in lockstep."""
    time.sleep(random.uniform(0, _RETRY_BASE_S * 2 ** (retry - 1)))  # noqa: S311 (not a secret)


class Service(Protocol):
    """A feature service: commands over the core."""

    @property
    def core(self) -> ApplicationCore: ...


S = TypeVar("S", bound=Service)
Method = Callable[Concatenate[S, CommandContext, P], R]

# Every operation name in use → the method that owns it (see `operation`).
_OPERATIONS: dict[str, str] = {}


def operations() -> dict[str, str]:
    """The stored operation names of every command, and the method each belongs to."""
    return dict(_OPERATIONS)


def operation(name: str) -> Callable[[Method[S, P, R]], Method[S, P, R]]:
    """Name what a command records with its Idempotency-Key (IdempotencyRecord.operation),
    carried to the commit in the context. The name is stored and compared on a retry:
    never rename one, or retries across a deploy are refused; two commands never share one,
    or a retry of one would replay the other."""
    if name in _OPERATIONS:
        raise ValueError(f"The operation name {name!r} is taken by {_OPERATIONS[name]}.")

    def decorate(method: Method[S, P, R]) -> Method[S, P, R]:
        _OPERATIONS[name] = method.__qualname__

        @functools.wraps(method)
        def run(service: S, ctx: CommandContext, /, *args: P.args, **kwargs: P.kwargs) -> R:
            return method(service, replace(ctx, operation=name), *args, **kwargs)

        return run

    return decorate


def command(
    name: str,
) -> Callable[[Method[S, P, Outcome]], Method[S, P, Outcome]]:
    """A named operation (see `operation`) whose request, already done under its key, is
    replayed.

    Checked again when the command is refused, because a concurrent duplicate may have
    committed in between (its serial claim, say, now exists): that is a replay, not a refusal.

    A caller who sent no expected version did not ask for optimistic concurrency: when
    another request commits first, the whole command runs again (reload, rules, decision;
    see `ApplicationCore.run_again`). With an expected version the conflict is answered.
    """

    named_by = operation(name)

    def decorate(method: Method[S, P, Outcome]) -> Method[S, P, Outcome]:
        named = named_by(method)

        @functools.wraps(method)
        def run(service: S, ctx: CommandContext, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
            def attempt() -> Outcome:
                try:
                    try:
                        return named(service, ctx, *args, **kwargs)
                    except ReclaimNeeded:  # claim() now knows the key is released
                        return named(service, ctx, *args, **kwargs)
                except DomainError:
                    if (replay := service.core.replay(ctx, name)) is not None:
                        return replay
                    raise

            if (replay := service.core.replay(ctx, name)) is not None:
                return replay
            try:
                return attempt()
            except LostRace as lost:
                if ctx.expected_version is not None:
                    raise
                return service.core.run_again(attempt, lost)

        return run

    return decorate


def company_of(aggregate: Aggregate) -> UUID:
    """The tenant an aggregate belongs to (a company is its own)."""
    company_id: UUID = getattr(aggregate, "company_id", aggregate.id)
    return company_id


class ApplicationCore(Application[UUID]):
    """Loading with tenancy, optimistic concurrency, uniqueness claims, idempotent commits."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.committed_listeners: list[Callable[[int], None]] = []
        self.pause_before_retry: Callable[[int], None] = pause_before_retry
        self._turnstiles = tuple(threading.Lock() for _ in range(_RETRY_TURNSTILES))
        # Claims found released at a commit: the next claim() of one reclaims it (bounded).
        self._released_claims: dict[UUID, bool] = {}
        self.saved_listeners: list[Callable[[tuple[Aggregate, ...]], None]] = []

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_lessor_transcodings(transcoder)

    # ----------------------------------------------------------------- loading

    def load(self, kind: type[A], aggregate_id: UUID, what: str, version: int | None = None) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{what or kind.__name__} not found.") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{what or kind.__name__} not found.")
        return aggregate

    def load_owned(
        self,
        caller: Caller,
        kind: type[A],
        aggregate_id: UUID,
        what: str,
        version: int | None = None,
    ) -> A:
        """An aggregate of a company the caller sees; another company's answers exactly like
        a missing one, so ids don't leak."""
        aggregate = self.load(kind, aggregate_id, what, version)
        caller.require_company(company_of(aggregate), what)
        return aggregate

    def check_version(self, ctx: CommandContext, aggregate: Aggregate) -> None:
        """Refuse unless the aggregate was loaded at the version the client expects; the
        changes this command has not saved yet don't count, so it holds at any point."""
        expected = ctx.expected_version
        loaded = aggregate.version - len(aggregate.pending_events)
        if expected is not None and expected != loaded:
            raise VersionConflict(
                f"Expected version {expected}, but it is at version {loaded}.",
                current_version=loaded,
            )

    def notifications_of(self, *event_classes: type) -> Iterator[Any]:
        topics = [get_topic(cls) for cls in event_classes]
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=500, topics=topics)
            yield from page
            if len(page) < 500:
                return
            start = page[-1].id + 1

    def head(self) -> int:
        """The log position of the last event recorded."""
        return int(self.recorder.max_notification_id() or 0)

    # --------------------------------------------------------- uniqueness claims

    def claim(
        self,
        kind: str,
        company_id: UUID,
        value: str,
        owner_id: UUID,
        cause: Cause,
        *,
        read_first: bool = False,
    ) -> UniqueClaim:
        """Reserve a natural key for `owner_id`, saved with its owner.

        Created first, without reading: a key already claimed collides on commit, which
        then answers AlreadyExists (held) or runs the command again (released: this time
        it is read and reclaimed). A free key — the common case for a serial or an email —
        so costs no read (docs/adr/0049-command-round-trips.md). `read_first` reads it
        here instead, for a caller that answers a held key in its own words, or whose keys
        are often released (a member's plan)."""
        existing_id = claim_id(kind, company_id, value)
        if self._released_claims.pop(existing_id, False) or (
            read_first and existing_id in self.repository
        ):
            existing = self.load(UniqueClaim, existing_id, "")
            if existing.is_held:
                raise AlreadyExists(
                    f"The {kind.replace('-', ' ')} '{value}' is already registered."
                )
            existing.reclaim(owner_id, cause=cause)
            return existing
        return UniqueClaim.claim(
            kind=kind, company_id=company_id, value=value, owner_id=owner_id, cause=cause
        )

    def held_claim(self, kind: str, company_id: UUID, value: str) -> UniqueClaim | None:
        try:
            claim = self.load(UniqueClaim, claim_id(kind, company_id, value), "")
        except NotFound:
            return None
        return claim if claim.is_held else None

    # ------------------------------------------------------- replay and commit

    def run_again(self, attempt: Callable[[], Outcome], lost: LostRace) -> Outcome:
        """Run a command that lost a race again, up to COMMAND_ATTEMPTS runs in all.

        Nothing of a lost run was written, and each run reloads and decides afresh, so a
        run again is safe (an Idempotency-Key is still checked by each run). Each waits a
        jittered pause, then takes its turn at the subject's turnstile: this process's
        retries of one aggregate go one at a time, so they only race first attempts and
        other processes, instead of all colliding again.
        """
        retry = 1
        while True:
            self.pause_before_retry(retry)
            with self._turnstiles[lost.subject_id.int % _RETRY_TURNSTILES]:
                try:
                    return attempt()
                except LostRace as again:
                    if retry + 1 >= COMMAND_ATTEMPTS:
                        raise
                    lost, retry = again, retry + 1

    def replay(self, ctx: CommandContext, operation: str) -> Outcome | None:
        """The stored outcome of a request already done under this Idempotency-Key."""
        if ctx.idempotency is None:
            return None
        record_id = idempotency_record_id(ctx.caller.actor.id, ctx.idempotency.key)
        try:
            record = self.load(IdempotencyRecord, record_id, "")
        except NotFound:
            return None
        if record.request_hash != ctx.idempotency.request_hash or record.operation != operation:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request."
            )
        subject: Aggregate = self.repository.get(record.subject_id, version=record.subject_version)
        return Outcome(subject=subject, position=self.head(), created=record.created, replayed=True)

    def commit(
        self, ctx: CommandContext, subject: Aggregate, *others: Aggregate, created: bool
    ) -> Outcome:
        """Save the subject, the others and the request's IdempotencyRecord in one save()."""
        operation = ctx.operation
        if operation is None:
            raise TypeError("commit() runs inside a command: decorate it with @command(name).")
        if not created:  # for every command, whether or not it checked the version itself
            self.check_version(ctx, subject)
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
                    company_id=company_of(subject),
                    cause=ctx.cause,
                )
            )
        try:
            position = self.save_and_announce(*pending)
        except IntegrityError:
            # Someone committed first: the same request (replay it), a claim, or a newer version.
            if (replay := self.replay(ctx, operation)) is not None:
                return replay
            for other in others:
                if isinstance(other, UniqueClaim):
                    self._check_claim_after_collision(other)
            current = (
                self.repository.get(subject.id).version if subject.id in self.repository else None
            )
            raise LostRace(
                "The resource was changed by another request; reload it and try again.",
                current_version=current,
                subject_id=subject.id,
            ) from None
        return Outcome(subject=subject, position=position, created=created)

    def save_and_announce(self, *aggregates: Aggregate) -> int:
        recordings = self.save(*aggregates)
        self._keep_in_cache(aggregates)
        for saved in self.saved_listeners:
            saved(aggregates)
        if not recordings:  # nothing changed: the caller has read everything up to the head
            return self.head()
        position = max(r.notification.id for r in recordings)
        for listener in self.committed_listeners:
            listener(position)
        return position

    def _keep_in_cache(self, aggregates: tuple[Aggregate, ...]) -> None:
        """Cache what was just saved, at the version saved, so that the next command on it
        reads only newer events (the library caches loads, not saves, when it fast-forwards).
        A copy: the caller still holds the original, to answer with."""
        cache = self.repository.cache
        if cache is not None:
            for aggregate in aggregates:
                cache.put(aggregate.id, deepcopy(aggregate))

    def _check_claim_after_collision(self, claim: UniqueClaim) -> None:
        """AlreadyExists if another owner holds the key; ReclaimNeeded if this command
        created a claim first that is stored, released; else nothing (a version race)."""
        if claim.id not in self.repository:
            return
        stored = self.load(UniqueClaim, claim.id, "")
        if stored.is_held and stored.owner_id != claim.owner_id:
            kind = claim.kind.replace("-", " ")
            raise AlreadyExists(f"The {kind} '{claim.value}' is already registered.") from None
        if not stored.is_held and claim.version == 1:
            if len(self._released_claims) >= _RELEASED_CLAIMS_KEPT:
                self._released_claims.clear()
            self._released_claims[claim.id] = True
            raise ReclaimNeeded
