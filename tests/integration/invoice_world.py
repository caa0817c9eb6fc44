"""Builders for the invoice tests: a company with subscriptions, runs, issues, reads —
real commands through the real application, the real projector on the real store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.bootstrap import Container
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import ProductKind
from domain.model.time import local_midnight
from projections.invoices import InvoiceFilter, invoice_detail, query_invoices

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)


def utc(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def first_local(year: int, month: int) -> datetime:
    """00:00 on the 1st in Stockholm, as UTC."""
    return local_midnight(date(year, month, 1), "Europe/Stockholm")


def at(when: datetime, caller: Caller = OPERATOR) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, "test"))


@dataclass
class Shop:
    c: Container

    def company(
        self,
        name: str = "Acme AB",
        vat: str = "25",
        currency: str = "SEK",
        when: datetime | None = None,
    ) -> UUID:
        return self.c.app.companies.register(
            at(when or utc(2026, 1, 2)),
            name=name,
            currency=currency,
            time_zone="Europe/Stockholm",
            vat_rate=Decimal(vat),
            settings={},
        ).subject_id

    def product(self, code: str = "WP", price: int = 4900, name: str = "Workplace Plan") -> UUID:
        return self.c.app.catalog.add_product(
            at(utc(2026, 1, 2)),
            code=code,
            name=name,
            kind=ProductKind.PLAN,
            prices={"SEK": price, "EUR": price},
        ).subject_id

    def subscribe(
        self,
        company: UUID,
        product: UUID,
        seats: int,
        start: date,
        term: Term,
        when: datetime,
        *,
        po: str | None = None,
        separate: bool = False,
    ) -> UUID:
        return self.c.app.subscriptions.create(
            at(when),
            company_id=company,
            lines=[(product, seats)],
            start_date=start,
            term=term,
            po_reference=po,
            separate_invoice=separate,
            renewal_option=RenewalOption.NONE,
        ).subject_id

    def tick(self, when: datetime) -> int:
        """The scheduler at `when`: charges due, then the monthly runs due; runs made."""
        report = self.c.scheduler.tick(when)
        assert not report.failures, report.failures
        return report.invoice_runs

    def run(self, company: UUID, month: str, when: datetime) -> None:
        self.c.app.invoicing.run(at(when), company, month)

    def drafts(self, company: UUID | None = None, month: str | None = None) -> list[dict[str, Any]]:
        return self.invoices(company, month, "draft")

    def invoices(
        self, company: UUID | None = None, month: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        self.c.projector.catch_up()
        page = query_invoices(
            self.c.db, OPERATOR, InvoiceFilter(company_id=company, month=month, status=status)
        )
        return page.items

    def detail(self, invoice_id: str | UUID) -> dict[str, Any]:
        self.c.projector.catch_up()
        return invoice_detail(self.c.db, OPERATOR, UUID(str(invoice_id)))

    def issue(self, invoice_id: str | UUID, when: datetime) -> str:
        outcome = self.c.app.invoicing.issue(at(when), UUID(str(invoice_id)))
        return str(outcome.subject.number)  # type: ignore[attr-defined]


def minor(item: dict[str, Any], key: str) -> int:
    return int(item[key]["minor"])


def sek(text: str) -> int:
    return Money.of(text, "SEK").minor
