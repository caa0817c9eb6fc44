"""Subscription: seats of catalog products over a term, with renewals and licences (SPEC §3).

The subscription charges in advance: a prepaid term in full at its start, a monthly term
each month. `advance(today, …)` is the only way time moves it: it charges what is due, then
renews, converts or ends at the term's end — each period once, whatever how often it runs,
so a backdated start charges its first term (or each past month) exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model import bounds
from domain.model import purchase_quote as confirmation
from domain.model import subscription_catch_up as catch_up
from domain.model.due import Rule, subscription_next_due
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term, after_term, term_end
from domain.model.subscription_lines import (
    ChargeLine,
    SeatLine,
    added_seats_charge,
    checked_lines,
    clean_po_reference,
    repriced,
    term_charges,
)
from domain.model.time import add_months

__all__ = ["ENDED", "ChargeLine", "SeatLine", "Subscription", "SubscriptionStatus"]


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # starts in the future
    ACTIVE = "active"
    EXPIRED = "expired"  # ended at term end without renewal
    CANCELLED = "cancelled"  # ended at term end after a cancellation


ENDED = (SubscriptionStatus.EXPIRED, SubscriptionStatus.CANCELLED)


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

    class TermCharged(catch_up.PeriodCharged):
        class_version = 1  # its fields: subscription_catch_up.PeriodCharged

    class PastTermsCharged(catch_up.PastTermsCharged): ...  # its fields: subscription_catch_up

    class PurchaseConfirmed(confirmation.PurchaseConfirmed): ...  # fields: purchase_quote

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
        return cls._create(
            cls.Created,
            id=subscription_id,
            lines=checked_lines(lines),
            start_date=bounds.business_date(start_date, "The start date"),
            term=term,
            term_end=term_end(start_date, term),
            po_reference=clean_po_reference(po_reference),
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
        company_id: UUID,  # every subscription belongs to a company
    ) -> None:
        self.company_id = company_id
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
        """Charge every period due by `today`, then renew, convert or end at the term's end:
        on the days `due.subscription_next_due` names (the due read model's own rule).
        `list_prices` are the catalog prices in force now (per seat per month, in the
        subscription's currency), used when a renewal re-prices the seats.
        """
        while not self.is_ended:
            rule, day = subscription_next_due(self.charged_through, self.term_start, self.term_end)
            if day > today:
                return
            if rule == Rule.SUBSCRIPTION_CHARGE:
                self._apply_pending_removals(cause)
                self._record(
                    self.TermCharged,
                    cause,
                    period_start=self.term_start,
                    period_end=self.term_end,
                    charges=term_charges(
                        self.lines.values(), self.term, self.term_start, self.term_end
                    ),
                    po_reference=self.po_reference,
                    separate_invoice=self.separate_invoice,
                )
            else:
                self._at_term_end(list_prices, cause)

    def _at_term_end(self, list_prices: Mapping[UUID, Money], cause: Cause) -> None:
        start = self.term_end
        months = self.months_to_term_start + self.term.months  # from the start date
        following = after_term(self.term, self.renewal_option)
        if self.cancel_at_term_end:
            self._record(self.Ended, cause, on=start, status=SubscriptionStatus.CANCELLED)
        elif following is None:
            self._record(self.Ended, cause, on=start, status=SubscriptionStatus.EXPIRED)
        elif following[0] != self.term:  # a prepaid term continues as monthly licences
            self._record(
                self.ConvertedToMonthly,
                cause,
                term_start=start,
                term_end=self._anniversary(months + following[0].months),
                lines=repriced(self.lines.values(), list_prices),
            )
        else:  # a prepaid term renews at the list prices then in force; monthly ones as they are
            self._record(
                self.Renewed,
                cause,
                term=self.term,
                term_start=start,
                term_end=self._anniversary(months + self.term.months),
                lines=repriced(self.lines.values(), list_prices)
                if self.term.is_prepaid
                else list(self.lines.values()),
                renewal_option=following[1],
            )

    def _apply_pending_removals(self, cause: Cause) -> None:
        for product, seats in sorted(self.pending_removals.items()):
            self._record(
                self.SeatsRemoved,
                cause,
                product_id=UUID(product),
                seats=seats,
                effective_from=self.term_start,
            )

    # ------------------------------------------------------------- commands

    def charge_past_terms(self, today: date, cause: Cause) -> None:
        """A new subscription's terms over by `today`, charged as one catch-up (ADR 0014)."""
        fields = catch_up.past_terms_charge(self, today)
        if fields is not None:
            self._record(self.PastTermsCharged, cause, **fields)

    def add_seats(
        self, product_id: UUID, seats: int, *, unit_price: Money, today: date, cause: Cause
    ) -> None:
        """Pro rata for the days left in the current term (monthly: the current month)."""
        self._refuse_if_ended("add seats to")
        line = self.line(product_id)
        bounds.seats(seats, "The seats to add")
        bounds.seats(line.seats + seats, f"The seats of {line.product_name} with those added")
        if unit_price.currency != line.unit_price.currency:
            raise InvalidValue(f"The price must be in {line.unit_price.currency}.")
        started = self.charged_through > self.term_start  # the current term is charged
        days_in_term = (self.term_end - self.term_start).days
        days_remaining = (self.term_end - max(today, self.term_start)).days if started else 0
        charge = self.charge_for_added_seats(line, seats, unit_price, today)
        self._record(
            self.SeatsAdded,
            cause,
            product_id=line.product_id,
            seats=seats,
            unit_price=unit_price,
            on=today,
            days_remaining=days_remaining,
            days_in_term=days_in_term,
            charge=charge,
            po_reference=self.po_reference,
            separate_invoice=self.separate_invoice,
        )

    def charge_for_added_seats(
        self, line: SeatLine, seats: int, unit_price: Money, today: date
    ) -> ChargeLine | None:
        """What adding `seats` to `line` today charges: pro rata for the rest of the current
        term once it is charged; None before (the first term's charge, to come, covers them)."""
        if self.charged_through <= self.term_start:
            return None
        return added_seats_charge(
            line,
            seats,
            unit_price,
            self.term,
            term_start=self.term_start,
            term_end=self.term_end,
            on=today,
        )

    def remove_seats(self, product_id: UUID, seats: int, *, cause: Cause) -> None:
        """Monthly subscriptions only, from the next period, never below the seats assigned."""
        self._refuse_if_ended("remove seats from")
        if self.term.is_prepaid:
            raise RuleViolation("Seats of a prepaid term cannot be removed; only monthly ones.")
        bounds.seats(seats, "The seats to remove")
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
        self._record(
            self.SeatRemovalScheduled,
            cause,
            product_id=line.product_id,
            seats=seats,
            effective_from=next_period,
        )

    def change_po_reference(self, po_reference: str | None, *, cause: Cause) -> None:
        """Applies to the next charge; charges already made keep the reference they had."""
        self._refuse_if_ended("change the PO reference of")
        cleaned = clean_po_reference(po_reference)
        if cleaned != self.po_reference:
            self._record(self.PoReferenceChanged, cause, po_reference=cleaned)

    def change_renewal_option(self, option: RenewalOption, *, cause: Cause) -> None:
        self._refuse_if_ended("change the renewal of")
        if option != self.renewal_option:
            self._record(self.RenewalOptionChanged, cause, renewal_option=option)

    def cancel_at_end(self, *, cause: Cause) -> None:
        self._refuse_if_ended("cancel")
        if self.cancel_at_term_end:
            raise RuleViolation("The subscription is already cancelled at its term end.")
        self._record(self.CancellationScheduled, cause, effective_from=self.term_end)

    def assign_licence(self, member_id: UUID, product_id: UUID, *, cause: Cause) -> None:
        self._refuse_if_ended("assign licences of")
        line = self.line(product_id)
        if str(member_id) in self.holders.get(str(product_id), []):
            raise RuleViolation(f"The member already holds a {line.product_name} licence here.")
        if self.free_seats(product_id) < 1:
            raise RuleViolation(f"No free seat of {line.product_name}: add seats first.")
        self._record(self.LicenceAssigned, cause, member_id=member_id, product_id=product_id)

    def unassign_licence(self, member_id: UUID, product_id: UUID, *, cause: Cause) -> None:
        if str(member_id) not in self.holders.get(str(product_id), []):
            raise RuleViolation("The member holds no such licence on this subscription.")
        self._record(self.LicenceUnassigned, cause, member_id=member_id, product_id=product_id)

    def _record(self, event_class: type[LessorEvent], cause: Cause, **fields: Any) -> None:
        """Trigger one of the subscription's events, stamped with the cause (ADR 0012)."""
        self.trigger_event(event_class, **fields, **cause.stamp(self.company_id))

    def _refuse_if_ended(self, action: str) -> None:
        if self.is_ended:
            raise RuleViolation(f"Cannot {action} a subscription that has {self.status}.")

    # ------------------------------------------------------------ mutators

    @event(TermCharged)
    def _term_charged(self, *, period_end: date) -> None:
        self.charged_through = period_end
        self.status = SubscriptionStatus.ACTIVE

    @event(SeatsAdded)
    def _seats_added(self, *, product_id: UUID, seats: int) -> None:
        line = self.lines[str(product_id)]
        self.lines[str(product_id)] = replace(line, seats=line.seats + seats)

    @event(SeatRemovalScheduled)
    def _seat_removal_scheduled(self, *, product_id: UUID, seats: int) -> None:
        key = str(product_id)
        self.pending_removals[key] = self.pending_removals.get(key, 0) + seats

    @event(SeatsRemoved)
    def _seats_removed(self, *, product_id: UUID, seats: int) -> None:
        key = str(product_id)
        self.lines[key] = replace(self.lines[key], seats=self.lines[key].seats - seats)
        self.pending_removals.pop(key, None)

    @event(PoReferenceChanged)
    def _po_reference_changed(self, *, po_reference: str | None) -> None:
        self.po_reference = po_reference

    @event(RenewalOptionChanged)
    def _renewal_option_changed(self, *, renewal_option: RenewalOption) -> None:
        self.renewal_option = RenewalOption(renewal_option)

    @event(CancellationScheduled)
    def _cancellation_scheduled(self) -> None:
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
    ) -> None:
        self._next_term(term, term_start, term_end, lines)
        self.renewal_option = RenewalOption(renewal_option)

    @event(ConvertedToMonthly)
    def _converted_to_monthly(
        self, *, term_start: date, term_end: date, lines: list[SeatLine]
    ) -> None:
        self._next_term(Term.MONTHLY, term_start, term_end, lines)

    def _next_term(self, term: Term, start: date, end: date, lines: list[SeatLine]) -> None:
        self.months_to_term_start += self.term.months
        self.term_code = str(term)
        self.term_start, self.term_end = start, end
        self.lines = {str(line.product_id): line for line in lines}

    @event(Ended)
    def _ended(self, *, status: SubscriptionStatus) -> None:
        self.status = SubscriptionStatus(status)
        self.holders = {}  # licences end with the subscription

    @event(LicenceAssigned)
    def _licence_assigned(self, *, member_id: UUID, product_id: UUID) -> None:
        self.holders.setdefault(str(product_id), []).append(str(member_id))

    @event(LicenceUnassigned)
    def _licence_unassigned(self, *, member_id: UUID, product_id: UUID) -> None:
        self.holders[str(product_id)].remove(str(member_id))
