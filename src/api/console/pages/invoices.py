"""Invoices: the company's list (issued ones; operators also see drafts), one invoice with
its lines and totals, and its PDF — the same bytes the API's /v1/invoices/{id}.pdf
answers, streamed under /console so the signed-in session reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from adapters.invoice_documents import invoice_pdf
from api.bootstrap import Container
from api.console.pages.forms import cursor_from
from api.http.routes.invoices import issued_invoice
from domain.model.actor import Caller
from projections.invoices.queries import InvoiceFilter, invoice_detail, query_invoices

PAGE_SIZE = 50


def invoice_list(
    c: Container, caller: Caller, company_id: UUID, params: Mapping[str, str]
) -> dict[str, Any]:
    f = InvoiceFilter(company_id=company_id, after=cursor_from(params), limit=PAGE_SIZE)
    page = query_invoices(c.db, caller, f)
    return {"invoices": page.items, "next_cursor": page.next_cursor}


def invoice_view(c: Container, caller: Caller, invoice_id: UUID) -> dict[str, Any]:
    """One invoice with its lines (another company's, or a draft for an admin: 404)."""
    return {"invoice": invoice_detail(c.db, caller, invoice_id)}


def invoice_document(c: Container, caller: Caller, invoice_id: UUID) -> tuple[bytes, str]:
    """The issued invoice's PDF and its number (a draft has none: 404)."""
    invoice, credited = issued_invoice(c, caller, invoice_id)
    return invoice_pdf(invoice, credited), str(invoice.number)
