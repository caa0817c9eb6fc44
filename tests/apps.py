"""The application in memory, with its ports, for tests that need no database."""

from __future__ import annotations

from typing import Any, TypeVar

from adapters.ids import RandomIds
from domain.application import LessorApplication
from domain.ports import CheckoutRequest, CheckoutSession, PaymentGateway

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
App = TypeVar("App", bound=LessorApplication)


class NoPayments:
    """The payment gateway of a test that takes no payment: asking it is a failure."""

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        raise AssertionError(f"this test opens no checkout: {request}")

    def expire_checkout(self, session_id: str) -> None:
        raise AssertionError(f"this test expires no checkout: {session_id}")


def ports(payment_gateway: PaymentGateway | None = None) -> dict[str, Any]:
    """What `LessorApplication` is given besides its env (api/bootstrap.py in production)."""
    return {"ids": RandomIds(), "payment_gateway": payment_gateway or NoPayments()}


def in_memory_app(
    kind: type[App] = LessorApplication,  # type: ignore[assignment]
    *,
    payment_gateway: PaymentGateway | None = None,
    **env: str,
) -> App:
    """A fresh application on the in-memory store; `env` adds settings (snapshotting, …)."""
    return kind(env={**POPO, **env}, **ports(payment_gateway))
