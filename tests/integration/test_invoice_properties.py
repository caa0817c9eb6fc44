"""Nothing billed twice, nothing lost (SPEC §6): for random sequences of charges (seats
added, months passing), scheduled and on-demand runs and issues, the lines of a company's
issued invoices never bill one charge twice, and once everything is run and issued they
sum exactly to its charges. VAT is rounded once per invoice, on the net total."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import count
from uuid import UUID

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from api.bootstrap import Container
from domain.model.invoice import Invoice
from domain.model.money import round_half_up
from domain.model.pricing import Term
from domain.model.time import local_date, local_midnight, month_start
from projections.charges import ChargeFilter, query_charges
from tests.integration.invoice_world import OPERATOR, Shop, at

MACHINE_SETTINGS = settings(max_examples=6, stateful_step_count=10, deadline=None)
TZ = "Europe/Stockholm"
_names = count(1)


class Clock:
    """Business time moves forward across examples too: one store serves them all."""

    now = local_midnight(date(2027, 1, 1), TZ)


class InvoiceMachine(RuleBasedStateMachine):
    def __init__(self, shop: Shop, plan: UUID) -> None:
        super().__init__()
        self.shop, self.plan = shop, plan
        self.companies = [shop.company(f"Prop {next(_names)}") for _ in range(2)]
        start = month_start(local_date(Clock.now, TZ))
        self.subscriptions = [
            shop.subscribe(c, plan, 3, start, Term.MONTHLY, Clock.now) for c in self.companies
        ]

    def _at(self, days: int) -> datetime:
        Clock.now += timedelta(days=days)
        return Clock.now

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.shop.tick(self._at(days))

    @rule(which=st.integers(0, 1), seats=st.integers(1, 4))
    def seats_added(self, which: int, seats: int) -> None:
        self.shop.c.app.subscriptions.add_seats(
            at(self._at(0)), self.subscriptions[which], self.plan, seats
        )

    @rule(which=st.integers(0, 1))
    def run_now(self, which: int) -> None:
        today = local_date(self._at(0), TZ)
        self.shop.run(self.companies[which], f"{today:%Y-%m}", Clock.now)

    @rule(which=st.integers(0, 1))
    def issue_open_drafts(self, which: int) -> None:
        for draft in self.shop.drafts(self.companies[which]):
            self.shop.issue(draft["invoice_id"], self._at(0))

    def issued(self, company: UUID) -> list[Invoice]:
        return [
            self.shop.c.app.invoicing.get(UUID(i["invoice_id"]))
            for i in self.shop.invoices(company, status="issued")
        ]

    def charged(self, company: UUID) -> int:
        self.shop.c.projector.catch_up()
        page = query_charges(self.shop.c.db, OPERATOR, ChargeFilter(company_id=company, limit=500))
        assert page.next_cursor is None
        return sum(item["amount"]["minor"] for item in page.items)

    @invariant()
    def nothing_billed_twice_and_vat_once(self) -> None:
        for company in self.companies:
            invoices = self.issued(company)
            sources = [line.source for invoice in invoices for line in invoice.lines]
            assert len(sources) == len(set(sources))
            assert sum(i.net.minor for i in invoices) <= self.charged(company)
            for invoice in invoices:
                net = sum(line.amount.minor for line in invoice.lines)
                assert invoice.net.minor == net
                assert invoice.vat.minor == round_half_up(Fraction(net) * 25 / 100)

    def teardown(self) -> None:
        """Run and issue everything: the issued lines are exactly the charges."""
        for company in self.companies:
            self.run_now(self.companies.index(company))
            self.issue_open_drafts(self.companies.index(company))
            assert sum(i.net.minor for i in self.issued(company)) == self.charged(company)


@pytest.mark.slow
def test_the_issued_lines_are_exactly_the_charges(container: Container) -> None:
    shop = Shop(container)
    plan = shop.product()
    run_state_machine_as_test(lambda: InvoiceMachine(shop, plan), settings=MACHINE_SETTINGS)
