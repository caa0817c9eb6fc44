"""Typed domain errors. The HTTP layer maps each family to one status in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal the domain can express."""

    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extensions(self) -> dict[str, Any]:
        """Members the problem+json adds beside its detail (e.g. one error per refused item)."""
        return {}


class InvalidValue(DomainError):
    """A value is malformed or out of range (bad input): nothing is written."""

    title = "Invalid value"


class CurrencyMismatch(InvalidValue):
    """Money of two currencies met in one calculation."""

    title = "Currency mismatch"


class NotFound(DomainError):
    """No such thing, or it belongs to another tenant: the two are indistinguishable on purpose."""

    title = "Not found"


class NotAllowed(DomainError):
    """The caller's role may not do this."""

    title = "Forbidden"


class Throttled(DomainError):
    """Too many attempts of this kind lately: try again after `retry_after_s` (429)."""

    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class RuleViolation(DomainError):
    """The command conflicts with a business rule or the current state."""

    title = "Conflict with a business rule"


class AlreadyExists(RuleViolation):
    """A natural key (serial number, email, …) is already taken."""

    title = "Already exists"


class VersionConflict(RuleViolation):
    """The aggregate changed since the caller read it (optimistic concurrency)."""

    title = "Version conflict"

    def __init__(self, detail: str, *, current_version: int | None) -> None:
        super().__init__(detail)
        self.current_version = current_version


class IdempotencyKeyReused(InvalidValue):
    """An Idempotency-Key was reused with a different request."""

    title = "Idempotency key reused with a different request"
