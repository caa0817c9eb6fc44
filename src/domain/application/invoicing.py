"""Invoicing: the monthly invoice run, issuing with gapless numbers, adjustments and credit
notes (SPEC §6, docs/adr/0035-invoices.md).

Two ports, built in api/bootstrap.py:
- `InvoiceDrafts`: the draft as the invoices read model folded it. The issue trusts it only
  when that read model has folded the company's book at the version loaded here, so every
  earlier issue of the company is already reflected (nothing billed twice).
- `UsageToInvoice`: the priced usage lines of a company's month, recorded in the run
  (`usage_invoicing.LedgerUsage`, from the usage ledger and price list).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NoReturn, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application.companies import Companies
from domain.application.core import (
    COMMAND_ATTEMPTS,
    SCHEDULER,
    ApplicationCore,
    BatchResult,
    CommandContext,
    LostRace,
    Outcome,
    command,
)
from domain.model import text
from domain.model.actor import Caller, Role
from domain.model.company import Company
from domain.model.errors import (
    AlreadyExists,
    DomainError,
    InvalidValue,
    NotFound,
    RuleViolation,
)
from domain.model.events import Cause
from domain.model.invoice import (
    Draft,
    Invoice,
    InvoiceBook,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    LineKind,
    book_id,
    credit_note_id,
    en16931_missing,
    month_text,
    parse_month,
    sequence_id,
)
from domain.model.money import Money
from domain.model.time import add_months, local_date, month_start


class UsageToInvoice(Protocol):
    """The usage of `month` (its first day) for `company_id`, priced from the usage price
    list in `currency`, as invoice lines with sources `usage:<YYYY-MM>:<n>`."""

    def priced_usage(self, company_id: UUID, month: date, currency: str) -> list[InvoiceLine]: ...


class InvoiceDrafts(Protocol):
    def draft(self, invoice_id: UUID) -> Draft | None: ...

    def drafts(self, invoice_ids: Sequence[UUID]) -> dict[UUID, Draft]:
        """Those of `invoice_ids` the read model holds, after one catch-up."""
        ...


class DraftNotCurrent(RuleViolation):
    """The read model has not folded the company's latest invoicing facts yet."""


MAX_ADJUSTMENT_TEXT = 200
ISSUE_BATCH = 100  # drafts `issue_all` issues in one transaction (ADR 0053)
MAX_ISSUE_BATCH = 1_000


@dataclass(frozen=True, eq=False)
class Invoicing:
    core: ApplicationCore
    companies: Companies
    drafts: InvoiceDrafts
    usage: UsageToInvoice
    seller: Mapping[str, str]  # the provider as its invoices name it (settings)
    require_en16931: bool = False  # e-invoicing on: refuse to issue what Factur-X can't carry

    # ------------------------------------------------------------------ runs

    @command("run_invoices")
    def run(self, ctx: CommandContext, company_id: UUID, month: str) -> Outcome:
        """The invoice run of `month` for one company, on demand (operators). A second run
        of a month collects what was recorded since and supersedes the open drafts."""
        ctx.caller.require(Role.OPERATOR)
        company = self.companies.get(ctx.caller, company_id)
        first = parse_month(month)
        if first > month_start(local_date(ctx.cause.at, company.time_zone)):
            raise RuleViolation(f"The run of {month} is due at 00:00 on its first day.")
        book, created = self._book(company_id, ctx.cause)
        self._record_run(book, company, first, ctx.cause)
        return self.core.commit(ctx, book, created=created)

    def run_due(self, company_id: UUID, now: datetime) -> int:
        """The scheduler's monthly run: at 00:00 local on the 1st, once per month."""
        book = self._due_run(company_id, now)
        if book is None:
            return 0
        events = len(book.pending_events)
        self.core.save_and_announce(book)
        return events

    def run_due_many(self, company_ids: Sequence[UUID], now: datetime) -> BatchResult:
        """`run_due` of several companies, their books saved in one transaction (one commit
        instead of one per company). A refused company's run is left out, as `run_due`
        would refuse it; a conflict (IntegrityError) saves none of them, and the caller
        runs them again one by one."""
        runs = BatchResult()
        books = []
        for company_id in company_ids:
            try:
                book = self._due_run(company_id, now)
            except DomainError as error:
                runs.refused[company_id] = error
                continue
            if book is not None:
                runs.events[company_id] = len(book.pending_events)
                books.append(book)
        self.core.save_and_announce(*books)
        return runs

    def _due_run(self, company_id: UUID, now: datetime) -> InvoiceBook | None:
        """The company's book with this month's run recorded, unsaved (None: already run)."""
        company = self.core.load(Company, company_id, "Company")
        first = month_start(local_date(now, company.time_zone))
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"invoice-run-{company_id}")
        book, _ = self._book(company_id, cause)
        if book.has_run(month_text(first.year, first.month)):
            return None
        self._record_run(book, company, first, cause)
        return book

    def _record_run(self, book: InvoiceBook, company: Company, first: date, cause: Cause) -> None:
        usage_first = add_months(first, -1)
        usage = self.usage.priced_usage(book.company_id, usage_first, company.currency)
        book.record_run(
            month=month_text(first.year, first.month),
            vat_rate=company.vat_rate,
            usage_month=month_text(usage_first.year, usage_first.month),
            usage=usage,
            cause=cause,
        )

    # ------------------------------------------------------------------ issuing

    @command("issue_invoice")
    def issue(self, ctx: CommandContext, invoice_id: UUID) -> Outcome:
        """Freeze a draft as an issued invoice with the next number of the year."""
        ctx.caller.require(Role.OPERATOR)
        invoice, sequence, book = self._freeze(ctx.caller, invoice_id, ctx.cause)
        # The book last: a read model that folded its new version has folded the invoice.
        return self.core.commit(ctx, invoice, sequence, book, created=True)

    def issue_automatically(self, invoice_id: UUID, now: datetime) -> int:
        """The scheduler's issue of a run's draft, when the provider issues automatically
        (`LESSOR_INVOICE_AUTO_ISSUE`). Returns the events written (0: already issued)."""
        if invoice_id in self.core.repository:
            return 0
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"invoice-issue-{invoice_id}")
        provider = Caller(actor=SCHEDULER, company_id=None)
        aggregates = self._freeze(provider, invoice_id, cause)
        events = sum(len(a.pending_events) for a in aggregates)
        self.core.save_and_announce(*aggregates)
        return events

    def issue_all(
        self, ctx: CommandContext, invoice_ids: Sequence[UUID], *, batch: int = ISSUE_BATCH
    ) -> Iterator[Invoice]:
        """Issue `invoice_ids` in their order, up to `batch` drafts per transaction (ADR
        0053), yielding each invoice once its batch is committed. A batch reads its drafts
        in one read after one catch-up, takes its numbers from one load of the sequence and
        saves its invoices, the sequence and the books in one save: a batch that fails
        takes no number, and a concurrent issue collides on the sequence's version (the
        batch is then read and decided again). The first refusal ends the issue, after the
        drafts before it are committed, as issuing them one at a time would."""
        ctx.caller.require(Role.OPERATOR)
        if not 1 <= batch <= MAX_ISSUE_BATCH:
            raise InvalidValue(f"A batch issues 1 to {MAX_ISSUE_BATCH} drafts.")
        pending = list(invoice_ids)
        while pending:
            issued, refusal = self._issue_batch(ctx, pending[:batch])
            yield from issued
            if refusal is not None:
                raise refusal
            pending = pending[len(issued) :]

    def _issue_batch(
        self, ctx: CommandContext, invoice_ids: list[UUID]
    ) -> tuple[list[Invoice], DomainError | None]:
        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            invoices, others, refusal = self._freeze_batch(ctx.caller, invoice_ids, ctx.cause)
            if not invoices:
                return [], refusal
            try:
                self.core.save_and_announce(*invoices, *others)  # the books last, as in issue()
            except IntegrityError:  # another issue took a number or a book version first
                if attempt == COMMAND_ATTEMPTS:
                    raise LostRace(
                        "Other issues kept taking the numbers first; try again.",
                        current_version=None,
                        subject_id=invoices[0].id,
                    ) from None
                self.core.pause_before_retry(attempt)
                continue
            return invoices, refusal
        raise AssertionError("unreachable")  # pragma: no cover

    def _freeze_batch(
        self, caller: Caller, invoice_ids: list[UUID], cause: Cause
    ) -> tuple[list[Invoice], list[Aggregate], DomainError | None]:
        """The invoices of a prefix of `invoice_ids`, with the sequences and books to save
        after them, and the refusal that ended the prefix (if one did). A second draft of a
        company ends the prefix too: its book moves with the first issue, so the next batch
        reads that draft again (as the read model folds it after this issue)."""
        drafts = self.drafts.drafts(invoice_ids)
        sequences: dict[int, InvoiceSequence] = {}
        invoices: list[Invoice] = []
        books: dict[UUID, InvoiceBook] = {}
        refusal: DomainError | None = None
        for invoice_id in invoice_ids:
            draft = drafts.get(invoice_id)
            if draft is not None and draft.company_id in books:
                break
            try:
                invoice, _, book = self._freeze_draft(caller, invoice_id, draft, cause, sequences)
            except DomainError as refused:
                refusal = refused
                break
            invoices.append(invoice)
            books[book.company_id] = book
        return invoices, [*sequences.values(), *books.values()], refusal

    def _freeze(
        self, caller: Caller, invoice_id: UUID, cause: Cause
    ) -> tuple[Invoice, InvoiceSequence, InvoiceBook]:
        if invoice_id in self.core.repository:
            self._already_issued(invoice_id)
        return self._freeze_draft(caller, invoice_id, self.drafts.draft(invoice_id), cause, {})

    def _freeze_draft(
        self,
        caller: Caller,
        invoice_id: UUID,
        draft: Draft | None,
        cause: Cause,
        sequences: dict[int, InvoiceSequence],
    ) -> tuple[Invoice, InvoiceSequence, InvoiceBook]:
        if draft is None:
            raise NotFound("Invoice not found.")
        caller.require_company(draft.company_id, "Invoice")
        if draft.status == "issued":
            self._already_issued(invoice_id)
        if draft.status != "draft":
            raise RuleViolation("This draft was superseded by a later run: issue that one.")
        book = self.core.load(InvoiceBook, book_id(draft.company_id), "Invoice book")
        if book.version != draft.book_version:
            raise DraftNotCurrent("The draft is being brought up to date; try again shortly.")
        company = self.core.load(Company, draft.company_id, "Company")
        buyer = {"name": company.name, **book.billing}
        if self.require_en16931 and (missing := en16931_missing(dict(self.seller), buyer)):
            raise RuleViolation(
                "EN 16931 needs the " + ", ".join(missing) + " before this invoice is issued."
            )
        invoice, sequence = self._numbered(
            invoice_id,
            InvoiceKind.INVOICE,
            draft,
            draft.lines,
            company,
            book,
            cause,
            sequences,
            seller=dict(self.seller),
            buyer=buyer,
        )
        return invoice, sequence, book

    def _already_issued(self, invoice_id: UUID) -> NoReturn:
        issued = self.core.load(Invoice, invoice_id, "Invoice")
        raise AlreadyExists(f"This invoice is already issued as {issued.number}.")

    @command("issue_credit_note")
    def credit_note(self, ctx: CommandContext, invoice_id: UUID) -> Outcome:
        """A full credit note for an issued invoice: its lines negated, its own number."""
        ctx.caller.require(Role.OPERATOR)
        original = self.core.load_owned(ctx.caller, Invoice, invoice_id, "Invoice")
        if original.kind != InvoiceKind.INVOICE.value:
            raise RuleViolation("A credit note is not credited again.")
        note_id = credit_note_id(original.id)
        if note_id in self.core.repository:
            raise AlreadyExists(f"Invoice {original.number} already has a credit note.")
        company = self.core.load(Company, original.company_id, "Company")
        book = self.core.load(InvoiceBook, book_id(original.company_id), "Invoice book")
        note, sequence = self._numbered(
            note_id,
            InvoiceKind.CREDIT_NOTE,
            original,
            credit_note_lines(original),
            company,
            book,
            ctx.cause,
            {},
            seller=original.seller,
            buyer=original.buyer,
            credits=original.id,
        )
        return self.core.commit(ctx, note, sequence, book, created=True)

    @command("record_invoice_adjustment")
    def adjust(
        self,
        ctx: CommandContext,
        invoice_id: UUID,
        *,
        line_no: int,
        amount: Money,
        description: str,
    ) -> Outcome:
        """A correction of an issued invoice's line, billed on the company's next invoice."""
        ctx.caller.require(Role.OPERATOR)
        original = self.core.load_owned(ctx.caller, Invoice, invoice_id, "Invoice")
        if original.kind != InvoiceKind.INVOICE.value:
            raise RuleViolation("Only an invoice's lines are adjusted, not a credit note's.")
        line = original.line(line_no)
        if amount.currency != original.currency:
            raise InvalidValue(f"The adjustment is in {original.currency}, like the invoice.")
        if amount.is_zero:
            raise InvalidValue("An adjustment of zero changes nothing.")
        what = text.clean_text(description, "adjustment's description")
        if len(what) > MAX_ADJUSTMENT_TEXT:
            raise InvalidValue(f"The description has at most {MAX_ADJUSTMENT_TEXT} characters.")
        book = self.core.load(InvoiceBook, book_id(original.company_id), "Invoice book")
        book.record_adjustment(
            InvoiceLine(
                source=f"adjustment:{book.id}:{book.adjustments + 1}",
                kind=LineKind.ADJUSTMENT.value,
                description=f"{what} (invoice {original.number}, line {line_no})",
                quantity=1,
                unit_price=amount,
                amount=amount,
                months=0,
                discount=Decimal(0),
                days=None,
                days_in_term=None,
                period_start=line.period_start,
                period_end=line.period_end,
                po_reference=line.po_reference,
                subscription_id=original.subscription_id,
                reference=f"{original.number}#{line_no}",
            ),
            ctx.cause,
        )
        return self.core.commit(ctx, book, created=False)

    @command("set_billing_details")
    def set_billing_details(
        self, ctx: CommandContext, company_id: UUID, *, vat_id: str, address: str, country: str
    ) -> Outcome:
        """The buyer's VAT id, address and country on the company's next invoices."""
        self.companies.get(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        book, created = self._book(company_id, ctx.cause)
        address = text.clean_text(address, "address") if address.strip() else ""
        book.set_billing_details(vat_id.strip(), address, country.strip(), ctx.cause)
        return self.core.commit(ctx, book, created=created)

    # ------------------------------------------------------------------ reads

    def read(self, caller: Caller, invoice_id: UUID) -> Invoice:
        """An issued invoice, for operators and the company's admins (else 404 or 403)."""
        caller.require(Role.OPERATOR, Role.ADMIN)
        return self.core.load_owned(caller, Invoice, invoice_id, "Invoice")

    def get(self, invoice_id: UUID, version: int | None = None) -> Invoice:
        """An issued invoice's facts (for renderers; callers read through the read model)."""
        return self.core.load(Invoice, invoice_id, "Invoice", version)

    # ------------------------------------------------------------------ helpers

    def _book(self, company_id: UUID, cause: Cause) -> tuple[InvoiceBook, bool]:
        try:
            return self.core.load(InvoiceBook, book_id(company_id), ""), False
        except NotFound:
            return InvoiceBook.open(company_id, cause), True

    def _numbered(
        self,
        invoice_id: UUID,
        kind: InvoiceKind,
        basis: Draft | Invoice,
        lines: list[InvoiceLine],
        company: Company,
        book: InvoiceBook,
        cause: Cause,
        sequences: dict[int, InvoiceSequence],
        *,
        seller: dict[str, str],
        buyer: dict[str, str],
        credits: UUID | None = None,
    ) -> tuple[Invoice, InvoiceSequence]:
        """Issue `lines` (month, currency, subscription and VAT rate as in `basis`) under the
        next number of the year of its issue date in the company's zone; the book records it.
        `sequences` holds the years' sequences a batch has loaded (and takes numbers from)."""
        issue_date = local_date(cause.at, company.time_zone)
        if issue_date.year not in sequences:
            sequences[issue_date.year] = self._sequence(issue_date.year, cause)
        sequence = sequences[issue_date.year]
        number = sequence.take(invoice_id, cause)
        invoice = Invoice.issue(
            invoice_id=invoice_id,
            company_id=company.id,
            kind=kind,
            number=number,
            issue_date=issue_date,
            month=basis.month,
            currency=basis.currency,
            subscription_id=basis.subscription_id,
            lines=lines,
            vat_rate=basis.vat_rate,
            credits=credits,
            seller=seller,
            buyer=buyer,
            cause=cause,
        )
        book.record_issue(invoice_id, number, cause)
        return invoice, sequence

    def _sequence(self, year: int, cause: Cause) -> InvoiceSequence:
        try:
            return self.core.load(InvoiceSequence, sequence_id(year), "")
        except NotFound:
            return InvoiceSequence.start(year, cause)


def credit_note_lines(original: Invoice) -> list[InvoiceLine]:
    """A full credit note's lines: the invoice's, negated, each naming the line it credits."""
    return [
        replace(
            line,
            source=f"credit:{original.id}:{n}",
            kind=LineKind.CREDIT.value,
            amount=-line.amount,
            reference=f"{original.number}#{n}",
        )
        for n, line in enumerate(original.lines, start=1)
    ]
