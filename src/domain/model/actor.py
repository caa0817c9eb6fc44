"""Who acts: the actor recorded on every event, and the caller's rights (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.model.errors import NotAllowed, NotFound


class Role(StrEnum):
    OPERATOR = "operator"  # provider staff: every company
    ADMIN = "admin"  # company administrator
    SERVICE = "service"  # a company's integration account
    EMPLOYEE = "employee"  # a company member
    SYSTEM = "system"  # the scheduler and other machinery


MEMBER_ROLES = (Role.ADMIN, Role.EMPLOYEE)
DEVICE_MANAGERS = (Role.OPERATOR, Role.ADMIN, Role.SERVICE)


@dataclass(frozen=True, slots=True)
class Actor:
    """Recorded on every event: who did it, in which role."""

    id: str
    role: Role

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Actor:
        return cls(id=data["id"], role=Role(data["role"]))


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal: a token bound to (company, role, member)."""

    actor: Actor
    company_id: UUID | None  # None only for operators, who see every company
    member_id: UUID | None = None

    @property
    def role(self) -> Role:
        return self.actor.role

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise NotAllowed(f"The role '{self.role.value}' may not do this (allowed: {allowed}).")

    def sees_company(self, company_id: UUID) -> bool:
        return self.role in (Role.OPERATOR, Role.SYSTEM) or self.company_id == company_id

    def require_company(self, company_id: UUID, what: str) -> None:
        """Another tenant's id answers exactly like a missing one, so ids don't leak."""
        if not self.sees_company(company_id):
            raise NotFound(f"{what} not found.")

    def scope(self, requested: UUID | None) -> UUID | None:
        """The company a query is limited to: one's own, or (operators) the one asked for."""
        if self.role in (Role.OPERATOR, Role.SYSTEM):
            return requested
        if requested is not None and requested != self.company_id:
            raise NotFound("Company not found.")
        return self.company_id
