"""The application's `InvoiceDrafts` and `IssuedMonths` ports over the invoices read model.

An issue reads its draft here, and a usage change the months already invoiced. The read
model is first caught up, so a draft just made by a run (or changed by an issue a moment
ago) is what the command sees; an issue still checks that the read model has folded the
company's latest invoicing fact.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from adapters.projector import Projector
from adapters.sql import Database
from domain.model.invoice import Draft
from domain.model.time import add_months
from domain.model.usage import month_text, parse_month
from projections.invoices import Invoices, drafts_to_issue, issued_months


class ViewDrafts:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._projector: Projector | None = None

    def attach(self, projector: Projector) -> None:
        """The projector is built after the application this port is given to."""
        self._projector = projector

    def draft(self, invoice_id: UUID) -> Draft | None:
        return self.drafts([invoice_id]).get(invoice_id)

    def drafts(self, invoice_ids: Sequence[UUID]) -> dict[UUID, Draft]:
        """A batch of issues reads its drafts after one catch-up, in one read."""
        if self._projector is not None:
            self._projector.catch_up(Invoices.name)
        return drafts_to_issue(self._db, invoice_ids)

    def issued(self, company_id: UUID, months: Collection[str]) -> set[str]:
        """The usage months among `months` an issued invoice billed: month M's invoice bills
        the usage of M − 1 (SPEC §5). A change there is refused; it is corrected by an
        adjustment on a later invoice."""
        if self._projector is not None:
            self._projector.catch_up(Invoices.name)
        billed = {
            month_text(add_months(parse_month(m), -1)) for m in issued_months(self._db, company_id)
        }
        return billed & set(months)
