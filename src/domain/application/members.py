"""A company's members: registration (with the company's default licence), last employment
day, reads with tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, Unpack, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import Caller, Role
from domain.model.company import Company
from domain.model.errors import NotFound
from domain.model.events import Cause
from domain.model.member import Member, NewMember, normalise_email
from domain.ports import IdSource


class DefaultLicence(Protocol):
    """What a new member gets by default, saved with the member (the subscriptions)."""

    def licences_for_new_member(
        self, company: Company, member: Member, cause: Cause
    ) -> list[Aggregate]: ...


@dataclass(frozen=True, eq=False)
class Members:
    core: ApplicationCore
    ids: IdSource
    companies: Companies
    default_licence: DefaultLicence

    @command("register_member")
    def register(
        self, ctx: CommandContext, *, company_id: UUID, **new: Unpack[NewMember]
    ) -> Outcome:
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        member = Member.register(
            member_id=self.ids.new_id(), company_id=company_id, cause=ctx.cause, **new
        )
        claim = self.core.claim("member-email", company_id, member.email, member.id, ctx.cause)
        licences = self.default_licence.licences_for_new_member(company, member, ctx.cause)
        return self.core.commit(ctx, member, claim, *licences, created=True)

    @command("set_last_employment_day")
    def set_last_employment_day(
        self, ctx: CommandContext, member_id: UUID, day: date | None
    ) -> Outcome:
        member = self.get(ctx.caller, member_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        self.core.check_version(ctx, member)
        member.set_last_employment_day(day, cause=ctx.cause)
        return self.core.commit(ctx, member, created=False)

    def get(self, caller: Caller, member_id: UUID, version: int | None = None) -> Member:
        member = self.core.load_owned(caller, Member, member_id, "Member", version)
        if caller.role == Role.EMPLOYEE and caller.member_id != member.id:
            raise NotFound("Member not found.")
        return member

    def find_by_email(self, company_id: UUID, email: str) -> Member | None:
        claim = self.core.held_claim("member-email", company_id, normalise_email(email))
        if claim is None or claim.owner_id is None:
            return None
        return self.core.load(Member, claim.owner_id, "Member")

    def admin_emails(self, company_id: UUID) -> list[str]:
        """Scans every registration: for rare messages (the weekly digest), not per request."""
        emails = []
        for notification in self.core.notifications_of(Member.Registered):
            # The registration names the company: load only this company's members (their
            # role and email may have changed since).
            registered = cast(Member.Registered, self.core.mapper.to_domain_event(notification))
            if registered.company_id != company_id:
                continue
            member = self.core.load(Member, notification.originator_id, "Member")
            if member.role == Role.ADMIN:
                emails.append(member.email)
        return sorted(emails)
