"""What the application needs from the outside world, as plain types and protocols.

Adapters implement these (adapters/stripe_gateway.py, adapters/ids.py, …), and the
composition root (api/bootstrap.py) hands them to the application; the domain never sees a
Stripe object, an SMTP connection or a file, and makes no ids of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.model.money import Money


class IdSource(Protocol):
    """New aggregate ids (ids from natural keys derive with uuid5: domain/model/ids.py)."""

    def new_id(self) -> UUID: ...


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """One attempt to pay a device buyout. The idempotency key derives from our ids, so a
    retry after a crash finds the same session at the payment provider, never a second one."""

    device_id: UUID
    company_id: UUID
    attempt: int
    amount: Money
    description: str
    customer_email: str
    success_url: str
    cancel_url: str

    @property
    def idempotency_key(self) -> str:
        return f"buyout-{self.device_id}-{self.attempt}"


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    session_id: str
    url: str
    expires_at: datetime


class PaymentGateway(Protocol):
    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    def expire_checkout(self, session_id: str) -> None:
        """Close an open session (one already expired stays so); `CheckoutUnknown` when the
        provider has no such session."""
        ...


class CheckoutUnknown(Exception):
    """The payment provider has no such checkout session (e.g. the local stand-in restarted
    and forgot it): nobody can pay it, so it is as good as closed."""


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A payment provider's notification, translated at the boundary (webhook adapter).

    kind: "paid" (checkout completed and paid, or async payment succeeded),
          "failed" (async payment failed, payment intent failed),
          "expired" (checkout session expired),
          "pending" (checkout completed but not yet paid: wait for the async outcome).
    """

    provider_event_id: str
    kind: str
    session_id: str
    device_id: UUID | None  # from client_reference_id / metadata; None if absent
    payment_id: str | None  # the payment intent
    amount: Money | None
    occurred_at: datetime  # the provider's `created`: business time of the payment


class IssuedMonths(Protocol):
    """Which of a company's usage months (local 'YYYY-MM') an issued invoice already billed:
    a usage change dated in one is refused (SPEC §5). The seam for the invoices (issue 13)."""

    def issued(self, company_id: UUID, months: Collection[str]) -> set[str]: ...


class NoIssuedInvoices:
    """IssuedMonths until invoices exist: no month is issued, so it never refuses."""

    def issued(self, company_id: UUID, months: Collection[str]) -> set[str]:
        del company_id, months
        return set()
