"""The Lessor application: one method per command (load → check → decide → save).

Every aggregate lives in this one eventsourcing Application, so a command that touches
several (a device and its serial claim, any change and its idempotency record) commits
all its events in one transaction or none (docs/adr/0001-one-application.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from domain.model.actor import DEVICE_MANAGERS, Caller, Role
from domain.model.api_token import ApiToken, token_id_for
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.errors import (
    AlreadyExists,
    DomainError,
    IdempotencyKeyReused,
    InvalidValue,
    NotFound,
    VersionConflict,
)
from domain.model.events import Cause
from domain.model.idempotency import IdempotencyRecord, idempotency_record_id
from domain.model.member import Member, normalise_email
from domain.model.money import Money
from domain.model.unique_claim import UniqueClaim, claim_id
from domain.transcodings import register_lessor_transcodings

A = TypeVar("A", bound=Aggregate)
P = ParamSpec("P")


def command(
    method: Callable[Concatenate[LessorApplication, CommandContext, P], Outcome],
) -> Callable[Concatenate[LessorApplication, CommandContext, P], Outcome]:
    """Idempotency around a command: a request already done under its key is replayed.

    Checked again when the command is refused, because a concurrent duplicate may have
    committed in between (its serial claim, say, now exists): that is a replay, not a refusal.
    """
    operation = method.__name__

    @functools.wraps(method)
    def run(
        app: LessorApplication, ctx: CommandContext, /, *args: P.args, **kwargs: P.kwargs
    ) -> Outcome:
        if (replay := app._replay(ctx, operation)) is not None:
            return replay
        try:
            return method(app, ctx, *args, **kwargs)
        except DomainError:
            if (replay := app._replay(ctx, operation)) is not None:
                return replay
            raise

    return run


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


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: UUID
    company_id: UUID | None
    role: Role
    member_id: UUID | None
    label: str
    active: bool


class LessorApplication(Application[UUID]):
    name = "lessor"
    snapshotting_intervals = {Company: 50, Member: 50, Device: 50}  # noqa: RUF012 (library API)

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.committed_listeners: list[Callable[[int], None]] = []

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_lessor_transcodings(transcoder)

    # ---------------------------------------------------------------- companies

    @command
    def register_company(
        self,
        ctx: CommandContext,
        *,
        name: str,
        currency: str,
        time_zone: str,
        vat_rate: Decimal,
        settings: dict[str, Any],
    ) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        company = Company.register(
            company_id=uuid4(),
            name=name,
            currency=currency,
            time_zone=time_zone,
            vat_rate=vat_rate,
            settings=settings,
            cause=ctx.cause,
        )
        return self._commit(ctx, "register_company", company, created=True)

    @command
    def change_company(
        self,
        ctx: CommandContext,
        company_id: UUID,
        *,
        name: str | None = None,
        vat_rate: Decimal | None = None,
        time_zone: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        self._check_version(ctx, company)
        company.change(
            name=name, vat_rate=vat_rate, time_zone=time_zone, settings=settings, cause=ctx.cause
        )
        return self._commit(ctx, "change_company", company, created=False)

    def company(self, caller: Caller, company_id: UUID, version: int | None = None) -> Company:
        caller.require_company(company_id, "Company")
        return self._load(Company, company_id, "Company", version)

    def read_company(self, caller: Caller, company_id: UUID, version: int | None = None) -> Company:
        """Company details are for its admins and integrations, and for operators."""
        company = self.company(caller, company_id, version)
        caller.require(Role.OPERATOR, Role.ADMIN, Role.SERVICE)
        return company

    # ------------------------------------------------------------------ members

    @command
    def register_member(
        self,
        ctx: CommandContext,
        *,
        company_id: UUID,
        email: str,
        name: str,
        role: Role,
        last_employment_day: date | None,
    ) -> Outcome:
        self.company(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        member = Member.register(
            member_id=uuid4(),
            company_id=company_id,
            email=email,
            name=name,
            role=role,
            last_employment_day=last_employment_day,
            cause=ctx.cause,
        )
        claim = self._claim("member-email", company_id, member.email, member.id, ctx.cause)
        return self._commit(ctx, "register_member", member, claim, created=True)

    @command
    def set_last_employment_day(
        self, ctx: CommandContext, member_id: UUID, day: date | None
    ) -> Outcome:
        member = self.member(ctx.caller, member_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        self._check_version(ctx, member)
        member.set_last_employment_day(day, cause=ctx.cause)
        return self._commit(ctx, "set_last_employment_day", member, created=False)

    def member(self, caller: Caller, member_id: UUID, version: int | None = None) -> Member:
        member = self._load(Member, member_id, "Member", version)
        caller.require_company(member.company_id, "Member")
        if caller.role == Role.EMPLOYEE and caller.member_id != member.id:
            raise NotFound("Member not found.")
        return member

    def find_member_by_email(self, company_id: UUID, email: str) -> Member | None:
        try:
            claim = self._load(
                UniqueClaim, claim_id("member-email", company_id, normalise_email(email)), ""
            )
        except NotFound:
            return None
        return self._load(Member, claim.owner_id, "Member")

    # ------------------------------------------------------------------ devices

    @command
    def register_device(
        self,
        ctx: CommandContext,
        *,
        company_id: UUID,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
    ) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        if company_cost.currency != company.currency:
            raise InvalidValue(
                f"The company cost must be in the company's currency ({company.currency})."
            )
        device = Device.register(
            device_id=uuid4(),
            company_id=company_id,
            serial=serial,
            model=model,
            category=category,
            company_cost=company_cost,
            contract_type=contract_type,
            lease_start=lease_start,
            renewal_date=renewal_date,
            cause=ctx.cause,
        )
        claim = self._claim("device-serial", company_id, device.serial, device.id, ctx.cause)
        return self._commit(ctx, "register_device", device, claim, created=True)

    @command
    def assign_device(self, ctx: CommandContext, device_id: UUID, member_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        member = self._load(Member, member_id, "Member")
        if member.company_id != device.company_id:
            raise NotFound("Member not found.")
        self._check_version(ctx, device)
        device.assign(member.id, cause=ctx.cause)
        return self._commit(ctx, "assign_device", device, created=False)

    @command
    def unassign_device(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        self._check_version(ctx, device)
        device.unassign(cause=ctx.cause)
        return self._commit(ctx, "unassign_device", device, created=False)

    def device(self, caller: Caller, device_id: UUID, version: int | None = None) -> Device:
        device = self._load(Device, device_id, "Device", version)
        caller.require_company(device.company_id, "Device")
        if caller.role == Role.EMPLOYEE and device.assignee_id != caller.member_id:
            raise NotFound("Device not found.")  # employees see only their own devices
        return device

    # ------------------------------------------------------------------- tokens

    def issue_token(
        self,
        cause: Cause,
        *,
        token_hash: str,
        company_id: UUID | None,
        role: Role,
        member_id: UUID | None,
        label: str,
    ) -> UUID:
        if company_id is not None:
            self._load(Company, company_id, "Company")
        if member_id is not None:
            member = self._load(Member, member_id, "Member")
            if member.company_id != company_id:
                raise NotFound("Member not found.")
        token = ApiToken.issue(
            token_hash=token_hash,
            company_id=company_id,
            role=role,
            member_id=member_id,
            label=label,
            cause=cause,
        )
        self._save_and_announce(token)
        return token.id

    def revoke_token(self, cause: Cause, token_id: UUID) -> None:
        token = self._load(ApiToken, token_id, "Token")
        token.revoke(cause=cause)
        self._save_and_announce(token)

    def authenticate(self, token_hash: str) -> Caller | None:
        """The caller a presented token stands for, or None (unknown or revoked)."""
        from domain.model.actor import Actor  # local: keeps the command section readable

        try:
            token = self._load(ApiToken, token_id_for(token_hash), "Token")
        except NotFound:
            return None
        if not token.is_active:
            return None
        return Caller(
            actor=Actor(id=str(token.id), role=token.role),
            company_id=token.company_id,
            member_id=token.member_id,
        )

    def tokens(self) -> list[TokenInfo]:
        """Every token ever issued, from the log (a handful per company; no view needed)."""
        token_ids: list[UUID] = []
        for notification in self._notifications_of(ApiToken.Issued):
            token_ids.append(notification.originator_id)
        infos = []
        for token_id in token_ids:
            token = self._load(ApiToken, token_id, "Token")
            infos.append(
                TokenInfo(
                    token_id=token.id,
                    company_id=token.company_id,
                    role=token.role,
                    member_id=token.member_id,
                    label=token.label,
                    active=token.is_active,
                )
            )
        return infos

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
        if claim_id(kind, company_id, value) in self.repository:
            raise AlreadyExists(f"The {kind.replace('-', ' ')} '{value}' is already registered.")
        return UniqueClaim.claim(
            kind=kind, company_id=company_id, value=value, owner_id=owner_id, cause=cause
        )

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
                if isinstance(other, UniqueClaim) and other.id in self.repository:
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

    def _save_and_announce(self, *aggregates: Aggregate) -> int:
        recordings = self.save(*aggregates)
        position = max((r.notification.id for r in recordings), default=0)
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
