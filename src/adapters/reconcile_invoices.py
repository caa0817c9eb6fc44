"""Reconciliation of the issued invoices: each one equals the invoice recomputed from the
facts as of its issue (docs/adr/0045-reconciliation-checks.md).

One pass over the log folds the invoices read model's own projection (`Invoices`) into a
scratch in-memory database. Just before an issue is folded, the scratch view holds the
draft exactly as the issue command read it, so the invoice is recomputed with the domain's
own code: `Invoice.issue` over the draft's lines (totals, VAT rounded once), the number the
year's sequence gives next, the issue date in the company's zone, the buyer from the
company and its book at their versions then. A credit note is recomputed from the invoice
it credits (`credit_note_lines`). Each run's usage lines are recomputed by the run's own
`LedgerUsage`, over the usage ledger and price list at their versions at the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any
from uuid import UUID

from adapters.projector import Projector
from adapters.reconcile_report import CheckReport, Discrepancy
from adapters.sql import Database, SqliteDatabase, SqlSession
from adapters.view_tables import live_names
from domain.application import LessorApplication
from domain.application.invoicing import credit_note_lines
from domain.application.usage_invoicing import LedgerUsage
from domain.model.company import Company
from domain.model.events import Cause
from domain.model.invoice import (
    Invoice,
    InvoiceBook,
    InvoiceKind,
    book_id,
    format_number,
    parse_month,
)
from domain.model.time import add_months, local_date
from projections.invoices import Invoices, draft_to_issue

# What an issued invoice states that the recomputation must give again (seller: settings).
_COMPARED = (
    "kind",
    "number",
    "issue_date",
    "month",
    "currency",
    "subscription_id",
    "lines",
    "vat_rate",
    "net",
    "vat",
    "gross",
    "credits",
    "buyer",
)


class IssuedInvoices:
    """Each issued invoice equals its recomputation; its number is unique; the live read
    model shows the same number and totals."""

    name = "issued invoices"
    reads = (*Invoices.handles, Invoice.Issued)

    def __init__(self, app: LessorApplication, company_id: UUID | None) -> None:
        self.app = app
        self.company_id = company_id
        self.projection = Invoices()
        self.scratch: Database = SqliteDatabase(":memory:")  # this thread's connection
        Projector(app, self.scratch, [self.projection]).create_schema()
        self._open = ExitStack()
        self._view: SqlSession | None = None
        self.serials: Counter[int] = Counter()  # issues per year so far: the next number
        self.numbers: Counter[str] = Counter()
        self.issued: dict[str, tuple[str, int, int, int]] = {}  # id → number, net, vat, gross
        self.runs = 0
        self.found: list[Discrepancy] = []

    def fold(self, event: Any, position: int, versions: Mapping[UUID, int]) -> None:
        mine = self.company_id is None or event.company_id == self.company_id
        if isinstance(event, Invoice.Issued):
            self._close()  # the issue reads the scratch view in a transaction of its own
            year = event.issue_date.year
            self.serials[year] += 1
            if mine:
                self._issued(event, format_number(year, self.serials[year]), versions)
        if not mine:
            return
        if isinstance(event, InvoiceBook.RunRecorded):
            self._run(event, versions)
        if self.projection.folds(type(event)):
            self.projection.apply(event, position, self._session())

    def _session(self) -> SqlSession:
        """The scratch view's open transaction (one per stretch of events between issues)."""
        if self._view is None:
            tx = self._open.enter_context(self.scratch.transaction())
            self._view = tx.with_names(live_names(self.projection))
        return self._view

    def _close(self) -> None:
        self._open.close()
        self._view = None

    # ---------------------------------------------------------------- runs

    def _run(self, event: InvoiceBook.RunRecorded, versions: Mapping[UUID, int]) -> None:
        """The run's usage lines, as its own `LedgerUsage` computes them as of the run."""
        self.runs += 1
        company_id = event.company_id
        assert company_id is not None
        company = self._at(Company, company_id, versions)
        if company is None:
            return
        usage_first = add_months(parse_month(event.month), -1)
        usage = LedgerUsage(self.app, as_of=versions)
        try:
            expected = usage.priced_usage(company_id, usage_first, company.currency)
        except Exception as refused:
            expected, why = [], str(refused)
        else:
            why = ""
        if expected != list(event.usage):
            self.found.append(
                Discrepancy(
                    f"invoice run {event.month} #{event.run_no} of company {company_id}",
                    "its usage lines are not the ledger's as of the run"
                    + (f" ({why})" if why else ""),
                    {
                        "recorded": [_line_text(line) for line in event.usage],
                        "recomputed": [_line_text(line) for line in expected],
                    },
                )
            )

    # ---------------------------------------------------------------- issues

    def _issued(self, event: Invoice.Issued, number: str, versions: Mapping[UUID, int]) -> None:
        invoice_id = event.originator_id
        subject = f"invoice {invoice_id} ({event.number})"
        stated = (event.net.minor, event.vat.minor, event.gross.minor)
        self.issued[str(invoice_id)] = (event.number, *stated)
        self.numbers[event.number] += 1
        if self.numbers[event.number] == 2:
            self.found.append(
                Discrepancy(f"number {event.number}", "two issued invoices carry this number")
            )
        expected, why = self._recompute(event, number, versions)
        if expected is None:
            self.found.append(Discrepancy(subject, why, {"gross": event.gross.minor}))
            return
        for name in _COMPARED:
            facts, recomputed = getattr(event, name), getattr(expected, name)
            if facts != recomputed:
                self.found.append(
                    Discrepancy(
                        subject,
                        f"the recomputed invoice has another {name}: {_text(name, facts)}"
                        f" recorded, {_text(name, recomputed)} recomputed",
                        {"recorded": _text(name, facts), "recomputed": _text(name, recomputed)},
                    )
                )

    def _recompute(
        self, event: Invoice.Issued, number: str, versions: Mapping[UUID, int]
    ) -> tuple[Any, str]:
        """The Issued event the issue command would have written then, or why there is
        none."""
        company_id = event.company_id
        assert company_id is not None
        company = self._at(Company, company_id, versions)
        if company is None:
            return None, "its company did not exist when it was issued"
        cause = Cause(actor=event.actor, at=event.at, correlation_id=event.correlation_id)
        if event.kind == InvoiceKind.CREDIT_NOTE.value:
            original = self._at(Invoice, event.credits, versions) if event.credits else None
            if original is None:
                return None, "the invoice it credits was not issued before it"
            basis, lines, buyer = original, credit_note_lines(original), original.buyer
        else:
            draft = draft_to_issue(self.scratch, event.originator_id)
            if draft is None or draft.status != "draft":
                state = "no draft" if draft is None else f"a {draft.status} draft"
                return None, f"the facts as of its issue hold {state} of this id to issue"
            book: InvoiceBook = self.app.repository.get(
                book_id(company_id), version=draft.book_version
            )
            basis, lines, buyer = draft, draft.lines, {"name": company.name, **book.billing}
        try:
            recomputed = Invoice.issue(
                invoice_id=event.originator_id,
                company_id=company_id,
                kind=InvoiceKind(event.kind),
                number=number,
                issue_date=local_date(event.at, company.time_zone),
                month=basis.month,
                currency=basis.currency,
                subscription_id=basis.subscription_id,
                lines=lines,
                vat_rate=basis.vat_rate,
                credits=event.credits,
                seller=event.seller,
                buyer=buyer,
                cause=cause,
            )
        except Exception as refused:
            return None, f"the facts as of its issue do not make an invoice: {refused}"
        return recomputed.pending_events[0], ""

    def _at(self, kind: type[Any], aggregate_id: UUID, versions: Mapping[UUID, int]) -> Any:
        version = versions.get(aggregate_id)
        if version is None:
            return None
        found: Any = self.app.repository.get(aggregate_id, version=version)
        return found if isinstance(found, kind) else None

    # ---------------------------------------------------------------- the end

    def compare(self, rows: list[tuple[Any, ...]]) -> None:
        """The live read model's issued rows against the facts."""
        viewed = {str(r[0]): (str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}
        for invoice, facts in self.issued.items():
            view = viewed.get(invoice)
            if view is not None and view != facts:
                self.found.append(
                    Discrepancy(
                        f"invoice {invoice} ({facts[0]})",
                        f"the read model shows number/net/VAT/gross {view}; the facts {facts}",
                        {"view": view, "facts": facts},
                    )
                )

    def report(self) -> CheckReport:
        self._close()
        self.scratch.close()
        return CheckReport(self.name, len(self.issued), self.found)


def _line_text(line: Any) -> str:
    return f"{line.source}: {line.quantity} × {line.unit_price} = {line.amount}"


def _text(name: str, value: Any) -> Any:
    if name == "lines":
        return [_line_text(line) for line in value]
    if hasattr(value, "minor") and hasattr(value, "currency"):
        return f"{value.minor} {value.currency}"
    return str(value)
