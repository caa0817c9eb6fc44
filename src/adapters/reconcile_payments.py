"""Reconciliation of the buyouts against Stripe: every buyout recorded as paid has a
succeeded payment of the same amount and currency at Stripe, and every succeeded payment
our gateway opened has a paid buyout (docs/adr/0045-reconciliation-checks.md).

Stripe is asked through the project's gateway and the official SDK (`succeeded_payments`:
the PaymentIntents carrying our `device_id` metadata) — the local stand-in, localstripe or
Stripe itself, whichever the deployment is configured with. A payment is matched by its
PaymentIntent id when the buyout recorded one, else by device and amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from adapters.reconcile_report import CheckReport, Discrepancy
from adapters.sandbox_clock import SandboxGateway
from adapters.stripe_gateway import StripeGatewayError, StripePayment
from domain.model.device import Device


@runtime_checkable
class PaymentsAtStripe(Protocol):
    def succeeded_payments(self) -> Iterable[StripePayment]: ...


def payments_at_stripe(gateway: object) -> PaymentsAtStripe | None:
    """The gateway's listing of payments, if it has one (a sandbox wraps the real one)."""
    if isinstance(gateway, SandboxGateway):
        gateway = gateway.provider
    return gateway if isinstance(gateway, PaymentsAtStripe) else None


class PaidBuyouts:
    """Paid buyouts (the facts) against succeeded payments (Stripe)."""

    name = "buyouts paid at Stripe"
    reads = (Device.BuyoutPaid,)

    def __init__(self, stripe: PaymentsAtStripe | None, company_id: UUID | None) -> None:
        self.stripe = stripe
        self.company_id = company_id
        self.paid: list[Any] = []
        self.found: list[Discrepancy] = []

    def fold(self, event: Any, position: int, versions: object) -> None:
        del position, versions
        if self.company_id is None or event.company_id == self.company_id:
            self.paid.append(event)

    def finish(self) -> None:
        if self.stripe is None:
            self.found.append(Discrepancy("Stripe", "no payment gateway that lists payments"))
            return
        try:
            payments = [
                p
                for p in self.stripe.succeeded_payments()
                if self.company_id is None or p.company_id == str(self.company_id)
            ]
        except StripeGatewayError as e:
            self.found.append(Discrepancy("Stripe", f"the payments could not be listed: {e}"))
            return
        unmatched = {p.payment_id: p for p in payments}
        for paid in self.paid:
            device = str(paid.originator_id)
            payment = unmatched.pop(paid.payment_id, None) if paid.payment_id else None
            if payment is None and not paid.payment_id:
                payment = next((p for p in unmatched.values() if p.device_id == device), None)
                if payment is not None:
                    del unmatched[payment.payment_id]
            subject = f"device {device}, session {paid.session_id}, payment {paid.payment_id}"
            amount = f"{paid.amount.minor} {paid.amount.currency}"
            if payment is None:
                self.found.append(
                    Discrepancy(
                        subject,
                        f"the buyout is recorded as paid ({amount}); Stripe has no succeeded"
                        " payment for it",
                        {"paid": amount},
                    )
                )
            elif payment.amount != paid.amount or payment.device_id != device:
                at_stripe = (
                    f"{payment.amount.minor} {payment.amount.currency}" if payment.amount else "?"
                )
                self.found.append(
                    Discrepancy(
                        subject,
                        f"the buyout is recorded as paid {amount}; Stripe's payment is"
                        f" {at_stripe} for device {payment.device_id}",
                        {"paid": amount, "stripe": at_stripe},
                    )
                )
        for payment in unmatched.values():
            at_stripe = (
                f"{payment.amount.minor} {payment.amount.currency}" if payment.amount else "?"
            )
            self.found.append(
                Discrepancy(
                    f"payment {payment.payment_id}, device {payment.device_id}",
                    f"Stripe has a succeeded payment of {at_stripe}; no buyout is recorded"
                    " as paid by it",
                    {"stripe": at_stripe},
                )
            )

    def report(self) -> CheckReport:
        self.finish()
        return CheckReport(self.name, len(self.paid), self.found)
