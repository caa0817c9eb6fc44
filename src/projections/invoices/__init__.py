"""The invoices read model: drafts folded from the log, issued invoices, and their queries."""

from projections.invoices.projection import Invoices
from projections.invoices.queries import (
    InvoiceFilter,
    draft_to_issue,
    drafts_to_issue,
    invoice_detail,
    issued_months,
    open_drafts,
    query_invoices,
)

__all__ = [
    "InvoiceFilter",
    "Invoices",
    "draft_to_issue",
    "drafts_to_issue",
    "invoice_detail",
    "issued_months",
    "open_drafts",
    "query_invoices",
]
