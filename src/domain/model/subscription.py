"""Subscription: seats of catalog products over a term, with renewals and licences (SPEC §3).

The subscription charges in advance: a prepaid term in full at its start, a monthly term
each month. `advance(today, …)` is the only way time moves it: it charges what is due, then
renews, converts or ends at the term's end — each period once, whatever how often it runs,
so a backdated start charges its first term (or each past month) exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Actor
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term, prorated_price, term_end, term_price
from domain.model.product import ProductKind
from domain.model.time import add_months


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # starts in the future
    ACTIVE = "active"
    EXPIRED = "expired"  # ended at term end without renewal
    CANCELLED = "cancelled"  # ended at term end after a cancellation


ENDED = (SubscriptionStatus.EXPIRED, SubscriptionStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class SeatLine:
    """Seats of one product, at the price of the latest sale or renewal."""

    product_id: UUID
    product_name: str
    kind: ProductKind
    seats: int
    unit_price: Money  # per seat per month


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """A chargeable fact the invoice run collects: what, how many, at what price, for when."""

    kind: str  # "term" | "monthly" | "seats"
    product_id: UUID
    description: str
    quantity: int
    unit_price: Money  # per seat per month
    months: int
    discount: Decimal
    amount: Money
    period_start: date
    period_end: date


def _term_lines(
    lines: Mapping[str, SeatLine], term: Term, start: date, end: date
) -> list[ChargeLine]:
    kind = "term" if term.is_prepaid else "monthly"
    label = "monthly licence" if kind == "monthly" else f"{term.value} prepaid term"
    return [
        ChargeLine(
            kind=kind,
            product_id=line.product_id,
            description=f"{line.product_name} – {label} {start.isoformat()}–{end.isoformat()}",
            quantity=line.seats,
            unit_price=line.unit_price,
            months=term.months,
            discount=term.discount,
            amount=term_price(line.unit_price, line.seats, term),
            period_start=start,
            period_end=end,
        )
        for line in lines.values()
        if line.seats > 0
    ]


class Subscription(Aggregate):
    class_version = 2  # 2: v1 snapshots may hold the term as `term` and no month count

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """The oldest snapshots kept the term as an enum attribute `term` (now a property
        over `term_code`) and did not count the months from the start date to the term."""
        if "term" in state:
            state["term_code"] = str(state.pop("term"))
        start, term_start = state["start_date"], state["term_start"]
        months = (term_start.year - start.year) * 12 + term_start.month - start.month
        state.setdefault("months_to_term_start", months)

    class Created(LessorCreated):
        class_version = 1
        lines: list[SeatLine]
        start_date: date
        term: Term
        term_end: date
        po_reference: str | None
        separate_invoice: bool
        renewal_option: RenewalOption

    class TermCharged(LessorEvent):
        class_version = 1
        period_start: date
        period_end: date
        charges: list[ChargeLine]
        po_reference: str | None
        separate_invoice: bool

    class SeatsAdded(LessorEvent):
        class_version = 1
        product_id: UUID
        seats: int
        unit_price: Money
        on: date
        days_remaining: int
        days_in_term: int
        charge: ChargeLine | None  # None before the first term was charged: its charge covers them
        po_reference: str | None
        separate_invoice: bool

    class SeatRemovalScheduled(LessorEvent):
        class_version = 1
        product_id: UUID
        seats: int
        effective_from: date

    class SeatsRemoved(LessorEvent):
        class_version = 1
        product_id: UUID
        seats: int
        effective_from: date

    class PoReferenceChanged(LessorEvent):
        class_version = 1
        po_reference: str | None

    class RenewalOptionChanged(LessorEvent):
        class_version = 1
        renewal_option: RenewalOption

    class CancellationScheduled(LessorEvent):
        class_version = 1
        effective_from: date

    class Renewed(LessorEvent):
        class_version = 1
        term: Term
        term_start: date
        term_end: date
        lines: list[SeatLine]  # at the list prices then in force
        renewal_option: RenewalOption  # `once` becomes `none` after its one renewal

    class ConvertedToMonthly(LessorEvent):
        class_version = 1
        term_start: date
        term_end: date
        lines: list[SeatLine]

    class Ended(LessorEvent):
        class_version = 1
        on: date
        status: SubscriptionStatus

    class LicenceAssigned(LessorEvent):
        class_version = 1
        member_id: UUID
        product_id: UUID

    class LicenceUnassigned(LessorEvent):
        class_version = 1
        member_id: UUID
        product_id: UUID

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        *,
        subscription_id: UUID,
        company_id: UUID,
        lines: list[SeatLine],
        start_date: date,
        term: Term,
        po_reference: str | None,
        separate_invoice: bool,
        renewal_option: RenewalOption,
        cause: Cause,
    ) -> Subscription:
        if not lines:
            raise InvalidValue("A subscription needs at least one product line.")
        if len({line.product_id for line in lines}) != len(lines):
            raise InvalidValue("Each product appears on one line only.")
        if any(line.seats < 1 for line in lines):
            raise InvalidValue("Each line needs at least one seat.")
        if len({line.unit_price.currency for line in lines}) != 1:
            raise InvalidValue("All lines of a subscription share one currency.")
        return cls._create(
            cls.Created,
            id=subscription_id,
            lines=lines,
            start_date=start_date,
            term=term,
            term_end=term_end(start_date, term),
            po_reference=_clean_po(po_reference),
            separate_invoice=separate_invoice,
            renewal_option=renewal_option,
            **cause.stamp(company_id),
        )

    @event(Created)
    def __init__(
        self,
        *,
        lines: list[SeatLine],
        start_date: date,
        term: Term,
        term_end: date,
        po_reference: str | None,
        separate_invoice: bool,
        renewal_option: RenewalOption,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        assert company_id is not None  # every subscription belongs to a company
        self.company_id: UUID = company_id
        self.lines: dict[str, SeatLine] = {str(line.product_id): line for line in lines}
        self.start_date = start_date
        self.term_code = str(term)  # a plain str: snapshots restore enums as their values
        self.months_to_term_start = 0  # billing dates are anniversaries of the start date
        self.term_start = start_date
        self.term_end = term_end
        self.po_reference = po_reference
        self.separate_invoice = separate_invoice
        self.renewal_option = RenewalOption(renewal_option)
        self.status = SubscriptionStatus.PENDING
        self.charged_through = start_date  # exclusive end of the latest charged period
        self.cancel_at_term_end = False
        self.pending_removals: dict[str, int] = {}
        self.holders: dict[str, list[str]] = {}  # product id → member ids

    # --------------------------------------------------------------- reading

    @property
    def term(self) -> Term:
        return Term(self.term_code)

    def _anniversary(self, months: int) -> date:
        """The start date plus `months`, clamped to month end: no drift after short months."""
        return add_months(self.start_date, months)

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @property
    def currency(self) -> str:
        return next(iter(self.lines.values())).unit_price.currency

    def line(self, product_id: UUID) -> SeatLine:
        try:
            return self.lines[str(product_id)]
        except KeyError:
            raise NotFound("That product is not on this subscription.") from None

    def assigned(self, product_id: UUID) -> int:
        return len(self.holders.get(str(product_id), []))

    def free_seats(self, product_id: UUID) -> int:
        line = self.line(product_id)
        usable = line.seats - self.pending_removals.get(str(product_id), 0)
        return max(usable - self.assigned(product_id), 0)

    def products_held_by(self, member_id: UUID) -> list[UUID]:
        return [UUID(p) for p, members in self.holders.items() if str(member_id) in members]

    # -------------------------------------------------------------- time moves

    def advance(self, today: date, list_prices: Mapping[UUID, Money], cause: Cause) -> None:
        """Charge every period due by `today`, then renew, convert or end at the term's end.

        `list_prices` are the catalog prices in force now (per seat per month, in the
        subscription's currency), used when a renewal re-prices the seats.
        """
        while not self.is_ended:
            if self.charged_through <= self.term_start and self.term_start <= today:
                self._apply_pending_removals(cause)
                self._term_charged(
                    period_start=self.term_start,
                    period_end=self.term_end,
                    charges=_term_lines(self.lines, self.term, self.term_start, self.term_end),
                    po_reference=self.po_reference,
                    separate_invoice=self.separate_invoice,
                    **cause.stamp(self.company_id),
                )
            elif self.term_end <= today:
                self._at_term_end(list_prices, cause)
            else:
                return

    def _at_term_end(self, list_prices: Mapping[UUID, Money], cause: Cause) -> None:
        stamp = cause.stamp(self.company_id)
        start = self.term_end
        months = self.months_to_term_start + self.term.months  # from the start date
        if self.cancel_at_term_end:
            self._ended(on=start, status=SubscriptionStatus.CANCELLED, **stamp)
        elif not self.term.is_prepaid:  # monthly licences continue month by month
            self._renewed(
                term=Term.MONTHLY,
                term_start=start,
                term_end=self._anniversary(months + 1),
                lines=list(self.lines.values()),
                renewal_option=self.renewal_option,
                **stamp,
            )
        elif self.renewal_option == RenewalOption.NONE:
            self._ended(on=start, status=SubscriptionStatus.EXPIRED, **stamp)
        elif self.renewal_option == RenewalOption.TO_MONTHLY:
            self._converted_to_monthly(
                term_start=start,
                term_end=self._anniversary(months + 1),
                lines=self._repriced(list_prices),
                **stamp,
            )
        else:
            after = (
                RenewalOption.NONE
                if self.renewal_option == RenewalOption.ONCE
                else RenewalOption.EVERY_TIME
            )
            self._renewed(
                term=self.term,
                term_start=start,
                term_end=self._anniversary(months + self.term.months),
                lines=self._repriced(list_prices),
                renewal_option=after,
                **stamp,
            )

    def _repriced(self, list_prices: Mapping[UUID, Money]) -> list[SeatLine]:
        lines = []
        for line in self.lines.values():
            price = list_prices.get(line.product_id, line.unit_price)
            if price.currency != line.unit_price.currency:
                raise InvalidValue(f"No {line.unit_price.currency} price for {line.product_name}.")
            lines.append(replace(line, unit_price=price))
        return lines

    def _apply_pending_removals(self, cause: Cause) -> None:
        for product, seats in sorted(self.pending_removals.items()):
            self._seats_removed(
                product_id=UUID(product),
                seats=seats,
                effective_from=self.term_start,
                **cause.stamp(self.company_id),
            )

    # ------------------------------------------------------------- commands

    def add_seats(
        self, product_id: UUID, seats: int, *, unit_price: Money, today: date, cause: Cause
    ) -> None:
        """Pro rata for the days left in the current term (monthly: the current month)."""
        self._refuse_if_ended("add seats to")
        line = self.line(product_id)
        if isinstance(seats, bool) or seats < 1:
            raise InvalidValue("Add at least one seat.")
        if unit_price.currency != line.unit_price.currency:
            raise InvalidValue(f"The price must be in {line.unit_price.currency}.")
        started = self.charged_through > self.term_start  # the current term is charged
        days_in_term = (self.term_end - self.term_start).days
        days_remaining = (self.term_end - max(today, self.term_start)).days if started else 0
        charge = None
        if started:
            amount = prorated_price(
                unit_price,
                seats,
                self.term,
                days_remaining=days_remaining,
                days_in_term=days_in_term,
            )
            charge = ChargeLine(
                kind="seats",
                product_id=line.product_id,
                description=(
                    f"{line.product_name} – {seats} added seat(s), {days_remaining}/"
                    f"{days_in_term} days of {self.term_start.isoformat()}–"
                    f"{self.term_end.isoformat()}"
                ),
                quantity=seats,
                unit_price=unit_price,
                months=self.term.months,
                discount=self.term.discount,
                amount=amount,
                period_start=max(today, self.term_start),
                period_end=self.term_end,
            )
        self._seats_added(
            product_id=line.product_id,
            seats=seats,
            unit_price=unit_price,
            on=today,
            days_remaining=days_remaining,
            days_in_term=days_in_term,
            charge=charge,
            po_reference=self.po_reference,
            separate_invoice=self.separate_invoice,
            **cause.stamp(self.company_id),
        )

    def remove_seats(self, product_id: UUID, seats: int, *, cause: Cause) -> None:
        """Monthly subscriptions only, from the next period, never below the seats assigned."""
        self._refuse_if_ended("remove seats from")
        if self.term.is_prepaid:
            raise RuleViolation("Seats of a prepaid term cannot be removed; only monthly ones.")
        if isinstance(seats, bool) or seats < 1:
            raise InvalidValue("Remove at least one seat.")
        line = self.line(product_id)
        already = self.pending_removals.get(str(product_id), 0)
        remaining = line.seats - already - seats
        if remaining < self.assigned(product_id):
            raise RuleViolation(
                f"Only {line.seats - already - self.assigned(product_id)} seat(s) of"
                f" {line.product_name} are unassigned; unassign licences first."
            )
        if remaining < 0:
            raise RuleViolation("Cannot remove more seats than the subscription has.")
        next_period = self.term_end if self.charged_through > self.term_start else self.term_start
        self._seat_removal_scheduled(
            product_id=line.product_id,
            seats=seats,
            effective_from=next_period,
            **cause.stamp(self.company_id),
        )

    def change_po_reference(self, po_reference: str | None, *, cause: Cause) -> None:
        """Applies to the next charge; charges already made keep the reference they had."""
        self._refuse_if_ended("change the PO reference of")
        cleaned = _clean_po(po_reference)
        if cleaned != self.po_reference:
            self._po_reference_changed(po_reference=cleaned, **cause.stamp(self.company_id))

    def change_renewal_option(self, option: RenewalOption, *, cause: Cause) -> None:
        self._refuse_if_ended("change the renewal of")
        if option != self.renewal_option:
            self._renewal_option_changed(renewal_option=option, **cause.stamp(self.company_id))

    def cancel_at_end(self, *, cause: Cause) -> None:
        self._refuse_if_ended("cancel")
        if self.cancel_at_term_end:
            raise RuleViolation("The subscription is already cancelled at its term end.")
        self._cancellation_scheduled(effective_from=self.term_end, **cause.stamp(self.company_id))

    def assign_licence(self, member_id: UUID, product_id: UUID, *, cause: Cause) -> None:
        self._refuse_if_ended("assign licences of")
        line = self.line(product_id)
        if str(member_id) in self.holders.get(str(product_id), []):
            raise RuleViolation(f"The member already holds a {line.product_name} licence here.")
        if self.free_seats(product_id) < 1:
            raise RuleViolation(f"No free seat of {line.product_name}: add seats first.")
        self._licence_assigned(
            member_id=member_id, product_id=product_id, **cause.stamp(self.company_id)
        )

    def unassign_licence(self, member_id: UUID, product_id: UUID, *, cause: Cause) -> None:
        if str(member_id) not in self.holders.get(str(product_id), []):
            raise RuleViolation("The member holds no such licence on this subscription.")
        self._licence_unassigned(
            member_id=member_id, product_id=product_id, **cause.stamp(self.company_id)
        )

    def _refuse_if_ended(self, action: str) -> None:
        if self.is_ended:
            raise RuleViolation(f"Cannot {action} a subscription that has {self.status}.")

    # ------------------------------------------------------------ mutators

    @event(TermCharged)
    def _term_charged(
        self,
        *,
        period_start: date,
        period_end: date,
        charges: list[ChargeLine],
        po_reference: str | None,
        separate_invoice: bool,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.charged_through = period_end
        self.status = SubscriptionStatus.ACTIVE

    @event(SeatsAdded)
    def _seats_added(
        self,
        *,
        product_id: UUID,
        seats: int,
        unit_price: Money,
        on: date,
        days_remaining: int,
        days_in_term: int,
        charge: ChargeLine | None,
        po_reference: str | None,
        separate_invoice: bool,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        line = self.lines[str(product_id)]
        self.lines[str(product_id)] = replace(line, seats=line.seats + seats)

    @event(SeatRemovalScheduled)
    def _seat_removal_scheduled(
        self,
        *,
        product_id: UUID,
        seats: int,
        effective_from: date,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        key = str(product_id)
        self.pending_removals[key] = self.pending_removals.get(key, 0) + seats

    @event(SeatsRemoved)
    def _seats_removed(
        self,
        *,
        product_id: UUID,
        seats: int,
        effective_from: date,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        key = str(product_id)
        self.lines[key] = replace(self.lines[key], seats=self.lines[key].seats - seats)
        self.pending_removals.pop(key, None)

    @event(PoReferenceChanged)
    def _po_reference_changed(
        self,
        *,
        po_reference: str | None,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.po_reference = po_reference

    @event(RenewalOptionChanged)
    def _renewal_option_changed(
        self,
        *,
        renewal_option: RenewalOption,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.renewal_option = RenewalOption(renewal_option)

    @event(CancellationScheduled)
    def _cancellation_scheduled(
        self,
        *,
        effective_from: date,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.cancel_at_term_end = True

    @event(Renewed)
    def _renewed(
        self,
        *,
        term: Term,
        term_start: date,
        term_end: date,
        lines: list[SeatLine],
        renewal_option: RenewalOption,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.months_to_term_start += self.term.months
        self.term_code = str(term)
        self.term_start, self.term_end = term_start, term_end
        self.lines = {str(line.product_id): line for line in lines}
        self.renewal_option = RenewalOption(renewal_option)

    @event(ConvertedToMonthly)
    def _converted_to_monthly(
        self,
        *,
        term_start: date,
        term_end: date,
        lines: list[SeatLine],
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.months_to_term_start += self.term.months
        self.term_code = str(Term.MONTHLY)
        self.term_start, self.term_end = term_start, term_end
        self.lines = {str(line.product_id): line for line in lines}

    @event(Ended)
    def _ended(
        self,
        *,
        on: date,
        status: SubscriptionStatus,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.status = SubscriptionStatus(status)
        self.holders = {}  # licences end with the subscription

    @event(LicenceAssigned)
    def _licence_assigned(
        self,
        *,
        member_id: UUID,
        product_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.holders.setdefault(str(product_id), []).append(str(member_id))

    @event(LicenceUnassigned)
    def _licence_unassigned(
        self,
        *,
        member_id: UUID,
        product_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.holders[str(product_id)].remove(str(member_id))


def _clean_po(po_reference: str | None) -> str | None:
    if po_reference is None or not po_reference.strip():
        return None
    if len(po_reference.strip()) > 100:
        raise InvalidValue("A PO reference has at most 100 characters.")
    return po_reference.strip()
