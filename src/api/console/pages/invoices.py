"""Invoices: the company's list (issued ones; operators also see drafts), one invoice with
its lines and totals, and its PDF — the same bytes the API's /v1/invoices/{id}.pdf
answers, streamed under /console so the signed-in session reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from fastapi import Request, Response

from adapters.invoice_documents import invoice_pdf
from api.bootstrap import Container
from api.console.pages.forms import cursor_from
from api.console.pages.viewing import chosen_company, query_params
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from api.http.routes.invoices import issued_invoice
from domain.model.actor import Caller
from projections.invoices.queries import InvoiceFilter, invoice_detail, query_invoices

router = console_pages()
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


@router.get("/invoices")
def invoices_page(request: Request, viewer: ViewerDep) -> Response:
    c = container_of(request)
    found = invoice_list(c, viewer.caller, chosen_company(viewer), query_params(request))
    return render(request, viewer, "console/invoices.html", **found)


@router.get("/invoices/{invoice_id}.pdf")
def invoice_pdf_file(request: Request, viewer: ViewerDep, invoice_id: UUID) -> Response:
    """The PDF the API serves, for the signed-in session (no bearer token in a browser)."""
    pdf, number = invoice_document(container_of(request), viewer.caller, invoice_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{number}.pdf"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/invoices/{invoice_id}")
def invoice_page(request: Request, viewer: ViewerDep, invoice_id: UUID) -> Response:
    found = invoice_view(container_of(request), viewer.caller, invoice_id)
    return render(request, viewer, "console/invoice.html", **found)
