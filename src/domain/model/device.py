"""Device: a piece of hardware a company leases, rents or bought (SPEC §2).

Three modules: here the commands, which check the rules and record facts (the time rules
too, given `now`: `apply_due_rules`); `device_events`
the facts and what each keeps (applied on every replay, so they never raise);
`device_lifecycle` how each fact moves the status, phase and end-of-lease flags, and when a
device is in the lease flow or ready to release — declared once, for the aggregate and the
hardware overview's SQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Unpack
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model import bounds
from domain.model import device_events as facts
from domain.model.buyout_price import BuyoutTerms, device_quote
from domain.model.device_events import DeviceEvent, NewDevice
from domain.model.device_lifecycle import (
    IN_LEASE_FLOW,
    RELEASABLE,
    TERMINAL_STATUSES,
    ContractType,
    DeviceStatus,
    holds,
    offboarding_due,
    registered,
    replacement_unmet,
)
from domain.model.due import SCHEDULER, Rule, next_due
from domain.model.end_of_lease import Choice, Phase, Windows, windows
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.text import clean_text
from domain.model.time import TimeZoneName

__all__ = [
    "TERMINAL_STATUSES",
    "ContractType",
    "Device",
    "DeviceEvent",
    "DeviceStatus",
    "NewDevice",
    "normalise_category",
    "normalise_serial",
]


def normalise_serial(serial: str) -> str:
    cleaned = clean_text(serial, "serial number")
    if not cleaned:
        raise InvalidValue("A serial number cannot be blank.")
    return cleaned


def normalise_category(category: str) -> str:
    cleaned = clean_text(category, "category").lower()
    if not cleaned:
        raise InvalidValue("A device needs a category (e.g. laptop, phone).")
    return cleaned


class Device(Aggregate):
    # v2: every attribute is set at registration; older snapshots are filled in on load.
    class_version = 2
    upcast_v1_v2 = staticmethod(facts.upcast_v1_v2)

    # The facts a device records: their fields, and what each keeps, are in device_events.
    # Nested here, each is stored as `domain.model.device:Device.<Name>` (ADR 0003).
    class Registered(facts.Registered): ...

    class Assigned(facts.Assigned): ...

    class Unassigned(facts.Unassigned): ...

    class EndOfLeaseOpened(facts.EndOfLeaseOpened): ...

    class PreliminaryChoiceMade(facts.PreliminaryChoiceMade): ...

    class FinalDecisionRequested(facts.FinalDecisionRequested): ...

    class ReturnChosen(facts.ReturnChosen): ...

    class BuyoutCheckoutStarted(facts.BuyoutCheckoutStarted): ...

    class BuyoutCheckoutFailed(facts.BuyoutCheckoutFailed): ...

    class BuyoutPaid(facts.BuyoutPaid): ...

    class BuyoutPaymentRejected(facts.BuyoutPaymentRejected): ...

    class MarkedOverdue(facts.MarkedOverdue): ...

    class ReplacementLinked(facts.ReplacementLinked): ...

    class DeliveryReported(facts.DeliveryReported): ...

    class MarkedReceived(facts.MarkedReceived): ...

    class SerialRecorded(facts.SerialRecorded): ...

    class Released(facts.Released): ...

    class ReturnConfirmed(facts.ReturnConfirmed): ...

    class Removed(facts.Removed): ...

    class RmaSwapped(facts.RmaSwapped): ...

    class RentalDeactivated(facts.RentalDeactivated): ...

    class BuyoutPriceSet(facts.BuyoutPriceSet): ...

    class BuyoutAvailabilitySet(facts.BuyoutAvailabilitySet): ...

    @classmethod
    def register(
        cls,
        *,
        device_id: UUID,
        company_id: UUID,
        replacement_for: UUID | None = None,
        cause: Cause,
        **new: Unpack[NewDevice],
    ) -> Device:
        """A replacement may be registered before its serial is known (ordered, not yet
        delivered): its serial is then "" until recorded, and it awaits receipt."""
        serial, model = new["serial"], clean_text(new["model"], "model")
        lease_start, renewal_date = new["lease_start"], new["renewal_date"]
        if not model:
            raise InvalidValue("A device needs a model.")
        if new["company_cost"].minor < 0:
            raise InvalidValue("The company cost cannot be negative.")
        bounds.optional_date(lease_start, "The lease start")
        bounds.optional_date(renewal_date, "The renewal date")
        if new["contract_type"] == ContractType.LEASED:
            if lease_start is None or renewal_date is None:
                raise InvalidValue("A leased device needs a lease start and a renewal date.")
            if renewal_date <= lease_start:
                raise InvalidValue("The renewal date must come after the lease start.")
        elif renewal_date is not None:
            raise InvalidValue("Only leased devices have a renewal date.")
        normalised = {
            **new,
            "serial": normalise_serial(serial) if serial.strip() or replacement_for is None else "",
            "model": model,
            "category": normalise_category(new["category"]),
        }
        return cls._create(
            cls.Registered,
            id=device_id,
            replacement_for=replacement_for,
            **normalised,
            **cause.stamp(company_id),
        )

    @event(Registered)
    def __init__(
        self,
        *,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
        replacement_for: UUID | None,
        at: datetime,
        company_id: UUID | None,
    ) -> None:
        assert company_id is not None  # every device belongs to a company
        self.company_id: UUID = company_id
        self.serial = serial
        self.model = model
        self.category = category
        self.company_cost = company_cost
        self.contract_type = ContractType(contract_type)
        self.lease_start = lease_start
        self.renewal_date = renewal_date
        self.replacement_for = replacement_for
        self.registered_at = at
        # status, phase, received, final_decision, overdue: as the lifecycle starts a device
        self.status: DeviceStatus
        self.phase: Phase
        self.received: bool
        self.final_decision: Choice | None
        self.overdue: bool
        vars(self).update(registered(replacement=replacement_for is not None))
        self.assignee_id: UUID | None = None
        self.delivered = False
        self.replacement_id: UUID | None = None
        self.preliminary_choice: Choice | None = None
        self.checkout_attempts = 0
        self.checkout_session_id: str | None = None
        self.checkout_amount: Money | None = None
        self.checkout_url: str | None = None
        self.checkout_expires_at: datetime | None = None
        self.paid_amount: Money | None = None
        self.paid_session_id: str | None = None
        self.buyer_id: UUID | None = None
        self.manual_price: Money | None = None
        self.manual_price_set_at: datetime | None = None
        self.buyout_available = True
        self.rental_active = contract_type == ContractType.RENTAL

    def _record(self, event_class: type[DeviceEvent], cause: Cause, **fields: Any) -> None:
        self.trigger_event(event_class, **fields, **cause.stamp(self.company_id))

    def assign(self, member_id: UUID, *, cause: Cause) -> None:
        self._refuse_if_terminal("assign")
        if self.assignee_id == member_id:
            raise RuleViolation("The device is already assigned to this member.")
        if self.assignee_id is not None:
            raise RuleViolation("The device is assigned to someone else: unassign it first.")
        self._record(self.Assigned, cause, member_id=member_id)

    def unassign(self, *, cause: Cause) -> None:
        self._refuse_if_terminal("unassign")
        if self.assignee_id is None:
            raise RuleViolation("The device is not assigned to anyone.")
        self._record(self.Unassigned, cause, member_id=self.assignee_id)

    def _refuse_if_terminal(self, action: str) -> None:
        if self.status in TERMINAL_STATUSES:
            raise RuleViolation(f"Cannot {action} a device whose status is '{self.status}'.")

    # ------------------------------------------------------------ end of lease

    def windows(self, tz: TimeZoneName) -> Windows | None:
        """The end-of-lease windows in the company's zone; None unless leased."""
        leased = self.contract_type == ContractType.LEASED
        return windows(self.renewal_date, tz) if leased and self.renewal_date else None

    def apply_due_rules(self, now: datetime, terms: BuyoutTerms) -> None:
        """Every time rule due by `now`, in the order `due.next_due` names them (as the due
        read model does): the scheduler's tick, and each end-of-lease command first. A rule
        is done once its fact is recorded, so running this again records nothing."""
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"schedule-{self.id}")
        w = self.windows(terms.time_zone)
        while w is not None and (due := next_due(self, terms.time_zone)) and due.at <= now:
            version = self.version
            self._apply_due_rule(due.rule, w, terms, cause)
            if self.version == version:
                return  # not reached while each rule records its fact; never loop on one

    def _apply_due_rule(self, rule: Rule, w: Windows, terms: BuyoutTerms, cause: Cause) -> None:
        if rule == Rule.LEASE_OPTIONS:
            self.open_end_of_lease(w, cause=cause)
        elif rule == Rule.LEASE_FINAL:
            quote = device_quote(self, terms, cause.at)
            price, source = (quote.amount, quote.source) if quote else (None, None)
            self.request_final_decision(price, source, w, cause=cause)
        elif rule == Rule.CHECKOUT_LAPSE and self.checkout_session_id:
            self.checkout_did_not_complete(self.checkout_session_id, "expired", cause=cause)
        elif rule == Rule.LEASE_OVERDUE:
            self.mark_overdue(w.renewal_date, cause=cause)

    def open_end_of_lease(self, w: Windows, *, cause: Cause) -> None:
        """Scheduler, from R − 3 months: options and price become visible."""
        if not holds(IN_LEASE_FLOW, self) or self.phase != Phase.NONE:
            return
        self._record(
            self.EndOfLeaseOpened,
            cause,
            renewal_date=w.renewal_date,
            options_from=w.options_from,
            final_from=w.final_from,
        )

    def choose_preliminary(self, choice: Choice | None, w: Windows | None, *, cause: Cause) -> None:
        """The employee's plan, for IT: changeable until R − 1 month, never binding."""
        if w is None:  # not leased: no windows
            raise RuleViolation("Only leased devices have an end-of-lease choice.")
        self._refuse_unless_open("make a preliminary choice")
        if cause.at >= w.final_from:
            raise RuleViolation(
                "The preliminary choice closed at R − 1 month; make the final decision instead."
            )
        if cause.at < w.options_from:
            raise RuleViolation("End-of-lease options open three months before the renewal date.")
        if choice != self.preliminary_choice:
            self._record(
                self.PreliminaryChoiceMade, cause, choice=choice, previous=self.preliminary_choice
            )

    def request_final_decision(
        self, price: Money | None, price_source: str | None, w: Windows, *, cause: Cause
    ) -> None:
        """Scheduler, at R − 1 month: email the employee to decide (the outbox sends it)."""
        if not holds(IN_LEASE_FLOW, self) or self.phase not in (Phase.NONE, Phase.PRELIMINARY):
            return
        if self.phase == Phase.NONE:
            self.open_end_of_lease(w, cause=cause)
        self._record(
            self.FinalDecisionRequested,
            cause,
            member_id=self.assignee_id,  # the lease flow requires an assignee
            deadline=w.renewal_date,
            price=price,
            price_source=price_source,
        )

    def choose_return(self, *, cause: Cause) -> None:
        """Final at once (SPEC §2.2 step 2)."""
        self._refuse_unless_final("choose to return the device")
        self._record(self.ReturnChosen, cause, member_id=self.assignee_id)

    def ensure_buyout_can_start(self) -> None:
        """Refuse before anything is asked of the payment provider."""
        self._refuse_unless_final("buy out the device")

    def start_buyout(
        self,
        *,
        session_id: str,
        url: str,
        amount: Money,
        price_source: str,
        expires_at: datetime,
        cause: Cause,
    ) -> None:
        """A Stripe Checkout is open for the price at this moment, frozen in the event."""
        self._refuse_unless_final("buy out the device")
        self._record(
            self.BuyoutCheckoutStarted,
            cause,
            attempt=self.checkout_attempts + 1,
            session_id=session_id,
            url=url,
            amount=amount,
            price_source=price_source,
            expires_at=expires_at,
        )

    def checkout_did_not_complete(self, session_id: str, reason: str, *, cause: Cause) -> bool:
        """Failed, cancelled or expired: back to the options, and the employee may retry.
        An outcome for a session that is not the open one changes nothing (out of order)."""
        if self.phase != Phase.CHECKOUT_OPEN or session_id != self.checkout_session_id:
            return False
        self._record(self.BuyoutCheckoutFailed, cause, session_id=session_id, reason=reason)
        return True

    def record_payment(
        self, session_id: str, payment_id: str | None, amount: Money | None, *, cause: Cause
    ) -> str:
        """A payment arrived. Paid once → the decision is final; never regresses after that.
        Returns what happened: paid | already_paid | rejected."""
        if self.paid_session_id is not None:
            if session_id == self.paid_session_id:
                return "already_paid"
            reason = "a second payment for a device already bought"
        elif session_id != self.checkout_session_id:
            reason = "payment for a checkout that is not the open one"
        elif amount is None or amount != self.checkout_amount:
            reason = f"amount {amount} does not match the frozen price {self.checkout_amount}"
        else:
            self._record(
                self.BuyoutPaid,
                cause,
                session_id=session_id,
                payment_id=payment_id,
                amount=amount,
                paid_at=cause.at,
            )
            return "paid"
        self._record(
            self.BuyoutPaymentRejected,
            cause,
            session_id=session_id,
            payment_id=payment_id,
            amount=amount,
            reason=reason,
        )
        return "rejected"

    def mark_overdue(self, renewal_date: date, *, cause: Cause) -> None:
        """Scheduler, at R: no final decision — the device stays active, flagged overdue."""
        if not holds(IN_LEASE_FLOW, self) or self.overdue or self.final_decision is not None:
            return
        if self.phase == Phase.CHECKOUT_OPEN:
            return  # a payment is under way: let it finish
        self._record(self.MarkedOverdue, cause, renewal_date=renewal_date)

    def _refuse_unless_open(self, action: str) -> None:
        if self.status != DeviceStatus.ACTIVE or self.contract_type != ContractType.LEASED:
            raise RuleViolation(f"Cannot {action}: only an active leased device has one.")
        if self.final_decision is not None:
            raise RuleViolation(f"Cannot {action}: the final decision is made.")
        if self.phase == Phase.NONE:
            raise RuleViolation(
                f"Cannot {action} yet: options open three months before the renewal date."
            )

    def _refuse_unless_final(self, action: str) -> None:
        self._refuse_unless_open(action)
        if self.phase == Phase.CHECKOUT_OPEN:
            raise RuleViolation(f"Cannot {action}: a buyout payment is under way.")
        if self.phase != Phase.FINAL:
            raise RuleViolation(
                f"Cannot {action} yet: the final decision opens one month before the renewal date."
            )

    # ----------------------------------------- replacement, receipt, release, return

    def link_replacement(self, replacement_id: UUID, *, cause: Cause) -> None:
        if self.replacement_id is not None:
            raise RuleViolation("The device already has a linked replacement.")
        self._record(self.ReplacementLinked, cause, replacement_id=replacement_id)

    def report_delivered(self, *, auto_mark_received: bool, cause: Cause) -> None:
        if self.received:
            raise RuleViolation("The device is already received.")
        if not self.delivered:
            self._record(self.DeliveryReported, cause)
        if auto_mark_received:
            self._record(self.MarkedReceived, cause, method="auto")

    def mark_received(self, *, cause: Cause) -> None:
        if self.received:
            raise RuleViolation("The device is already marked received.")
        self._record(self.MarkedReceived, cause, method="manual")

    def record_serial(self, serial: str, *, cause: Cause) -> None:
        cleaned = normalise_serial(serial)
        if self.serial:
            raise RuleViolation("The device already has a serial number.")
        self._record(self.SerialRecorded, cause, serial=cleaned)

    def release(
        self,
        *,
        replacement: Device | None,
        offboarding_release_from: datetime | None,
        cause: Cause,
    ) -> None:
        """Deregister a bought device when its release criteria hold (SPEC §2.2 steps 5, 7)."""
        if not holds(RELEASABLE, self):
            raise RuleViolation("Only a device bought by its employee can be released.")
        if offboarding_due(offboarding_release_from, cause.at):
            reason = "offboarding"
        else:
            unmet = self.unmet_release_criteria(replacement)
            if unmet:
                raise RuleViolation("Cannot release the device yet: " + "; ".join(unmet) + ".")
            reason = "replacement_received"
        self._record(self.Released, cause, member_id=self.buyer_id, reason=reason)

    def unmet_release_criteria(self, replacement: Device | None) -> list[str]:
        paid = [] if self.paid_amount is not None else ["the buyout is not paid"]
        return paid + replacement_unmet(replacement)

    def confirm_return(self, *, replacement: Device | None, cause: Cause) -> None:
        if self.status != DeviceStatus.ACTIVE_PENDING_RETURN:
            raise RuleViolation("Only a device whose employee chose to return it can be returned.")
        if replacement is None or not replacement.received:
            raise RuleViolation("Confirm the return once the replacement is received.")
        self._record(self.ReturnConfirmed, cause)

    def remove(self, *, cause: Cause) -> None:
        if self.status != DeviceStatus.RETURNED:
            raise RuleViolation("Only a returned device can be removed.")
        self._record(self.Removed, cause)

    # -------------------------------------------------------------------- rentals

    def swap_rental(self, replacement_id: UUID, *, cause: Cause) -> None:
        """RMA: the replacement takes over the rental without a gap or a double charge."""
        if self.contract_type != ContractType.RENTAL or not self.rental_active:
            raise RuleViolation("Only an active rental device can be swapped.")
        self._record(self.RmaSwapped, cause, replacement_id=replacement_id)

    def deactivate_rental(self, *, cause: Cause) -> None:
        if self.contract_type != ContractType.RENTAL or not self.rental_active:
            raise RuleViolation("The device has no active rental.")
        self._record(self.RentalDeactivated, cause)

    # ------------------------------------------------------------ price inputs

    def set_buyout_price(self, amount: Money | None, *, source: str, cause: Cause) -> None:
        if amount is not None:
            if amount.currency != self.company_cost.currency:
                raise InvalidValue(f"The price must be in {self.company_cost.currency}.")
            if not amount.is_positive:
                raise InvalidValue("A buyout price must be positive.")
        self._record(self.BuyoutPriceSet, cause, amount=amount, source=source)

    def set_buyout_availability(self, available: bool, *, cause: Cause) -> None:
        if available != self.buyout_available:
            self._record(self.BuyoutAvailabilitySet, cause, available=available)
