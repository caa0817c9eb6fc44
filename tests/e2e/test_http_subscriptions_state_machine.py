"""Subscriptions and seats as a state machine over HTTP (SPEC §3, §6; docs/billing.md).

Hypothesis drives one company per example through the public API, as its admin: quote and
buy subscriptions (monthly or prepaid, one to three products, a few seats each), add and
remove seats, assign and unassign licences, move business time (with a scheduler tick, or
lazily: the next command on a subscription brings it up to date), and requests that must
be refused. After every step the read models, read with `min_position` of the latest write,
must agree with the model kept here:

- per line, assigned ≤ seats bought, and free = bought − assigned − pending removal ≥ 0;
- the charges are exactly the lines the model expects, and they sum to what was sold: the
  quoted total of each purchase, the quoted unit prices of every later month or term, and
  the pro rata of every seat addition.

The oracle is exact because the machine stays where docs/billing.md states the amounts
exactly: every subscription starts on the day it is bought (no backdated or future start,
so its first charge is the quote's total), list prices never change during an example (a
renewal or conversion is at the quoted unit price), and business time is always 09:00 UTC,
the same calendar date in the company's zone (Europe/Stockholm). Seats added mid-term are
seats × price × months × (1 − discount) × days remaining / days in term, rounded once,
half up. Not driven here: price changes, cancellation, PO references, the default licence.

A refused request must answer its status (409, or 404 for a product not on the
subscription) and write nothing: the event log head does not move.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._end_of_lease import add_months
from tests.e2e._http import TestClient, assert_problem, auth, collect_pages, head, position
from tests.e2e._subscriptions import (
    DISCOUNT,
    MONTHS,
    Shop,
    add_product,
    command,
    half_up,
    ok,
    open_shop,
    term_minor,
    tick,
    utc,
)

# (code, name, kind, price in SEK): odd prices make the rounding of discounts and pro rata
# matter.
CATALOG = (
    ("SM-WP", "Workplace Plan", "plan", "49.00"),
    ("SM-PRO", "Workplace Pro", "plan", "99.00"),
    ("SM-REP", "Reporting", "option", "12.50"),
    ("SM-SUP", "Support desk", "option", "7.99"),
)
MEMBERS = 4
MAX_SUBSCRIPTIONS = 3
# Month ends, a leap day, the eve of the October DST change: where anniversaries clamp.
FIRST_DAYS = tuple(
    date.fromisoformat(d)
    for d in ("2026-03-02", "2026-03-31", "2026-10-24", "2027-01-31", "2028-01-30", "2028-02-29")
)
TERMS = ("monthly", "1y", "3y", "5y")
RENEWALS = ("none", "once", "every_time", "to_monthly")
# Products (catalog indexes) and their seats, term, renewal option.
Purchase = tuple[list[int], list[int], str, str]
PURCHASES = st.tuples(
    st.lists(st.integers(0, len(CATALOG) - 1), min_size=1, max_size=3, unique=True),
    st.lists(st.integers(1, 4), min_size=3, max_size=3),
    st.sampled_from(TERMS) | st.just("monthly"),  # only monthly seats can be removed
    st.sampled_from(RENEWALS),
)
MACHINE_SETTINGS = settings(max_examples=25, stateful_step_count=15, deadline=None)

_companies = itertools.count(1)
Charge = tuple[str, str, int, int, str, str]  # kind, product, quantity, amount, start, end


@dataclass(frozen=True)
class Product:
    id: str
    kind: str
    unit_minor: int  # per seat per month


@dataclass
class Line:
    product: Product
    seats: int
    pending_removal: int = 0
    holders: list[str] = field(default_factory=list)

    @property
    def free(self) -> int:
        return self.seats - self.pending_removal - len(self.holders)


@dataclass
class Model:
    """One subscription as docs/billing.md describes it, as far as it has been recorded."""

    id: str
    start: date
    term: str
    renewal: str
    lines: dict[str, Line]
    offset: int = 0  # months from the start date to the current term's start
    charged: bool = False  # the current term is charged
    status: str = "pending"
    charges: list[Charge] = field(default_factory=list)

    @property
    def term_start(self) -> date:
        return add_months(self.start, self.offset)

    @property
    def term_end(self) -> date:
        return add_months(self.start, self.offset + MONTHS[self.term])

    @property
    def ended(self) -> bool:
        return self.status in ("expired", "cancelled")

    def advance(self, today: date, plan_of: dict[str, str]) -> None:
        """Charge each period started by `today`, then renew, convert or end at term end."""
        while not self.ended:
            if not self.charged:
                if self.term_start > today:
                    return
                self._charge_term()
            elif self.term_end <= today:
                self._at_term_end(plan_of)
            else:
                return

    def _charge_term(self) -> None:
        kind = "monthly" if self.term == "monthly" else "term"
        for line in self.lines.values():
            line.seats -= line.pending_removal  # a removal takes effect at the next period
            line.pending_removal = 0
            if line.seats:
                amount = term_minor(line.product.unit_minor, line.seats, self.term)
                self.charges.append(self._charge(kind, line.product, line.seats, amount))
        self.charged, self.status = True, "active"

    def _at_term_end(self, plan_of: dict[str, str]) -> None:
        prepaid = self.term != "monthly"
        if prepaid and self.renewal == "none":
            self.status = "expired"
            for line in self.lines.values():  # licences end, and the plans are free again
                for member in line.holders:
                    if plan_of.get(member) == self.id:
                        del plan_of[member]
                line.holders = []
            return
        self.offset += MONTHS[self.term]
        if prepaid and self.renewal == "to_monthly":
            self.term = "monthly"
        elif prepaid and self.renewal == "once":
            self.renewal = "none"  # one more term, then it expires; a monthly one keeps it
        self.charged = False

    def add_seats(self, product: Product, seats: int, today: date) -> None:
        """Pro rata for the days left in the current (charged) term."""
        remaining = (self.term_end - today).days
        in_term = (self.term_end - self.term_start).days
        exact = (
            Fraction(product.unit_minor * seats * MONTHS[self.term])
            * (1 - DISCOUNT[self.term])
            * Fraction(remaining, in_term)
        )
        self.lines[product.id].seats += seats
        self.charges.append(self._charge("seats", product, seats, half_up(exact), today))

    def _charge(
        self, kind: str, product: Product, seats: int, amount: int, start: date | None = None
    ) -> Charge:
        first = (start or self.term_start).isoformat()
        return (kind, product.id, seats, amount, first, self.term_end.isoformat())


class SeatsMachine(RuleBasedStateMachine):
    def __init__(
        self,
        api: TestClient,
        container: Container,
        clock: FixedClock,
        operator: str,
        products: list[Product],
    ) -> None:
        super().__init__()
        self.api, self.container, self.clock, self.operator = api, container, clock, operator
        self.products = products
        self.subscriptions: list[Model] = []
        self.plan_of: dict[str, str] = {}  # member → the subscription of their plan
        self.position = 0  # the latest write's Lessor-Position
        self.today = FIRST_DAYS[0]
        self.shop: Shop
        # Taken before each command, restored or checked when it is refused.
        self._head_before = 0
        self._plans_before: dict[str, str] = {}

    # ---------------------------------------------------------------------------- setup

    @initialize(first_day=st.sampled_from(FIRST_DAYS), purchase=PURCHASES)
    def open_company_and_buy(self, first_day: date, purchase: Purchase) -> None:
        """Every example starts with a subscription, so each rule has one to work on."""
        self.today = first_day
        self.clock.set(utc(first_day.year, first_day.month, first_day.day))
        self.shop = open_shop(
            self.api,
            self.container,
            name=f"Seats {next(_companies)} AB",
            employees=MEMBERS,
            operator=self.operator,
        )
        self.position = head(self.container)
        self.buy(purchase)

    @property
    def admin(self) -> str:
        return self.shop.admin

    # ---------------------------------------------------------------------------- rules

    @precondition(lambda self: len(self.subscriptions) < MAX_SUBSCRIPTIONS)
    @rule(purchase=PURCHASES)
    def buy(self, purchase: Purchase) -> None:
        """Quote, then buy what was quoted, starting today."""
        picks, seats, term, renewal = purchase
        chosen = [(self.products[i], n) for i, n in zip(picks, seats, strict=False)]
        lines = [{"product_id": p.id, "seats": n} for p, n in chosen]
        quote = ok(
            self.api.post(
                "/v1/subscriptions/quote",
                json={"lines": lines, "term": term},
                headers=auth(self.admin),
            )
        )
        quoted = [
            (li["seats"], li["unit_price"]["minor"], li["amount"]["minor"]) for li in quote["lines"]
        ]
        assert quoted == [(n, p.unit_minor, term_minor(p.unit_minor, n, term)) for p, n in chosen]
        assert quote["total"]["minor"] == sum(amount for _, _, amount in quoted)
        body = {"lines": lines, "start_date": self.today.isoformat(), "term": term}
        response = self.api.post(
            "/v1/subscriptions", json={**body, "renewal_option": renewal}, headers=auth(self.admin)
        )
        assert response.status_code == 201, response.text
        model = Model(
            id=response.json()["id"],
            start=self.today,
            term=term,
            renewal=renewal,
            lines={p.id: Line(p, n) for p, n in chosen},
        )
        model.advance(self.today, self.plan_of)
        # What was sold is what was quoted: the first term, charged at once.
        assert sum(c[3] for c in model.charges) == quote["total"]["minor"]
        self.subscriptions.append(model)
        self._written(response, model)

    @precondition(lambda self: self.subscriptions)
    @rule(
        which=st.integers(0, MAX_SUBSCRIPTIONS - 1),
        pick=st.integers(0, 3),
        seats=st.integers(1, 3),
    )
    def add_seats(self, which: int, pick: int, seats: int) -> None:
        """`pick` past the subscription's lines names a product it does not have."""
        model = self._caught_up(which)
        others = [p for p in self.products if p.id not in model.lines]
        lines = [line.product for line in model.lines.values()]
        product = others[0] if pick >= len(lines) and others else lines[pick % len(lines)]
        response = self._post(model, "seats", {"product_id": product.id, "seats": seats})
        if model.ended:
            return self._refused(response, 409)
        if product.id not in model.lines:
            return self._refused(response, 404)
        model.add_seats(product, seats, self.today)
        return self._written(response, model)

    @precondition(lambda self: self.subscriptions)
    @rule(
        which=st.integers(0, MAX_SUBSCRIPTIONS - 1), pick=st.integers(0, 2), seats=st.integers(1, 3)
    )
    def remove_seats(self, which: int, pick: int, seats: int) -> None:
        model = self._caught_up(which)
        line = self._line(model, pick)
        response = self._post(
            model, "seat-removals", {"product_id": line.product.id, "seats": seats}
        )
        if model.ended or model.term != "monthly" or line.free < seats:
            return self._refused(response, 409)  # prepaid, or below the seats assigned
        line.pending_removal += seats
        return self._written(response, model)

    @precondition(lambda self: self.subscriptions)
    @rule(
        which=st.integers(0, MAX_SUBSCRIPTIONS - 1),
        pick=st.integers(0, 2),
        member=st.integers(0, MEMBERS - 1),
    )
    def assign(self, which: int, pick: int, member: int) -> None:
        model = self._caught_up(which)
        line, member_id = self._line(model, pick), self.shop.employees[member]
        response = self._post(
            model, "licences", {"member_id": member_id, "product_id": line.product.id}
        )
        is_plan = line.product.kind == "plan"
        if (
            model.ended
            or member_id in line.holders
            or line.free < 1  # never more seats assigned than bought
            or (is_plan and member_id in self.plan_of)  # one plan per member
        ):
            return self._refused(response, 409)
        line.holders.append(member_id)
        if is_plan:
            self.plan_of[member_id] = model.id
        return self._written(response, model)

    @precondition(lambda self: self._full_lines())
    @rule(data=st.data(), member=st.sampled_from(range(MEMBERS)))
    def assign_beyond_free_seats(self, data: st.DataObject, member: int) -> None:
        model, line = data.draw(st.sampled_from(self._full_lines()))
        self._refused_assignment(model, line, self.shop.employees[member])

    @precondition(lambda self: self._second_plans())
    @rule(data=st.data())
    def assign_a_second_plan(self, data: st.DataObject) -> None:
        """A member who holds a plan asks for another one, where a seat is free."""
        self._refused_assignment(*data.draw(st.sampled_from(self._second_plans())))

    @precondition(lambda self: self._held())
    @rule(data=st.data(), stranger=st.booleans())
    def unassign(self, data: st.DataObject, stranger: bool) -> None:
        """A holder's licence, or (`stranger`) one the member does not hold on that line."""
        which, product_id, member_id = data.draw(st.sampled_from(self._held()))
        model = self._caught_up(which)
        line = model.lines[product_id]
        if stranger:
            member_id = data.draw(st.sampled_from(self.shop.employees))
        response = self._post(
            model, "licences/unassign", {"member_id": member_id, "product_id": product_id}
        )
        if member_id not in line.holders:  # a stranger, or the subscription ended meanwhile
            return self._refused(response, 409)
        line.holders.remove(member_id)
        if line.product.kind == "plan":
            del self.plan_of[member_id]
        return self._written(response, model)

    @rule(days=st.integers(1, 45), run_scheduler=st.booleans())
    def pass_days(self, days: int, run_scheduler: bool) -> None:
        """Without the scheduler, the next command on each subscription catches up."""
        self._move_to(self.today + timedelta(days=days), run_scheduler)

    @precondition(lambda self: any(not m.ended for m in self.subscriptions))
    @rule(pick=st.integers(0, MAX_SUBSCRIPTIONS - 1), eve=st.booleans())
    def run_the_scheduler_to_a_term_end(self, pick: int, eve: bool) -> None:
        """To one of the coming term ends (a prepaid one is a year or more away), or the
        day before it, and the scheduler runs there: renewals, conversions, expiries."""
        ends = sorted({m.term_end for m in self.subscriptions if not m.ended})
        self._move_to(ends[pick % len(ends)] - timedelta(days=1 if eve else 0), True)

    # ------------------------------------------------------------------- invariants

    @invariant()
    def seats_are_never_oversold(self) -> None:
        listed = collect_pages(
            self.api, "/v1/subscriptions", self.admin, min_position=self.position
        )
        assert [i["subscription_id"] for i in listed] == [m.id for m in self.subscriptions]
        for item, model in zip(listed, self.subscriptions, strict=True):
            assert (item["status"], item["term"], item["renewal_option"]) == (
                model.status,
                model.term,
                model.renewal,
            ), item
            assert (item["term_start"], item["term_end"]) == (
                model.term_start.isoformat(),
                model.term_end.isoformat(),
            ), item
            lines = {li["product_id"]: li for li in item["lines"]}
            assert lines.keys() == model.lines.keys()
            for product_id, shown in lines.items():
                bought, assigned = shown["seats"], shown["assigned"]
                pending = shown["pending_removal"]
                assert assigned <= bought, shown
                assert bought - assigned - pending >= 0, shown
                assert shown["free"] == bought - assigned - pending, shown
                line = model.lines[product_id]
                assert (bought, assigned, pending) == (
                    line.seats,
                    len(line.holders),
                    line.pending_removal,
                ), (item, model)

    @invariant()
    def charges_are_what_was_sold(self) -> None:
        lines = collect_pages(self.api, "/v1/charges", self.admin, min_position=self.position)
        sold = sum(c[3] for m in self.subscriptions for c in m.charges)
        assert sum(c["amount"]["minor"] for c in lines) == sold
        by_subscription: dict[str, list[Charge]] = {m.id: [] for m in self.subscriptions}
        for c in lines:
            by_subscription[c["subscription_id"]].append(
                (
                    c["kind"],
                    c["product_id"],
                    c["quantity"],
                    c["amount"]["minor"],
                    c["period_start"],
                    c["period_end"],
                )
            )
        assert by_subscription == {m.id: m.charges for m in self.subscriptions}

    def teardown(self) -> None:
        """Cancel what this example bought: the examples share one store and one scheduler,
        and a later example's ticks should not carry every earlier subscription along."""
        for model in self.subscriptions:
            command(self.api, self.admin, model.id, "cancel", {})  # 409 when it has ended

    # ---------------------------------------------------------------------- helpers

    def _move_to(self, day: date, run_scheduler: bool) -> None:
        self.today = max(day, self.today + timedelta(days=1))
        instant = utc(self.today.year, self.today.month, self.today.day)
        if not run_scheduler:
            self.clock.set(instant)
            return
        tick(self.container, self.clock, instant)
        for model in self.subscriptions:
            model.advance(self.today, self.plan_of)
        self.position = head(self.container)

    def _caught_up(self, which: int) -> Model:
        """A copy of the subscription brought up to today, as the command will see it."""
        model = copy.deepcopy(self.subscriptions[which % len(self.subscriptions)])
        self._plans_before = dict(self.plan_of)
        model.advance(self.today, self.plan_of)
        return model

    def _full_lines(self) -> list[tuple[Model, Line]]:
        return [(m, li) for m in self.subscriptions for li in m.lines.values() if li.free == 0]

    def _second_plans(self) -> list[tuple[Model, Line, str]]:
        """(subscription, plan line with a free seat, member holding another plan)."""
        return [
            (m, line, member)
            for m in self.subscriptions
            for line in m.lines.values()
            if line.product.kind == "plan" and line.free > 0
            for member in self.plan_of
            if member not in line.holders
        ]

    def _refused_assignment(self, model: Model, line: Line, member_id: str) -> None:
        """Refused (409) whatever the catch-up brings, and nothing written."""
        body = {"member_id": member_id, "product_id": line.product.id}
        self._plans_before = self.plan_of
        self._refused(self._post(model, "licences", body), 409)

    def _held(self) -> list[tuple[int, str, str]]:
        """(subscription index, product, member) of every licence held."""
        return [
            (i, product_id, member)
            for i, m in enumerate(self.subscriptions)
            for product_id, line in m.lines.items()
            for member in line.holders
        ]

    def _line(self, model: Model, pick: int) -> Line:
        return list(model.lines.values())[pick % len(model.lines)]

    def _post(self, model: Model, tail: str, body: dict[str, Any]) -> httpx.Response:
        self._head_before = head(self.container)
        return command(self.api, self.admin, model.id, tail, body)

    def _refused(self, response: httpx.Response, status: int) -> None:
        assert_problem(response, status)
        assert head(self.container) == self._head_before, "a refused request wrote something"
        self.plan_of = self._plans_before  # the catch-up was not recorded either

    def _written(self, response: httpx.Response, model: Model) -> None:
        """The command was recorded, with its catch-up: the model takes both."""
        assert response.status_code in (200, 201), response.text
        body = response.json()
        for i, known in enumerate(self.subscriptions):
            if known.id == model.id:
                self.subscriptions[i] = model
        shown = {li["product_id"]: li for li in body["lines"]}
        for product_id, line in model.lines.items():
            assert (
                shown[product_id]["seats"],
                sorted(shown[product_id]["holders"]),
                shown[product_id]["pending_removal"],
                shown[product_id]["free"],
            ) == (line.seats, sorted(line.holders), line.pending_removal, line.free), body
        self.position = position(response)


def test_seats_are_never_oversold_and_charges_are_what_was_sold(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    operator = issue_token(container, Role.OPERATOR)
    products = [
        Product(
            add_product(api, operator, code, name, kind, {"SEK": price}),
            kind,
            int(Fraction(price) * 100),
        )
        for code, name, kind, price in CATALOG
    ]
    run_state_machine_as_test(
        lambda: SeatsMachine(api, container, clock, operator, products),
        settings=MACHINE_SETTINGS,
    )
