"""API tokens: issue, revoke, authenticate, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.application.core import ApplicationCore
from domain.model.actor import Actor, Caller, Role
from domain.model.api_token import ApiToken, token_id_for
from domain.model.company import Company
from domain.model.errors import NotFound
from domain.model.events import Cause
from domain.model.member import Member


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: UUID
    company_id: UUID | None
    role: Role
    member_id: UUID | None
    label: str
    active: bool


@dataclass(frozen=True, eq=False)
class Tokens:
    """Tokens are issued by operators at the console (the CLI), not through the API."""

    core: ApplicationCore

    def issue(
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
            self.core.load(Company, company_id, "Company")
        if member_id is not None:
            member = self.core.load(Member, member_id, "Member")
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
        self.core.save_and_announce(token)
        return token.id

    def revoke(self, cause: Cause, token_id: UUID) -> None:
        token = self.core.load(ApiToken, token_id, "Token")
        token.revoke(cause=cause)
        self.core.save_and_announce(token)

    def authenticate(self, token_hash: str, at: datetime) -> Caller | None:
        """The caller a presented token stands for at `at`, or None: unknown, revoked, or
        its member's employment has ended (docs/adr/0015-credentials-and-names.md)."""
        try:
            token = self.core.load(ApiToken, token_id_for(token_hash), "Token")
        except NotFound:
            return None
        if not token.is_active:
            return None
        if token.member_id is not None and not self._employed(token.member_id, at):
            return None
        return Caller(
            actor=Actor(id=str(token.id), role=token.role),
            company_id=token.company_id,
            member_id=token.member_id,
        )

    def _employed(self, member_id: UUID, at: datetime) -> bool:
        """A member's token costs one more read per request (the member, from its snapshot
        onwards); the company's time zone is read only for a member with a last day."""
        try:
            member = self.core.load(Member, member_id, "Member")
        except NotFound:
            return False
        if member.last_employment_day is None:
            return True
        company = self.core.load(Company, member.company_id, "Company")
        return member.is_employed_at(at, company.time_zone)

    def issued(self) -> list[TokenInfo]:
        """Every token ever issued, from the log (a handful per company; no view needed)."""
        token_ids: list[UUID] = []
        for notification in self.core.notifications_of(ApiToken.Issued):
            token_ids.append(notification.originator_id)
        infos = []
        for token_id in token_ids:
            token = self.core.load(ApiToken, token_id, "Token")
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
