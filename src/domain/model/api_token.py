"""ApiToken: a bearer credential bound to (company, role, member). Only its hash is stored.

The aggregate id derives from the hash, so authenticating is one repository read and
issuing the same secret twice is a conflict.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Role
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.text import clean_text


def token_id_for(token_hash: str) -> UUID:
    return natural_id("api-token", token_hash)


class ApiToken(Aggregate):
    class_version = 1

    class Issued(LessorCreated):
        class_version = 1
        token_hash: str
        role: Role
        member_id: UUID | None
        label: str

    class Revoked(LessorEvent):
        class_version = 1

    @classmethod
    def issue(
        cls,
        *,
        token_hash: str,
        company_id: UUID | None,
        role: Role,
        member_id: UUID | None,
        label: str,
        cause: Cause,
    ) -> ApiToken:
        if role == Role.SYSTEM:
            raise InvalidValue("No token can carry the system role.")
        if role == Role.OPERATOR and (company_id is not None or member_id is not None):
            raise InvalidValue("An operator token is not bound to a company or member.")
        if role != Role.OPERATOR and company_id is None:
            raise InvalidValue(f"A {role.value} token must be bound to a company.")
        if role == Role.EMPLOYEE and member_id is None:
            raise InvalidValue("An employee token must be bound to a member.")
        return cls._create(
            cls.Issued,
            id=token_id_for(token_hash),
            token_hash=token_hash,
            role=role,
            member_id=member_id,
            label=clean_text(label, "token label"),
            **cause.stamp(company_id),
        )

    @event(Issued)
    def __init__(
        self,
        *,
        token_hash: str,
        role: Role,
        member_id: UUID | None,
        label: str,
        at: datetime,
        company_id: UUID | None,
    ) -> None:
        self.token_hash = token_hash
        self.company_id = company_id
        self.role = Role(role)
        self.member_id = member_id
        self.label = label
        self.issued_at = at
        self.revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, *, cause: Cause) -> None:
        if self.revoked_at is not None:
            raise RuleViolation("The token is already revoked.")
        self.trigger_event(self.Revoked, **cause.stamp(self.company_id))

    @event(Revoked)
    def _revoked(self, *, at: datetime) -> None:
        self.revoked_at = at
