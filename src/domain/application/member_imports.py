"""Bulk provisioning (SPEC §3, seed 004, ADR 0033): a company's members and their licences
from a CSV file — dry run, all or nothing, a repeated file changes nothing — and the same
table for export.

The caller reads the upload into a table (adapters/price_csv.py) and names the company's
subscriptions (from the subscription overview); each is loaded here and checked to be the
company's. A licence named in the file is taken from the first of them, in the order
given, with a line of that product and a free seat; a licence held and not named is
unassigned. Management rights do not limit licences (ADR 0031).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application.catalog import Catalog
from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, operation
from domain.application.members import Members
from domain.application.subscriptions import Subscriptions
from domain.model.actor import Caller, Role
from domain.model.errors import DomainError
from domain.model.events import Cause
from domain.model.member import Member
from domain.model.member_rows import (
    NAME,
    OPTIONS,
    PLAN,
    ROLE,
    MemberImportRejected,
    MemberRow,
    validate_member_table,
)
from domain.model.price_rows import PriceTable, RowError
from domain.model.product import Product, ProductKind
from domain.model.subscription import Subscription
from domain.model.unique_claim import UniqueClaim
from domain.ports import IdSource

MEMBER_ADMINS = (Role.OPERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    line: int
    email: str
    member_id: UUID
    created: bool
    assigned: tuple[str, ...]  # product codes
    unassigned: tuple[str, ...]
    last_employment_day_set: bool

    @property
    def changed(self) -> bool:
        return self.created or bool(self.assigned or self.unassigned)


@dataclass(frozen=True, slots=True)
class MemberImportResult:
    company_id: UUID
    dry_run: bool
    applied: bool  # this call wrote changes
    rows: tuple[MemberOutcome, ...]
    errors: tuple[RowError, ...]
    position: int


@dataclass(frozen=True, slots=True)
class ExportRow:
    email: str
    name: str
    role: str
    plan: str
    options: tuple[str, ...]
    last_employment_day: str


@dataclass
class _Batch:
    """The aggregates one import changes, each loaded once."""

    subscriptions: list[Subscription]
    members: dict[str, Member] = field(default_factory=dict)
    others: list[Aggregate] = field(default_factory=list)
    released: dict[UUID, UniqueClaim] = field(default_factory=dict)  # plan claims, by member

    def pending(self) -> list[Aggregate]:
        touched: list[Aggregate] = [*self.subscriptions, *self.members.values(), *self.others]
        unique = {id(a): a for a in touched}
        return [a for a in unique.values() if a.pending_events]


@dataclass(frozen=True, eq=False)
class MemberImports:
    core: ApplicationCore
    ids: IdSource
    companies: Companies
    catalog: Catalog
    members: Members
    subscriptions: Subscriptions

    @operation("import_members")
    def import_members(
        self,
        ctx: CommandContext,
        company_id: UUID,
        table: PriceTable,
        subscription_ids: list[UUID],
        *,
        dry_run: bool,
    ) -> MemberImportResult:
        self.companies.get(ctx.caller, company_id)
        ctx.caller.require(*MEMBER_ADMINS)
        codes = {p.code: p for p in self.catalog.products()}
        rows, errors = validate_member_table(table, {c: p.kind for c, p in codes.items()})
        batch = _Batch(
            self._subscriptions_of(ctx.caller, company_id, subscription_ids, ctx.cause.at)
        )
        outcomes: list[MemberOutcome] = []
        for row in rows:
            try:
                outcomes.append(self._apply(ctx.cause, company_id, row, codes, batch))
            except _RowRefused as refused:
                errors.append(refused.error)
        errors.sort()
        result = MemberImportResult(
            company_id, dry_run, False, tuple(outcomes), tuple(errors), self.core.head()
        )
        if dry_run:
            return result
        if errors:
            raise MemberImportRejected(errors)
        pending = batch.pending()
        if not any(o.changed or o.last_employment_day_set for o in outcomes):
            return result  # the file says what already is: a repeat changes nothing
        done = self.core.commit(ctx, pending[0], *pending[1:], created=False)
        return MemberImportResult(company_id, False, True, tuple(outcomes), (), done.position)

    def export(
        self,
        caller: Caller,
        company_id: UUID,
        member_ids: list[UUID],
        subscription_ids: list[UUID],
        at: datetime,
    ) -> list[ExportRow]:
        """The members (in the order given) with their licences, as an import reads them."""
        self.companies.get(caller, company_id)
        caller.require(*MEMBER_ADMINS)
        subscriptions = self._subscriptions_of(caller, company_id, subscription_ids, at)
        code_of = {p.id: p.code for p in self.catalog.products()}
        kind_of = {p.id: p.kind for p in self.catalog.products()}
        rows = []
        for member_id in member_ids:
            member = self.members.get(caller, member_id)
            held = [p for s in subscriptions for p in s.products_held_by(member.id)]
            plans = [code_of[p] for p in held if kind_of.get(p) == ProductKind.PLAN]
            options = sorted(code_of[p] for p in held if kind_of.get(p) != ProductKind.PLAN)
            day = member.last_employment_day
            rows.append(
                ExportRow(
                    member.email,
                    member.name,
                    member.role.value,
                    plans[0] if plans else "",
                    tuple(options),
                    day.isoformat() if day else "",
                )
            )
        return rows

    # ------------------------------------------------------------------ helpers

    def _subscriptions_of(
        self, caller: Caller, company_id: UUID, subscription_ids: list[UUID], at: datetime
    ) -> list[Subscription]:
        """The company's subscriptions among those named, caught up to `at`, not ended."""
        found = [
            self.subscriptions.caught_up(caller, s, at)[0] for s in dict.fromkeys(subscription_ids)
        ]
        return [s for s in found if s.company_id == company_id and not s.is_ended]

    def _apply(
        self,
        cause: Cause,
        company_id: UUID,
        row: MemberRow,
        codes: dict[str, Product],
        batch: _Batch,
    ) -> MemberOutcome:
        member, created = self._member(cause, company_id, row, batch)
        day_set = False
        if not created and member.last_employment_day != row.last_employment_day:
            member.set_last_employment_day(row.last_employment_day, cause=cause)
            day_set = True
        wanted = {codes[c].id: c for c in row.products}
        unassigned: list[str] = []
        for subscription in batch.subscriptions:
            for product_id in subscription.products_held_by(member.id):
                if product_id not in wanted:
                    for claim in self.subscriptions.unassign_member(
                        subscription, member.id, product_id, cause
                    ):
                        batch.released[member.id] = claim
                        batch.others.append(claim)
                    unassigned.append(code_of(subscription, product_id, codes))
        held = {p for s in batch.subscriptions for p in s.products_held_by(member.id)}
        assigned = [
            self._assign(cause, member, product_id, code, row, batch)
            for product_id, code in wanted.items()
            if product_id not in held
        ]
        return MemberOutcome(
            row.line,
            row.email,
            member.id,
            created,
            tuple(assigned),
            tuple(unassigned),
            day_set,
        )

    def _member(
        self, cause: Cause, company_id: UUID, row: MemberRow, batch: _Batch
    ) -> tuple[Member, bool]:
        existing = self.members.find_by_email(company_id, row.email)
        if existing is None:
            member = Member.register(
                member_id=self.ids.new_id(),
                company_id=company_id,
                email=row.email,
                name=row.name,
                role=row.role,
                last_employment_day=row.last_employment_day,
                cause=cause,
            )
            batch.others.append(
                self.core.claim(
                    "member-email", company_id, member.email, member.id, cause, read_first=True
                )
            )
            batch.members[row.email] = member
            return member, True
        if existing.name != row.name:
            raise _RowRefused(row.line, NAME, f"the member is registered as '{existing.name}'")
        if existing.role != row.role:
            raise _RowRefused(row.line, ROLE, f"the member is registered as {existing.role}")
        member = batch.members.setdefault(row.email, existing)
        return member, False

    def _assign(
        self,
        cause: Cause,
        member: Member,
        product_id: UUID,
        code: str,
        row: MemberRow,
        batch: _Batch,
    ) -> str:
        """Take a seat of the first subscription with one free; a plan released earlier in
        this import is claimed again (the saved claim still reads as held)."""
        column = PLAN if code == row.plan else OPTIONS
        for subscription in batch.subscriptions:
            if str(product_id) not in subscription.lines or subscription.free_seats(product_id) < 1:
                continue
            released = batch.released.pop(member.id, None) if code == row.plan else None
            try:
                if released is not None:
                    subscription.assign_licence(member.id, product_id, cause=cause)
                    released.reclaim(subscription.id, cause=cause)
                else:
                    claims = self.subscriptions.assign_member(
                        subscription, member, product_id, cause
                    )
                    batch.others.extend(claims)
            except DomainError as refused:
                raise _RowRefused(row.line, column, refused.detail) from None
            return code
        raise _RowRefused(
            row.line, column, f"no free seat of '{code}' in the company's subscriptions"
        )


def code_of(subscription: Subscription, product_id: UUID, codes: dict[str, Product]) -> str:
    """The catalog code of a product a subscription sells (its name, if the code is gone)."""
    found = [code for code, product in codes.items() if product.id == product_id]
    return found[0] if found else subscription.line(product_id).product_name


class _RowRefused(Exception):
    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(message)
        self.error = RowError(line, column, message)
