"""/v1/invoices: invoice runs, drafts and issued invoices, adjustments, credit notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field, StrictInt

from api.http.responses import Resource
from api.http.schemas.common import Body, MoneyIn, MoneyOut, Strict, money_out
from domain.model.invoice import Invoice, InvoiceBook, InvoiceLine

MONTH = r"^\d{4}-\d{2}$"


class InvoiceRun(Strict):
    company_id: UUID
    month: str = Field(pattern=MONTH, description="YYYY-MM, the company's calendar month")


class BillingDetails(Strict):
    vat_id: str = Field(max_length=30, description="e.g. SE556677889901 (EN 16931 BT-48)")
    address: str = Field(default="", max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. SE")


class InvoiceAdjustment(Strict):
    line_no: StrictInt = Field(ge=1, le=1000, description="The issued invoice's line")
    amount: MoneyIn = Field(description="Positive or negative, in the invoice's currency")
    description: str = Field(min_length=1, max_length=200)


class InvoiceLineOut(Body):
    line_no: int
    kind: str
    description: str
    quantity: int
    unit_price: MoneyOut
    amount: MoneyOut
    months: int
    discount: str = Field(description="a decimal string, e.g. 0.10")
    days: int | None = Field(description="pro rata: the days charged")
    days_in_term: int | None
    period_start: str | None
    period_end: str | None
    po_reference: str | None
    subscription_id: str | None
    reference: str | None = Field(description="an adjustment's or credit's original line")


class InvoiceSummaryOut(Body):
    invoice_id: UUID
    company_id: UUID
    kind: str = Field(description="invoice | credit_note")
    status: str = Field(description="draft | superseded | issued")
    month: str
    currency: str
    subscription_id: UUID | None = Field(description="a separate-invoice subscription's own")
    vat_rate: str
    net: MoneyOut
    vat: MoneyOut
    gross: MoneyOut
    number: str | None
    issue_date: str | None
    credits: UUID | None
    credited_by: UUID | None


class InvoiceOut(InvoiceSummaryOut):
    lines: list[InvoiceLineOut]


class InvoicePage(Body):
    items: list[InvoiceSummaryOut]
    next_cursor: int | None


class InvoiceBookOut(Body):
    id: UUID
    company_id: UUID
    runs: int
    months_run: list[str]
    issued: int
    adjustments: int = Field(description="corrections recorded for the next invoices")
    billing: dict[str, str] = Field(description="the buyer's VAT id, address and country")
    version: int


def line_out(line_no: int, line: InvoiceLine) -> dict[str, Any]:
    return {
        "line_no": line_no,
        "kind": line.kind,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": money_out(line.unit_price),
        "amount": money_out(line.amount),
        "months": line.months,
        "discount": str(line.discount),
        "days": line.days,
        "days_in_term": line.days_in_term,
        "period_start": line.period_start.isoformat() if line.period_start else None,
        "period_end": line.period_end.isoformat() if line.period_end else None,
        "po_reference": line.po_reference,
        "subscription_id": str(line.subscription_id) if line.subscription_id else None,
        "reference": line.reference,
    }


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    """An issued invoice as its issue answers it (reads come from the read model, in the
    same shape)."""
    return {
        "invoice_id": str(invoice.id),
        "company_id": str(invoice.company_id),
        "kind": invoice.kind,
        "status": "issued",
        "month": invoice.month,
        "currency": invoice.currency,
        "subscription_id": str(invoice.subscription_id) if invoice.subscription_id else None,
        "vat_rate": str(invoice.vat_rate),
        "net": money_out(invoice.net),
        "vat": money_out(invoice.vat),
        "gross": money_out(invoice.gross),
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "credits": str(invoice.credits) if invoice.credits else None,
        "credited_by": None,
        "lines": [line_out(n, line) for n, line in enumerate(invoice.lines, start=1)],
    }


def book_out(book: InvoiceBook) -> dict[str, Any]:
    return {
        "id": str(book.id),
        "company_id": str(book.company_id),
        "runs": book.runs,
        "months_run": list(book.months_run),
        "issued": book.issued,
        "adjustments": book.adjustments,
        "billing": dict(book.billing),
        "version": book.version,
    }


INVOICE = Resource(Invoice, invoice_out, InvoiceOut, "/v1/invoices")
INVOICE_BOOK = Resource(InvoiceBook, book_out, InvoiceBookOut)
