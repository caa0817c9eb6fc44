"""/v1/invoices: the monthly run on demand, drafts and issued invoices, issuing, adjustments
and credit notes (operators); a company's admins read their own issued invoices."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from adapters.facturx_document import facturx_pdf
from adapters.invoice_documents import invoice_html, invoice_pdf
from api.bootstrap import Container
from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, Cursor, Limit, MinPosition
from api.http.documented import DocumentedRoute
from api.http.reads import views_after
from api.http.schemas import NoBody
from api.http.schemas.invoices import (
    INVOICE,
    INVOICE_BOOK,
    MONTH,
    BillingDetails,
    InvoiceAdjustment,
    InvoiceOut,
    InvoicePage,
    InvoiceRun,
)
from domain.application import Outcome
from domain.model.actor import Caller
from domain.model.invoice import Invoice
from projections.invoices import InvoiceFilter, invoice_detail, query_invoices

router = APIRouter(tags=["invoices"], route_class=DocumentedRoute)
INVOICE_PATH = "/v1/invoices/{invoice_id}"
runs = CommandRoutes(router, "/v1/invoice-runs", INVOICE_BOOK)
invoice = CommandRoutes(router, INVOICE_PATH, INVOICE)
books = CommandRoutes(router, INVOICE_PATH, INVOICE_BOOK)
company_books = CommandRoutes(router, "/v1/companies/{company_id}", INVOICE_BOOK)


@company_books.post(
    "/billing-details", "The buyer's VAT id, address and country on invoices", first_use=True
)
def billing_details(app: App, ctx: Ctx, company_id: UUID, body: BillingDetails) -> Outcome:
    return app.invoicing.set_billing_details(
        ctx, company_id, vat_id=body.vat_id, address=body.address, country=body.country
    )


@runs.post("", "Run a company's invoices for a month now (drafts)", first_use=True)
def run(app: App, ctx: Ctx, body: InvoiceRun) -> Outcome:
    return app.invoicing.run(ctx, body.company_id, body.month)


@router.get(
    "/v1/invoices", summary="Invoices: drafts and issued", response_model=InvoicePage, name="list"
)
def list_invoices(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    status: Annotated[str | None, Query(pattern="^(draft|issued|superseded)$")] = None,
    number: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    page = query_invoices(
        views_after(c, "invoices", min_position),
        who,
        InvoiceFilter(
            company_id=company_id,
            month=month,
            status=status,
            number=number,
            after=cursor,
            limit=limit,
        ),
    )
    return page.to_json()


def issued_invoice(c: Container, who: Caller, invoice_id: UUID) -> tuple[Invoice, str | None]:
    """The issued invoice's facts (a draft has none: 404), for a caller who may read it."""
    invoice = c.app.invoicing.read(who, invoice_id)
    credited = c.app.invoicing.get(invoice.credits).number if invoice.credits else None
    return invoice, credited


def file_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI of a 200 that is a document (only its media type), not a JSON body."""
    schema = (
        {"type": "string"}
        if media_type.startswith("text/")
        else {"type": "string", "format": "binary"}
    )
    return {200: {"content": {media_type: {"schema": schema}}, "description": description}}


@router.get(
    INVOICE_PATH + ".pdf",
    summary="An issued invoice as PDF",
    response_class=Response,
    responses=file_answer("application/pdf", "The PDF"),
)
def pdf(invoice_id: UUID, who: CallerDep, c: ContainerDep) -> Response:
    invoice, credited = issued_invoice(c, who, invoice_id)
    return Response(
        invoice_pdf(invoice, credited),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )


@router.get(
    INVOICE_PATH + "/facturx.pdf",
    summary="An issued invoice as Factur-X (EN 16931): PDF/A-3 with its CII XML",
    response_class=Response,
    responses=file_answer("application/pdf", "The Factur-X PDF"),
)
def facturx(invoice_id: UUID, who: CallerDep, c: ContainerDep) -> Response:
    invoice, credited = issued_invoice(c, who, invoice_id)
    return Response(
        facturx_pdf(invoice, credited),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}-facturx.pdf"'},
    )


@router.get(
    INVOICE_PATH + ".html",
    summary="An issued invoice as HTML (the PDF's source)",
    response_class=Response,  # not HTMLResponse: that would file its problems as HTML
    responses=file_answer("text/html", "The HTML"),
)
def html(invoice_id: UUID, who: CallerDep, c: ContainerDep) -> HTMLResponse:
    invoice, credited = issued_invoice(c, who, invoice_id)
    return HTMLResponse(invoice_html(invoice, credited))


@router.get(
    INVOICE_PATH, summary="One invoice with its lines and totals", response_model=InvoiceOut
)
def get(
    invoice_id: UUID, who: CallerDep, c: ContainerDep, min_position: MinPosition = None
) -> dict[str, Any]:
    return invoice_detail(views_after(c, "invoices", min_position), who, invoice_id)


@invoice.post("/issue", "Issue a draft: freeze it with the next number", status_code=201)
def issue(app: App, ctx: Ctx, invoice_id: UUID, _: NoBody) -> Outcome:
    return app.invoicing.issue(ctx, invoice_id)


@invoice.post("/credit-note", "A full credit note for an issued invoice", status_code=201)
def credit_note(app: App, ctx: Ctx, invoice_id: UUID, _: NoBody) -> Outcome:
    return app.invoicing.credit_note(ctx, invoice_id)


@books.post("/adjustments", "Correct an issued invoice's line on the next invoice")
def adjust(app: App, ctx: Ctx, invoice_id: UUID, body: InvoiceAdjustment) -> Outcome:
    return app.invoicing.adjust(
        ctx,
        invoice_id,
        line_no=body.line_no,
        amount=body.amount.to_money(),
        description=body.description,
    )
