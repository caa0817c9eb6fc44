"""API tokens: issue, revoke, authenticate, list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.application.core import ApplicationCore
from domain.application.token_cache import CATCH_UP_PAGE, WATCHED_TOPICS, Credential, TokenCache
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
    cache: TokenCache = field(default_factory=TokenCache)

    def __post_init__(self) -> None:
        self.core.saved_listeners.append(self.cache.saved)

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
        its member's employment has ended (docs/adr/0015-credentials-and-names.md).

        Served from this process's cache once read (docs/adr/0050-token-cache.md)."""
        return self.cache.authenticate(token_hash, at, lambda: self._credential(token_hash))

    def catch_up(self) -> None:
        """Evict the cached credentials whose token, member or company changed in the log
        since the last call (another process revoked, say). Run at least every second."""
        self.cache.catch_up(self.core.head(), self._changed)
        self.cache.watching = True

    def _changed(self, after: int, head: int) -> Iterator[UUID]:
        start = after + 1
        while True:
            page = self.core.recorder.select_notifications(
                start=start, limit=CATCH_UP_PAGE, stop=head, topics=WATCHED_TOPICS
            )
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < CATCH_UP_PAGE:
                return
            start = page[-1].id + 1

    def _credential(self, token_hash: str) -> Credential | None:
        try:
            token = self.core.load(ApiToken, token_id_for(token_hash), "Token")
        except NotFound:
            return None
        ids = (token.id, *(i for i in (token.member_id, token.company_id) if i is not None))
        if not token.is_active:
            return Credential(caller=None, ends_at=None, ids=ids)
        ends_at = None
        if token.member_id is not None:
            found, ends_at = self._employment(token.member_id)
            if not found:
                return None
        caller = Caller(
            actor=Actor(id=str(token.id), role=token.role),
            company_id=token.company_id,
            member_id=token.member_id,
        )
        return Credential(caller=caller, ends_at=ends_at, ids=ids)

    def _employment(self, member_id: UUID) -> tuple[bool, datetime | None]:
        """(the member exists, when their employment ends); the company's time zone is read
        only for a member with a last day."""
        try:
            member = self.core.load(Member, member_id, "Member")
        except NotFound:
            return False, None
        if member.last_employment_day is None:
            return True, None
        company = self.core.load(Company, member.company_id, "Company")
        return True, member.employment_ends_at(company.time_zone)

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
