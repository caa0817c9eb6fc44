"""Invoices: draft invoices (folded from the log) and issued ones (SPEC §6, ADR 0035).

Every chargeable line the charges read model holds (the same `charge_lines` of the same
events) becomes an *item* waiting for an invoice run. A run of a company (`RunRecorded`)
supersedes the company's open drafts and puts every item of it not yet on an issued
invoice — waiting or on a superseded draft — with the run's usage lines on new drafts: one
per currency, plus one per subscription marked *separate invoice*. "Not yet invoiced" is
the log's order, not a date: an item recorded after the run waits for the next run.

An issue (`Invoice.Issued`) marks exactly the items it lists as issued; an item can be on
one issued invoice only, and a draft that lost items to it is totalled again. An issued
invoice's row is written from its fact and never changes (but `credited_by`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.model.invoice import (
    Invoice,
    InvoiceBook,
    InvoiceKind,
    InvoiceLine,
    draft_id,
    invoice_totals,
)
from domain.model.money import Money
from domain.model.subscription import Subscription
from projections.base import Projection, ViewSession
from projections.charges.projection import CHARGE_EVENTS, charge_lines

ITEM_COLUMNS = (
    "source, company_id, position, group_currency, group_subscription, kind, description,"
    " quantity, unit_price_minor, amount_minor, currency, months, discount, days,"
    " days_in_term, period_start, period_end, po_reference, subscription_id, reference,"
    " invoice_id, line_no, issued"
)
NO_GROUP = "-"  # the company's own invoice (no separate subscription)


class Invoices(Projection):
    name = "invoices"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "invoice_items": """
            source TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            position BIGINT NOT NULL,
            group_currency TEXT NOT NULL,
            group_subscription TEXT NOT NULL,
            kind TEXT NOT NULL,
            description TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            unit_price_minor BIGINT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            months INTEGER NOT NULL,
            discount TEXT NOT NULL,
            days INTEGER,
            days_in_term INTEGER,
            period_start TEXT,
            period_end TEXT,
            po_reference TEXT,
            subscription_id TEXT,
            reference TEXT,
            invoice_id TEXT,
            line_no INTEGER,
            issued BOOLEAN NOT NULL
        """,
        "invoices": """
            invoice_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            month TEXT NOT NULL,
            run_no INTEGER NOT NULL,
            currency TEXT NOT NULL,
            subscription_id TEXT,
            vat_rate TEXT NOT NULL,
            net_minor BIGINT NOT NULL,
            vat_minor BIGINT NOT NULL,
            gross_minor BIGINT NOT NULL,
            number TEXT,
            issue_date TEXT,
            credits TEXT,
            credited_by TEXT,
            position BIGINT NOT NULL
        """,
        "invoice_books": """
            company_id TEXT PRIMARY KEY,
            book_version INTEGER NOT NULL
        """,
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {invoice_items}_by_company"
        " ON {invoice_items} (company_id, issued)",
        "CREATE INDEX IF NOT EXISTS {invoice_items}_by_invoice ON {invoice_items} (invoice_id)",
        "CREATE INDEX IF NOT EXISTS {invoices}_by_company ON {invoices} (company_id, status)",
        "CREATE UNIQUE INDEX IF NOT EXISTS {invoices}_by_number ON {invoices} (number)",
        # The operator-wide lists, in their order (ADR 0051).
        "CREATE INDEX IF NOT EXISTS {invoices}_in_order ON {invoices} (position)",
        "CREATE INDEX IF NOT EXISTS {invoices}_by_month ON {invoices} (month, position)",
        "CREATE INDEX IF NOT EXISTS {invoices}_by_status ON {invoices} (status, position)",
    )
    handles = (*CHARGE_EVENTS, InvoiceBook.Event, Invoice.Issued)

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, CHARGE_EVENTS):
            self._charges(event, position, view)
            return
        if isinstance(event, Invoice.Issued):
            self._issued(event, position, view)
            return
        if not isinstance(event, InvoiceBook.Event):
            return
        if isinstance(event, InvoiceBook.RunRecorded):
            self._run(event, position, view)
        elif isinstance(event, InvoiceBook.AdjustmentRecorded):
            line = event.line
            _insert_item(view, line, str(event.company_id), position, _group(line.subscription_id))
        self._book_version(event, view)

    # -------------------------------------------------------------- items

    def _charges(self, event: Any, position: int, view: ViewSession) -> None:
        # A line kept with its formula inputs; a sale without a subscription (a key sold to
        # the company) has no PO reference or separate-invoice flag of its own.
        separate = bool(getattr(event, "separate_invoice", False))
        seats = isinstance(event, Subscription.SeatsAdded)
        for line_no, charge, _ in charge_lines(event):
            line = InvoiceLine(
                source=f"charge:{position}:{line_no}",
                kind=charge.kind,
                description=charge.description,
                quantity=charge.quantity,
                unit_price=charge.unit_price,
                amount=charge.amount,
                months=charge.months,
                discount=charge.discount,
                days=event.days_remaining if seats else None,
                days_in_term=event.days_in_term if seats else None,
                period_start=charge.period_start,
                period_end=charge.period_end,
                po_reference=getattr(event, "po_reference", None),
                subscription_id=event.originator_id,
            )
            group = str(event.originator_id) if separate else NO_GROUP
            _insert_item(view, line, str(event.company_id), position, group)

    # -------------------------------------------------------------- runs

    def _run(self, event: InvoiceBook.RunRecorded, position: int, view: ViewSession) -> None:
        assert event.company_id is not None  # a book always belongs to a company
        company = str(event.company_id)
        view.execute(
            "UPDATE {invoices} SET status = 'superseded' WHERE company_id = ? AND status = 'draft'",
            (company,),
        )
        view.execute(  # a second run of a month replaces its usage lines, not adds to them
            "DELETE FROM {invoice_items} WHERE company_id = ? AND NOT issued AND kind = 'usage'"
            " AND source LIKE ?",
            (company, f"usage:{event.usage_month}:%"),
        )
        for line in event.usage:
            _insert_item(view, line, company, position, NO_GROUP)
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for source, currency, group in view.fetchall(
            "SELECT source, group_currency, group_subscription FROM {invoice_items}"
            " WHERE company_id = ? AND NOT issued ORDER BY position, source",
            (company,),
        ):
            groups[(currency, group)].append(source)
        for (currency, group), sources in sorted(groups.items()):
            subscription = None if group == NO_GROUP else UUID(group)
            invoice = str(draft_id(event.company_id, event.run_no, currency, subscription))
            for line_no, source in enumerate(sources, start=1):
                view.execute(
                    "UPDATE {invoice_items} SET invoice_id = ?, line_no = ? WHERE source = ?",
                    (invoice, line_no, source),
                )
            view.execute(
                "INSERT INTO {invoices} (invoice_id, company_id, kind, status, month, run_no,"
                " currency, subscription_id, vat_rate, net_minor, vat_minor, gross_minor,"
                " number, issue_date, credits, credited_by, position)"
                " VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, 0, 0, 0, NULL, NULL, NULL, NULL, ?)",
                (
                    invoice,
                    company,
                    InvoiceKind.INVOICE.value,
                    event.month,
                    event.run_no,
                    currency,
                    str(subscription) if subscription else None,
                    str(event.vat_rate),
                    position,
                ),
            )
            _total(view, invoice)

    def _book_version(self, event: Any, view: ViewSession) -> None:
        company = str(event.company_id)
        if isinstance(event, InvoiceBook.Opened):
            view.execute(
                "INSERT INTO {invoice_books} (company_id, book_version) VALUES (?, ?)",
                (company, event.originator_version),
            )
        else:
            view.execute(
                "UPDATE {invoice_books} SET book_version = ? WHERE company_id = ?",
                (event.originator_version, company),
            )

    # -------------------------------------------------------------- issues

    def _issued(self, event: Invoice.Issued, position: int, view: ViewSession) -> None:
        invoice = str(event.originator_id)
        company = str(event.company_id)
        if event.kind == InvoiceKind.CREDIT_NOTE.value:
            view.execute(
                "INSERT INTO {invoices} (invoice_id, company_id, kind, status, month, run_no,"
                " currency, subscription_id, vat_rate, net_minor, vat_minor, gross_minor,"
                " number, issue_date, credits, credited_by, position)"
                " VALUES (?, ?, ?, 'issued', ?, 0, ?, ?, ?, 0, 0, 0, NULL, NULL, ?, NULL, ?)",
                (
                    invoice,
                    company,
                    event.kind,
                    event.month,
                    event.currency,
                    str(event.subscription_id) if event.subscription_id else None,
                    str(event.vat_rate),
                    str(event.credits),
                    position,
                ),
            )
            view.execute(
                "UPDATE {invoices} SET credited_by = ? WHERE invoice_id = ?",
                (invoice, str(event.credits)),
            )
            for line_no, line in enumerate(event.lines, start=1):
                _insert_item(view, line, company, position, _group(event.subscription_id))
                view.execute(
                    "UPDATE {invoice_items} SET invoice_id = ?, line_no = ?, issued = TRUE"
                    " WHERE source = ?",
                    (invoice, line_no, line.source),
                )
        else:
            # The drafts that held these items before (one read for all of them).
            sources = [line.source for line in event.lines]
            touched = {
                row[0]
                for row in view.fetchall(
                    "SELECT invoice_id FROM {invoice_items} WHERE source IN"  # noqa: S608
                    f" ({', '.join('?' * len(sources))})",
                    sources,
                )
                if row[0] and row[0] != invoice
            }
            for line_no, line in enumerate(event.lines, start=1):
                view.execute(
                    "UPDATE {invoice_items} SET invoice_id = ?, line_no = ?, issued = TRUE"
                    " WHERE source = ?",
                    (invoice, line_no, line.source),
                )
            # Anything else the draft held was not issued: it waits for the next run.
            view.execute(
                "UPDATE {invoice_items} SET invoice_id = NULL, line_no = NULL"
                " WHERE invoice_id = ? AND NOT issued",
                (invoice,),
            )
            for other in sorted(touched):
                _total(view, other)
        view.execute(
            "UPDATE {invoices} SET status = 'issued', number = ?, issue_date = ?, vat_rate = ?,"
            " net_minor = ?, vat_minor = ?, gross_minor = ? WHERE invoice_id = ?",
            (
                event.number,
                event.issue_date.isoformat(),
                str(event.vat_rate),
                event.net.minor,
                event.vat.minor,
                event.gross.minor,
                invoice,
            ),
        )


# ------------------------------------------------------------------ helpers


def _group(subscription_id: UUID | None) -> str:
    return str(subscription_id) if subscription_id else NO_GROUP


def _insert_item(
    view: ViewSession, line: InvoiceLine, company: str, position: int, group: str
) -> None:
    view.execute(
        f"INSERT INTO {{invoice_items}} ({ITEM_COLUMNS})"  # noqa: S608 (our column names)
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, FALSE)",
        (
            line.source,
            company,
            position,
            line.amount.currency,
            group,
            line.kind,
            line.description,
            line.quantity,
            line.unit_price.minor,
            line.amount.minor,
            line.amount.currency,
            line.months,
            str(line.discount),
            line.days,
            line.days_in_term,
            line.period_start.isoformat() if line.period_start else None,
            line.period_end.isoformat() if line.period_end else None,
            line.po_reference,
            str(line.subscription_id) if line.subscription_id else None,
            line.reference,
        ),
    )


def _total(view: ViewSession, invoice: str) -> None:
    """A draft's totals from its items (the same function the issued invoice uses); a draft
    left without items is removed."""
    row = view.fetchone(
        "SELECT currency, vat_rate FROM {invoices} WHERE invoice_id = ?", (invoice,)
    )
    assert row is not None, invoice
    currency, rate = row
    amounts = [
        Money(r[0], currency)
        for r in view.fetchall(
            "SELECT amount_minor FROM {invoice_items} WHERE invoice_id = ?", (invoice,)
        )
    ]
    if not amounts:
        view.execute("DELETE FROM {invoices} WHERE invoice_id = ?", (invoice,))
        return
    totals = invoice_totals(amounts, currency, Decimal(rate))
    view.execute(
        "UPDATE {invoices} SET net_minor = ?, vat_minor = ?, gross_minor = ? WHERE invoice_id = ?",
        (totals.net.minor, totals.vat.minor, totals.gross.minor, invoice),
    )


def line_of(row: tuple[Any, ...]) -> InvoiceLine:
    """An item row (ITEM_COLUMNS order) as the line an invoice holds."""
    return InvoiceLine(
        source=row[0],
        kind=row[5],
        description=row[6],
        quantity=row[7],
        unit_price=Money(row[8], row[10]),
        amount=Money(row[9], row[10]),
        months=row[11],
        discount=Decimal(row[12]),
        days=row[13],
        days_in_term=row[14],
        period_start=date.fromisoformat(row[15]) if row[15] else None,
        period_end=date.fromisoformat(row[16]) if row[16] else None,
        po_reference=row[17],
        subscription_id=UUID(row[18]) if row[18] else None,
        reference=row[19],
    )
