"""Usage billing (SPEC §5): the company's usage ledger and the provider's usage price list.

Customers (admins, integrations) and operators record batches of changes; each batch is one
event on the company's ledger, in one transaction, all or nothing. Which months are already
on an issued invoice comes from the `IssuedMonths` port (domain/ports.py), which the
invoices read model answers (adapters/invoice_drafts.py); `NoIssuedInvoices` is for an
application without read models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import DEVICE_MANAGERS, Caller, Role
from domain.model.company import Company
from domain.model.errors import NotFound
from domain.model.events import Cause
from domain.model.usage import UsageChange, month_of
from domain.model.usage_ledger import UsageLedger, ledger_id
from domain.model.usage_price_list import PRICE_LIST_ID, UsagePriceList
from domain.ports import IssuedMonths

# Usage is recorded by the same roles as device commands: operators, admins, integrations.
USAGE_RECORDERS = DEVICE_MANAGERS


@dataclass(frozen=True, eq=False)
class Usage:
    core: ApplicationCore
    companies: Companies
    issued_months: IssuedMonths

    @command("record_usage_changes")
    def record_changes(
        self, ctx: CommandContext, company_id: UUID, changes: Sequence[UsageChange]
    ) -> Outcome:
        """Record a batch (a change id seen before is a no-op); refuse it whole, listing
        each refused change. The subject is the ledger (created by its first batch)."""
        company, ledger, created = self._ledger(ctx.caller, company_id, ctx.cause)
        self._record(company, ledger, changes, ctx.cause)
        return self.core.commit(ctx, ledger, created=created)

    def check_changes(
        self,
        caller: Caller,
        company_id: UUID,
        batches: Sequence[Sequence[UsageChange]],
        cause: Cause,
    ) -> int:
        """A dry run of `record_changes` for each batch in turn (a later batch sees the
        earlier ones): the same refusals, nothing recorded. Returns how many are new."""
        company, ledger, _ = self._ledger(caller, company_id, cause)
        return sum(len(self._record(company, ledger, batch, cause)) for batch in batches)

    def ledger(self, caller: Caller, company_id: UUID) -> UsageLedger:
        self.companies.get(caller, company_id)
        caller.require(*USAGE_RECORDERS)
        return self.core.load(UsageLedger, ledger_id(company_id), "Usage ledger")

    @command("set_usage_price")
    def set_price(
        self,
        ctx: CommandContext,
        kind: str,
        *,
        prices: dict[str, int],
        description: str | None,
    ) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        price_list = self._price_list(ctx.cause)
        self.core.check_version(ctx, price_list)
        price_list.set_price(kind, prices=prices, description=description, cause=ctx.cause)
        # The one price list is the provider's from the start: setting a price never
        # "creates" it for the client, even the first time (when it is opened).
        return self.core.commit(ctx, price_list, created=False)

    def price_list(self, caller: Caller) -> UsagePriceList | None:
        """Every authenticated caller may read the usage prices (like the catalog); None
        before the operator set the first one."""
        del caller
        try:
            return self.core.load(UsagePriceList, PRICE_LIST_ID, "")
        except NotFound:
            return None

    # ------------------------------------------------------------------ helpers

    def _ledger(
        self, caller: Caller, company_id: UUID, cause: Cause
    ) -> tuple[Company, UsageLedger, bool]:
        company = self.companies.get(caller, company_id)
        caller.require(*USAGE_RECORDERS)
        try:
            return company, self.core.load(UsageLedger, ledger_id(company_id), ""), False
        except NotFound:
            return company, UsageLedger.open(company_id=company_id, cause=cause), True

    def _record(
        self,
        company: Company,
        ledger: UsageLedger,
        changes: Sequence[UsageChange],
        cause: Cause,
    ) -> list[UsageChange]:
        months = {month_of(c.at, company.time_zone) for c in changes}
        issued = self.issued_months.issued(company.id, months) if months else set()
        return ledger.record(
            changes, time_zone=company.time_zone, issued_months=issued, cause=cause
        )

    def _price_list(self, cause: Cause) -> UsagePriceList:
        try:
            return self.core.load(UsagePriceList, PRICE_LIST_ID, "")
        except NotFound:
            return UsagePriceList.open(cause=cause)
