"""The Lessor application: one event store, commands grouped into feature services.

Each service is a plain class over the small core (domain/application/core.py: loading
with tenancy, version checks, uniqueness claims, idempotent replay, one commit), given the
sibling services and the ports it needs here, e.g. `app.devices.assign(ctx, …)`,
`app.end_of_lease.start_buyout(ctx, …)`. A new capability is a new service module, wired
in below.
"""

from __future__ import annotations

from uuid import UUID

from domain.application.catalog import Catalog
from domain.application.companies import Companies
from domain.application.core import (
    ApplicationCore,
    CommandContext,
    Idempotency,
    Outcome,
    command,
    operation,
    operations,
)
from domain.application.credits import Credits
from domain.application.devices import Devices
from domain.application.end_of_lease import DeviceOptions, EndOfLease
from domain.application.invoicing import InvoiceDrafts, Invoicing, UsageToInvoice
from domain.application.member_imports import MemberImports
from domain.application.members import Members
from domain.application.price_imports import PriceImports
from domain.application.provider_terms import Terms
from domain.application.rentals import Rentals
from domain.application.replacements import Replacements
from domain.application.subscriptions import Quote, Subscriptions
from domain.application.tokens import TokenInfo, Tokens
from domain.application.usage import Usage
from domain.application.usage_invoicing import LedgerUsage
from domain.application.valuation import Valuation
from domain.model.company import Company
from domain.model.device import Device
from domain.model.invoice import Draft, InvoiceBook, InvoiceSequence
from domain.model.member import Member
from domain.model.rental_account import RentalAccount
from domain.model.subscription import Subscription
from domain.model.usage_ledger import UsageLedger
from domain.ports import IdSource, IssuedMonths, NoIssuedInvoices, PaymentGateway


class LessorApplication(ApplicationCore):
    """All aggregates in one event store (tables `lessor_events`, `lessor_snapshots`)."""

    name = "lessor"
    snapshotting_intervals = {  # noqa: RUF012 (library API)
        Company: 50,
        Member: 50,
        Device: 50,
        Subscription: 50,
        UsageLedger: 50,  # each event is a batch of up to 1,000 changes
        RentalAccount: 50,
        InvoiceBook: 50,
        InvoiceSequence: 100,
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        ids: IdSource,
        payment_gateway: PaymentGateway,
        issued_months: IssuedMonths | None = None,
        invoice_drafts: InvoiceDrafts | None = None,
        usage_to_invoice: UsageToInvoice | None = None,
        invoice_seller: dict[str, str] | None = None,
        require_en16931: bool = False,
    ) -> None:
        super().__init__(env=env)
        self.companies = Companies(self, ids)
        self.catalog = Catalog(self, ids)
        self.terms = Terms(self)
        self.subscriptions = Subscriptions(self, ids, self.companies, self.catalog, self.terms)
        self.members = Members(self, ids, self.companies, default_licence=self.subscriptions)
        self.member_imports = MemberImports(
            self, ids, self.companies, self.catalog, self.members, self.subscriptions
        )
        self.devices = Devices(self, ids, self.companies)
        self.valuation = Valuation(self, self.companies, self.devices)
        self.replacements = Replacements(self, ids, self.devices, self.members)
        self.credits = Credits(self, ids, self.companies, self.devices)
        self.rentals = Rentals(self, ids, self.devices, self.credits)
        self.end_of_lease = EndOfLease(
            self, self.devices, self.valuation, self.replacements, payment_gateway
        )
        self.price_imports = PriceImports(self, self.companies)
        self.tokens = Tokens(self)
        self.usage = Usage(self, self.companies, issued_months or NoIssuedInvoices())
        self.invoicing = Invoicing(
            self,
            self.companies,
            invoice_drafts or NoDrafts(),
            usage_to_invoice or LedgerUsage(self),
            invoice_seller or {"name": "Lessor"},
            require_en16931,
        )


class NoDrafts:
    """The drafts of an application without read models (in-memory tests): none."""

    def draft(self, invoice_id: object) -> Draft | None:
        del invoice_id
        return None

    def drafts(self, invoice_ids: object) -> dict[UUID, Draft]:
        del invoice_ids
        return {}


__all__ = [
    "CommandContext",
    "DeviceOptions",
    "Idempotency",
    "LessorApplication",
    "Outcome",
    "Quote",
    "TokenInfo",
    "command",
    "operation",
    "operations",
]
