"""Invoices (SPEC §6): the company's invoice book, the issued invoice, the number sequence.

- `InvoiceBook` (one per company, id from the company): records each invoice run (month,
  VAT rate in force, the usage lines of the previous month) and each issue. Every issue of
  the company commits a new version of its book, so two issues of one company serialise,
  and a draft read from the read model is trusted only when the read model has folded the
  book's latest version (`draft_is_current`).
- `InvoiceSequence` (one per provider and year): hands out the gapless numbers
  `YYYY-NNNNNN`. The number is taken in the same save as the issue, so two issues at once
  collide on the sequence's version (one retries and takes the next number) and a refused
  or failed issue takes none. The sequence restarts at 000001 each year (ADR 0035).
- `Invoice` (id = the draft's id): the issued invoice, frozen. It has no command that
  changes it; a correction is an adjustment line on a later invoice, a full reversal is a
  credit note (an `Invoice` of kind `credit_note` that references it).

Totals are computed here once (`invoice_totals`): net = sum of the rounded lines, VAT at
the company's rate on the net total, rounded once half-up, gross = net + VAT. The draft
read model shows the same numbers by calling the same function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.money import Money, round_half_up

NUMBER_DIGITS = 6
MAX_NUMBER = 10**NUMBER_DIGITS - 1
MAX_LINES = 1_000  # lines on one invoice (a run of one company collects at most this many)


class LineKind(StrEnum):
    TERM = "term"  # a prepaid term, in full at its start
    MONTHLY = "monthly"  # a month of a monthly subscription, in advance
    SEATS = "seats"  # seats added mid-term, pro rata
    KEY_SALE = "key_sale"  # an activation key sold to the company (issue 10)
    USAGE = "usage"  # the usage of the previous month (issue 11)
    ADJUSTMENT = "adjustment"  # a correction of an issued invoice's line
    CREDIT = "credit"  # a line of a credit note (the negated original)


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line, with the formula inputs of the charge it bills (so the PDF can explain a
    pro-rata line: quantity × unit price × months × (1 − discount) × days / days in term).

    `source` names the fact it bills, once across all invoices: `charge:<position>:<line>`
    for a charge of the charges read model, `usage:<YYYY-MM>:<n>` for a usage line,
    `adjustment:<book id>:<n>` for a correction, `credit:<invoice id>:<n>` on a credit note.
    """

    source: str
    kind: str
    description: str
    quantity: int
    unit_price: Money
    amount: Money
    months: int
    discount: Decimal
    days: int | None
    days_in_term: int | None
    period_start: date | None
    period_end: date | None
    po_reference: str | None
    subscription_id: UUID | None
    reference: str | None = None  # an adjustment's or credit's original: "<number>#<line>"


@dataclass(frozen=True, slots=True)
class Totals:
    net: Money
    vat: Money
    gross: Money


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft as the invoices read model folded it: what an issue freezes."""

    invoice_id: UUID
    company_id: UUID
    status: str  # draft | superseded | issued
    month: str
    currency: str
    subscription_id: UUID | None
    vat_rate: Decimal  # the company's rate at the run
    lines: list[InvoiceLine]
    book_version: int  # the company's book as far as the read model folded it


def vat_of(net: Money, rate: Decimal) -> Money:
    """VAT at `rate` percent (25 is 25 %) on the net total, rounded once, half-up (a
    negative net, a credit note's, gives a negative VAT)."""
    return Money(round_half_up(Fraction(net.minor) * Fraction(rate) / 100), net.currency)


def invoice_totals(amounts: Sequence[Money], currency: str, rate: Decimal) -> Totals:
    net = Money.zero(currency)
    for amount in amounts:
        net = net + amount
    vat = vat_of(net, rate)
    return Totals(net=net, vat=vat, gross=net + vat)


def format_number(year: int, serial: int) -> str:
    return f"{year:04d}-{serial:0{NUMBER_DIGITS}d}"


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: str) -> date:
    """`YYYY-MM` → its first day; InvalidValue otherwise (bounded to years 2000–2199)."""
    try:
        year, month = (int(p) for p in text.split("-"))
        first = date(year, month, 1)
    except (ValueError, AttributeError):
        raise InvalidValue(f"A month is YYYY-MM, not {text!r}.") from None
    if len(text) != 7 or not 2000 <= year <= 2199:
        raise InvalidValue(f"A month is YYYY-MM between 2000 and 2199, not {text!r}.")
    return first


EN16931_PARTY_FIELDS = {"name": "name", "vat_id": "VAT id", "country": "country"}


def en16931_missing(seller: dict[str, str], buyer: dict[str, str]) -> list[str]:
    """What EN 16931 needs of the parties (seller BT-27, BT-31, BT-40; buyer BT-44, BT-48,
    BT-55) and they lack, e.g. ["buyer VAT id"]; empty when a Factur-X file can be made."""
    return [
        f"{who} {label}"
        for who, party in (("seller", seller), ("buyer", buyer))
        for key, label in EN16931_PARTY_FIELDS.items()
        if not party.get(key, "").strip()
    ]


def book_id(company_id: UUID) -> UUID:
    return natural_id("invoice-book", company_id)


def sequence_id(year: int) -> UUID:
    return natural_id("invoice-sequence", year)


def draft_id(company_id: UUID, run_no: int, currency: str, subscription_id: UUID | None) -> UUID:
    """The id a draft has in the read model, and the issued invoice after it."""
    return natural_id("invoice", company_id, run_no, currency, subscription_id or "-")


def credit_note_id(invoice_id: UUID) -> UUID:
    return natural_id("credit-note", invoice_id)


class InvoiceBook(Aggregate):
    """A company's invoicing: its runs, its issues, its pending corrections."""

    class_version = 1

    class Opened(LessorCreated):
        class_version = 1

    class RunRecorded(LessorEvent):
        """The invoice run of `month`: every charge recorded before this fact and not yet on
        an issued invoice goes on this run's drafts, with the usage lines given here."""

        class_version = 1
        month: str  # YYYY-MM
        run_no: int
        vat_rate: Decimal
        usage_month: str
        usage: list[InvoiceLine]

    class IssueRecorded(LessorEvent):
        class_version = 1
        invoice_id: UUID
        number: str

    class AdjustmentRecorded(LessorEvent):
        """A correction for the next invoice (positive or negative)."""

        class_version = 1
        line: InvoiceLine

    class BillingDetailsSet(LessorEvent):
        """The buyer as its invoices name it (EN 16931: VAT id BT-48, address, country
        BT-55), frozen on each invoice issued from then on."""

        class_version = 1
        vat_id: str
        address: str
        country: str

    @classmethod
    def open(cls, company_id: UUID, cause: Cause) -> InvoiceBook:
        return cls._create(cls.Opened, id=book_id(company_id), **cause.stamp(company_id))

    @event(Opened)
    def __init__(self, *, company_id: UUID) -> None:
        self.company_id = company_id
        self.runs = 0
        self.months_run: list[str] = []
        self.issued = 0
        self.adjustments = 0
        self.billing: dict[str, str] = {}

    def record_run(
        self,
        month: str,
        vat_rate: Decimal,
        usage_month: str,
        usage: list[InvoiceLine],
        cause: Cause,
    ) -> None:
        if len(usage) > MAX_LINES:
            raise RuleViolation(f"A run collects at most {MAX_LINES} usage lines.")
        self.trigger_event(
            self.RunRecorded,
            month=month,
            run_no=self.runs + 1,
            vat_rate=vat_rate,
            usage_month=usage_month,
            usage=usage,
            **cause.stamp(self.company_id),
        )

    def has_run(self, month: str) -> bool:
        return month in self.months_run

    @event(RunRecorded)
    def _run_recorded(self, *, month: str, run_no: int) -> None:
        self.runs = run_no
        if month not in self.months_run:
            self.months_run = [*self.months_run[-23:], month]  # bounded: the last two years

    def record_issue(self, invoice_id: UUID, number: str, cause: Cause) -> None:
        self.trigger_event(
            self.IssueRecorded,
            invoice_id=invoice_id,
            number=number,
            **cause.stamp(self.company_id),
        )

    @event(IssueRecorded)
    def _issue_recorded(self) -> None:
        self.issued += 1

    def record_adjustment(self, line: InvoiceLine, cause: Cause) -> None:
        self.trigger_event(self.AdjustmentRecorded, line=line, **cause.stamp(self.company_id))

    def set_billing_details(self, vat_id: str, address: str, country: str, cause: Cause) -> None:
        if country and (len(country) != 2 or not country.isalpha() or not country.isupper()):
            raise InvalidValue("The country is an ISO 3166 code of two capitals, e.g. SE.")
        if len(vat_id) > 30 or not all(c.isalnum() for c in vat_id):
            raise InvalidValue("A VAT id has at most 30 letters and digits, e.g. SE556677889901.")
        if len(address) > 300:
            raise InvalidValue("The address has at most 300 characters.")
        self.trigger_event(
            self.BillingDetailsSet,
            vat_id=vat_id,
            address=address,
            country=country,
            **cause.stamp(self.company_id),
        )

    @event(BillingDetailsSet)
    def _billing_details_set(self, *, vat_id: str, address: str, country: str) -> None:
        self.billing = {"vat_id": vat_id, "address": address, "country": country}

    @event(AdjustmentRecorded)
    def _adjustment_recorded(self) -> None:
        self.adjustments += 1


class InvoiceSequence(Aggregate):
    """The provider's invoice numbers of one year, gapless from 000001."""

    class_version = 1

    class Started(LessorCreated):
        class_version = 1
        year: int

    class NumberTaken(LessorEvent):
        class_version = 1
        serial: int
        invoice_id: UUID

    @classmethod
    def start(cls, year: int, cause: Cause) -> InvoiceSequence:
        return cls._create(cls.Started, id=sequence_id(year), year=year, **cause.stamp(None))

    @event(Started)
    def __init__(self, *, year: int) -> None:
        self.year = year
        self.last = 0

    def take(self, invoice_id: UUID, cause: Cause) -> str:
        if self.last >= MAX_NUMBER:
            raise RuleViolation(f"The invoice numbers of {self.year} are used up.")
        self.trigger_event(
            self.NumberTaken, serial=self.last + 1, invoice_id=invoice_id, **cause.stamp(None)
        )
        return format_number(self.year, self.last)

    @event(NumberTaken)
    def _taken(self, *, serial: int) -> None:
        self.last = serial


class Invoice(Aggregate):
    """An issued invoice or credit note: a fact that never changes."""

    class_version = 1

    class Issued(LessorCreated):
        class_version = 1
        kind: str
        number: str
        issue_date: date
        month: str
        currency: str
        subscription_id: UUID | None
        lines: list[InvoiceLine]
        vat_rate: Decimal
        net: Money
        vat: Money
        gross: Money
        credits: UUID | None  # a credit note: the invoice it reverses
        seller: dict[str, str]  # name, address, vat_id, iban: as printed, frozen here
        buyer: dict[str, str]  # name

    @classmethod
    def issue(
        cls,
        *,
        invoice_id: UUID,
        company_id: UUID,
        kind: InvoiceKind,
        number: str,
        issue_date: date,
        month: str,
        currency: str,
        subscription_id: UUID | None,
        lines: list[InvoiceLine],
        vat_rate: Decimal,
        credits: UUID | None = None,
        seller: dict[str, str],
        buyer: dict[str, str],
        cause: Cause,
    ) -> Invoice:
        if not lines:
            raise RuleViolation("An invoice without lines is not issued.")
        if len(lines) > MAX_LINES:
            raise RuleViolation(f"An invoice has at most {MAX_LINES} lines.")
        if len({line.source for line in lines}) != len(lines):
            raise RuleViolation("A fact is billed once: two lines bill the same one.")
        totals = invoice_totals([line.amount for line in lines], currency, vat_rate)
        return cls._create(
            cls.Issued,
            id=invoice_id,
            kind=kind.value,
            number=number,
            issue_date=issue_date,
            month=month,
            currency=currency,
            subscription_id=subscription_id,
            lines=lines,
            vat_rate=vat_rate,
            net=totals.net,
            vat=totals.vat,
            gross=totals.gross,
            credits=credits,
            seller=dict(seller),
            buyer=dict(buyer),
            **cause.stamp(company_id),
        )

    @event(Issued)
    def __init__(
        self,
        *,
        kind: str,
        number: str,
        issue_date: date,
        month: str,
        currency: str,
        subscription_id: UUID | None,
        lines: list[InvoiceLine],
        vat_rate: Decimal,
        net: Money,
        vat: Money,
        gross: Money,
        credits: UUID | None,
        seller: dict[str, str],
        buyer: dict[str, str],
        company_id: UUID,
    ) -> None:
        self.kind = kind
        self.number = number
        self.issue_date = issue_date
        self.month = month
        self.currency = currency
        self.subscription_id = subscription_id
        self.lines = lines
        self.vat_rate = vat_rate
        self.net = net
        self.vat = vat
        self.gross = gross
        self.credits = credits
        self.seller = dict(seller)
        self.buyer = dict(buyer)
        self.company_id = company_id

    def line(self, line_no: int) -> InvoiceLine:
        if not 1 <= line_no <= len(self.lines):
            raise InvalidValue(f"Invoice {self.number} has lines 1 to {len(self.lines)}.")
        return self.lines[line_no - 1]
