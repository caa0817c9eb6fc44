"""Companies (tenants) and their members."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.application.base import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import Caller, Role
from domain.model.company import Company
from domain.model.errors import NotFound
from domain.model.events import Cause
from domain.model.member import Member, normalise_email


class TenantCommands(ApplicationCore):
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
        company = self.company(ctx.caller, company_id)
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
        licences = self._licences_for_new_member(company, member, ctx.cause)
        return self._commit(ctx, "register_member", member, claim, *licences, created=True)

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

    def _licences_for_new_member(
        self, company: Company, member: Member, cause: Cause
    ) -> list[Aggregate]:
        """Hook: what a new member gets by default (the subscription commands fill it in)."""
        del company, member, cause
        return []

    def find_member_by_email(self, company_id: UUID, email: str) -> Member | None:
        claim = self._held_claim("member-email", company_id, normalise_email(email))
        if claim is None or claim.owner_id is None:
            return None
        return self._load(Member, claim.owner_id, "Member")
