"""Reads of the invoices: lists and one invoice with its lines, for operators (every
company's; drafts too) and a company's admins (their own issued invoices and credit notes:
a draft is the provider's work in progress). `draft_to_issue` is what the issue command
reads (through the application's `InvoiceDrafts` port), with no caller: the command checks
the caller itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.model import bounds
from domain.model.actor import Caller, Role
from domain.model.errors import InvalidValue, NotFound
from domain.model.invoice import Draft, InvoiceLine, parse_month
from projections.invoices.projection import ITEM_COLUMNS, line_of
from projections.jsonable import money_json
from projections.reading import Page, ViewReads, Views, Where, fetch_page

INVOICE_READERS = (Role.OPERATOR, Role.ADMIN)
STATUSES = ("draft", "issued", "superseded")
ISSUED_ONLY = ("issued",)

_INVOICE_COLUMNS = (
    "invoice_id, company_id, kind, status, month, run_no, currency, subscription_id,"
    " vat_rate, net_minor, vat_minor, gross_minor, number, issue_date, credits, credited_by,"
    " position"
)


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    company_id: UUID | None = None
    month: str | None = None
    status: str | None = None
    number: str | None = None
    after: int | None = None  # cursor: the position of the last invoice's fact
    limit: int = 100

    def __post_init__(self) -> None:  # a filter is client input too (ADR 0014)
        if self.month is not None:
            parse_month(self.month)
        if self.status is not None and self.status not in STATUSES:
            raise InvalidValue(f"status is one of {', '.join(STATUSES)}.")
        if self.number is not None and len(self.number) > 20:
            raise InvalidValue("An invoice number has at most 20 characters.")
        if self.after is not None:
            bounds.seats(self.after + 1, "after")


def query_invoices(views: Views, caller: Caller, f: InvoiceFilter) -> Page:
    caller.require(*INVOICE_READERS)
    where = Where.in_scope(caller, f.company_id)
    where.add("month = ?", f.month)
    where.add("status = ?", f.status)
    where.add("number = ?", f.number)
    if caller.role != Role.OPERATOR:
        where.add("status = ?", "issued")
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            f"SELECT {_INVOICE_COLUMNS} FROM invoices",
            where,
            "position",
            f.limit,
            after=f.after,
        )
    items = [_summary(r) for r in rows]
    return Page(items=items, next_cursor=rows[-1][16] if more else None)


def invoice_detail(views: Views, caller: Caller, invoice_id: UUID) -> dict[str, Any]:
    """One invoice with its lines; another company's (or, for an admin, a draft) is 404."""
    caller.require(*INVOICE_READERS)
    with views.transaction() as tx:
        row = tx.fetchone(
            f"SELECT {_INVOICE_COLUMNS} FROM invoices WHERE invoice_id = ?",
            (str(invoice_id),),
        )
        if row is None or (caller.role != Role.OPERATOR and row[3] != "issued"):
            raise NotFound("Invoice not found.")
        caller.require_company(UUID(row[1]), "Invoice")
        lines = _lines(tx, str(invoice_id))
    detail = _summary(row)
    detail["lines"] = [_line_json(n, line) for n, line in enumerate(lines, start=1)]
    return detail


def draft_to_issue(views: Views, invoice_id: UUID) -> Draft | None:
    return drafts_to_issue(views, [invoice_id]).get(invoice_id)


def drafts_to_issue(views: Views, invoice_ids: Sequence[UUID]) -> dict[UUID, Draft]:
    """The drafts (or issued or superseded invoices) among `invoice_ids` that the read model
    holds, each with its lines and its company's book version: two reads for them all."""
    if not invoice_ids:
        return {}
    marks = ", ".join("?" * len(invoice_ids))
    ids = [str(i) for i in invoice_ids]
    with views.transaction() as tx:
        rows = tx.fetchall(
            "SELECT i.invoice_id, i.company_id, i.status, i.month, i.currency,"
            " i.subscription_id, b.book_version, i.vat_rate FROM invoices i"
            " JOIN invoice_books b ON b.company_id = i.company_id"
            f" WHERE i.invoice_id IN ({marks})",
            ids,
        )
        lines: dict[str, list[InvoiceLine]] = {r[0]: [] for r in rows}
        for r in tx.fetchall(
            f"SELECT {ITEM_COLUMNS} FROM invoice_items"
            f" WHERE invoice_id IN ({marks}) ORDER BY invoice_id, line_no, source",
            ids,
        ):
            lines[r[20]].append(line_of(r))
    return {
        UUID(row[0]): Draft(
            invoice_id=UUID(row[0]),
            company_id=UUID(row[1]),
            status=row[2],
            month=row[3],
            currency=row[4],
            subscription_id=UUID(row[5]) if row[5] else None,
            vat_rate=Decimal(row[7]),
            lines=lines[row[0]],
            book_version=row[6],
        )
        for row in rows
    }


def issued_months(views: Views, company_id: UUID) -> set[str]:
    """The months ('YYYY-MM') of the company's issued invoices (credit notes aside)."""
    with views.transaction() as tx:
        rows = tx.fetchall(
            "SELECT DISTINCT month FROM invoices"
            " WHERE company_id = ? AND status = 'issued' AND kind = 'invoice'",
            (str(company_id),),
        )
    return {str(r[0]) for r in rows}


def open_drafts(views: Views, company_id: UUID | None) -> list[UUID]:
    """The drafts an operator's "issue all" would issue (a company's, or every one)."""
    where = Where()
    where.add("status = ?", "draft")
    where.add("company_id = ?", str(company_id) if company_id else None)
    with views.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT invoice_id FROM invoices{where.sql()} ORDER BY position, invoice_id",
            where.params,
        )
    return [UUID(r[0]) for r in rows]


def _lines(tx: ViewReads, invoice_id: str) -> list[InvoiceLine]:
    return [
        line_of(r)
        for r in tx.fetchall(
            f"SELECT {ITEM_COLUMNS} FROM invoice_items WHERE invoice_id = ?"
            " ORDER BY line_no, source",
            (invoice_id,),
        )
    ]


def _summary(r: tuple[Any, ...]) -> dict[str, Any]:
    currency = r[6]
    return {
        "invoice_id": r[0],
        "company_id": r[1],
        "kind": r[2],
        "status": r[3],
        "month": r[4],
        "currency": currency,
        "subscription_id": r[7],
        "vat_rate": str(Decimal(r[8])),
        "net": money_json(r[9], currency),
        "vat": money_json(r[10], currency),
        "gross": money_json(r[11], currency),
        "number": r[12],
        "issue_date": r[13],
        "credits": r[14],
        "credited_by": r[15],
    }


def _line_json(line_no: int, line: InvoiceLine) -> dict[str, Any]:
    return {
        "line_no": line_no,
        "kind": line.kind,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": money_json(line.unit_price.minor, line.unit_price.currency),
        "amount": money_json(line.amount.minor, line.amount.currency),
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
