"""The application's `InvoiceDrafts` port over the invoices read model.

An issue reads its draft here. The read model is first caught up, so a draft just made by
a run (or changed by an issue a moment ago) is what the command sees; the command still
checks that the read model has folded the company's latest invoicing fact.
"""

from __future__ import annotations

from uuid import UUID

from adapters.projector import Projector
from adapters.sql import Database
from domain.model.invoice import Draft
from projections.invoices import Invoices, draft_to_issue


class ViewDrafts:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._projector: Projector | None = None

    def attach(self, projector: Projector) -> None:
        """The projector is built after the application this port is given to."""
        self._projector = projector

    def draft(self, invoice_id: UUID) -> Draft | None:
        if self._projector is not None:
            self._projector.catch_up(Invoices.name)
        return draft_to_issue(self._db, invoice_id)
