"""Device: a piece of hardware a company leases, rents or bought (SPEC §2).

This is the foundation slice: registration, assignment and the status field. The
end-of-lease flow (buyout, return, release) adds its events here later.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Actor
from domain.model.end_of_lease import Choice, Phase, Windows
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.money import Money


class ContractType(StrEnum):
    LEASED = "leased"
    PURCHASED = "purchased"
    RENTAL = "rental"


class DeviceStatus(StrEnum):
    IN_STOCK = "in_stock"
    ACTIVE = "active"
    ACTIVE_PENDING_RETURN = "active_pending_return"
    ACTIVE_BOUGHT_BY_EMPLOYEE = "active_bought_by_employee"
    BOUGHT_BY_EMPLOYEE = "bought_by_employee"
    RETURNED = "returned"
    REMOVED = "removed"
    RMA_PENDING = "rma_pending"


TERMINAL_STATUSES = (DeviceStatus.BOUGHT_BY_EMPLOYEE, DeviceStatus.REMOVED)


def normalise_serial(serial: str) -> str:
    cleaned = serial.strip()
    if not cleaned:
        raise InvalidValue("A serial number cannot be blank.")
    return cleaned


def normalise_category(category: str) -> str:
    cleaned = category.strip().lower()
    if not cleaned:
        raise InvalidValue("A device needs a category (e.g. laptop, phone).")
    return cleaned


class Device(Aggregate):
    class Registered(LessorCreated):
        serial: str
        model: str
        category: str
        company_cost: Money
        contract_type: ContractType
        lease_start: date | None
        renewal_date: date | None
        replacement_for: UUID | None

    class Assigned(LessorEvent):
        member_id: UUID

    class Unassigned(LessorEvent):
        member_id: UUID

    # --- end of lease (SPEC §2.2)
    class EndOfLeaseOpened(LessorEvent):
        renewal_date: date
        options_from: datetime
        final_from: datetime

    class PreliminaryChoiceMade(LessorEvent):
        choice: Choice | None
        previous: Choice | None

    class FinalDecisionRequested(LessorEvent):
        member_id: UUID  # who must decide: the assignee
        deadline: date  # the renewal date
        price: Money | None  # None: no buyout offered, only return
        price_source: str | None

    class ReturnChosen(LessorEvent):
        member_id: UUID | None

    class BuyoutCheckoutStarted(LessorEvent):
        attempt: int
        session_id: str
        url: str
        amount: Money  # frozen: the price the employee pays, whatever the curve does later
        price_source: str
        expires_at: datetime

    class BuyoutCheckoutFailed(LessorEvent):
        session_id: str
        reason: str  # failed | expired | cancelled

    class BuyoutPaid(LessorEvent):
        session_id: str
        payment_id: str | None
        amount: Money
        paid_at: datetime

    class BuyoutPaymentRejected(LessorEvent):
        """A payment that does not match the open checkout: flagged, never fulfilled."""

        session_id: str
        payment_id: str | None
        amount: Money | None
        reason: str

    class MarkedOverdue(LessorEvent):
        renewal_date: date

    # --- replacement, receipt, release, return
    class ReplacementLinked(LessorEvent):
        replacement_id: UUID

    class DeliveryReported(LessorEvent):
        pass

    class MarkedReceived(LessorEvent):
        method: str  # manual | auto (delivered and the company auto-marks received)

    class SerialRecorded(LessorEvent):
        serial: str

    class Released(LessorEvent):
        member_id: UUID | None
        reason: str  # replacement_received | offboarding

    class ReturnConfirmed(LessorEvent):
        pass

    class Removed(LessorEvent):
        pass

    # --- rentals (seed 003): ready for the rental-credits work
    class RmaSwapped(LessorEvent):
        replacement_id: UUID

    class RentalDeactivated(LessorEvent):
        pass

    # --- buyout price inputs
    class BuyoutPriceSet(LessorEvent):
        amount: Money | None  # None clears the manual price
        source: str  # api | csv

    class BuyoutAvailabilitySet(LessorEvent):
        available: bool

    @classmethod
    def register(
        cls,
        *,
        device_id: UUID,
        company_id: UUID,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
        replacement_for: UUID | None = None,
        cause: Cause,
    ) -> Device:
        """A replacement may be registered before its serial is known (ordered, not yet
        delivered): its serial is then "" until recorded, and it awaits receipt."""
        if not model.strip():
            raise InvalidValue("A device needs a model.")
        if company_cost.minor < 0:
            raise InvalidValue("The company cost cannot be negative.")
        if contract_type == ContractType.LEASED:
            if lease_start is None or renewal_date is None:
                raise InvalidValue("A leased device needs a lease start and a renewal date.")
            if renewal_date <= lease_start:
                raise InvalidValue("The renewal date must come after the lease start.")
        elif renewal_date is not None:
            raise InvalidValue("Only leased devices have a renewal date.")
        return cls._create(
            cls.Registered,
            id=device_id,
            serial=(normalise_serial(serial) if serial.strip() or replacement_for is None else ""),
            model=model.strip(),
            category=normalise_category(category),
            company_cost=company_cost,
            contract_type=contract_type,
            lease_start=lease_start,
            renewal_date=renewal_date,
            replacement_for=replacement_for,
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
        actor: Actor,
        at: datetime,
        correlation_id: str,
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
        self.assignee_id: UUID | None = None
        self.status = DeviceStatus.IN_STOCK
        self.registered_at = at
        # A replacement awaits receipt; other devices are at hand when registered.
        self.received = replacement_for is None
        self.delivered = False
        self.replacement_id: UUID | None = None
        self.phase = Phase.NONE
        self.overdue = False
        self.preliminary_choice: Choice | None = None
        self.final_decision: Choice | None = None
        self.checkout_attempts = 0
        self.checkout_session_id: str | None = None
        self.checkout_amount: Money | None = None
        self.checkout_url: str | None = None
        self.paid_amount: Money | None = None
        self.paid_session_id: str | None = None
        self.buyer_id: UUID | None = None
        self.manual_price: Money | None = None
        self.manual_price_set_at: datetime | None = None
        self.buyout_available = True
        self.rental_active = contract_type == ContractType.RENTAL

    def assign(self, member_id: UUID, *, cause: Cause) -> None:
        self._refuse_if_terminal("assign")
        if self.assignee_id == member_id:
            raise RuleViolation("The device is already assigned to this member.")
        if self.assignee_id is not None:
            raise RuleViolation("The device is assigned to someone else: unassign it first.")
        self._assigned(member_id=member_id, **cause.stamp(self.company_id))

    def unassign(self, *, cause: Cause) -> None:
        self._refuse_if_terminal("unassign")
        if self.assignee_id is None:
            raise RuleViolation("The device is not assigned to anyone.")
        self._unassigned(member_id=self.assignee_id, **cause.stamp(self.company_id))

    # ------------------------------------------------------------ end of lease

    @property
    def is_leased(self) -> bool:
        return self.contract_type == ContractType.LEASED

    def open_end_of_lease(self, w: Windows, *, cause: Cause) -> None:
        """Scheduler, from R − 3 months: options and price become visible."""
        if not self._in_lease_flow() or self.phase != Phase.NONE:
            return
        self._end_of_lease_opened(
            renewal_date=w.renewal_date,
            options_from=w.options_from,
            final_from=w.final_from,
            **cause.stamp(self.company_id),
        )

    def choose_preliminary(self, choice: Choice | None, w: Windows, *, cause: Cause) -> None:
        """The employee's plan, for IT: changeable until R − 1 month, never binding."""
        self._refuse_unless_open("make a preliminary choice")
        if cause.at >= w.final_from:
            raise RuleViolation(
                "The preliminary choice closed at R − 1 month; make the final decision instead."
            )
        if cause.at < w.options_from:
            raise RuleViolation("End-of-lease options open three months before the renewal date.")
        if choice != self.preliminary_choice:
            self._preliminary_choice_made(
                choice=choice, previous=self.preliminary_choice, **cause.stamp(self.company_id)
            )

    def request_final_decision(
        self, price: Money | None, price_source: str | None, w: Windows, *, cause: Cause
    ) -> None:
        """Scheduler, at R − 1 month: email the employee to decide (the outbox sends it)."""
        if not self._in_lease_flow() or self.phase not in (Phase.NONE, Phase.PRELIMINARY):
            return
        if self.phase == Phase.NONE:
            self.open_end_of_lease(w, cause=cause)
        assert self.assignee_id is not None  # _in_lease_flow requires an assignee
        self._final_decision_requested(
            member_id=self.assignee_id,
            deadline=w.renewal_date,
            price=price,
            price_source=price_source,
            **cause.stamp(self.company_id),
        )

    def choose_return(self, *, cause: Cause) -> None:
        """Final at once (SPEC §2.2 step 2)."""
        self._refuse_unless_final("choose to return the device")
        self._return_chosen(member_id=self.assignee_id, **cause.stamp(self.company_id))

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
        self._buyout_checkout_started(
            attempt=self.checkout_attempts + 1,
            session_id=session_id,
            url=url,
            amount=amount,
            price_source=price_source,
            expires_at=expires_at,
            **cause.stamp(self.company_id),
        )

    def checkout_did_not_complete(self, session_id: str, reason: str, *, cause: Cause) -> bool:
        """Failed, cancelled or expired: back to the options, and the employee may retry.
        An outcome for a session that is not the open one changes nothing (out of order)."""
        if self.phase != Phase.CHECKOUT_OPEN or session_id != self.checkout_session_id:
            return False
        self._buyout_checkout_failed(
            session_id=session_id, reason=reason, **cause.stamp(self.company_id)
        )
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
            self._buyout_paid(
                session_id=session_id,
                payment_id=payment_id,
                amount=amount,
                paid_at=cause.at,
                **cause.stamp(self.company_id),
            )
            return "paid"
        self._buyout_payment_rejected(
            session_id=session_id,
            payment_id=payment_id,
            amount=amount,
            reason=reason,
            **cause.stamp(self.company_id),
        )
        return "rejected"

    def mark_overdue(self, renewal_date: date, *, cause: Cause) -> None:
        """Scheduler, at R: no final decision — the device stays active, flagged overdue."""
        if not self._in_lease_flow() or self.overdue or self.final_decision is not None:
            return
        if self.phase == Phase.CHECKOUT_OPEN:
            return  # a payment is under way: let it finish
        self._marked_overdue(renewal_date=renewal_date, **cause.stamp(self.company_id))

    def _in_lease_flow(self) -> bool:
        return (
            self.is_leased
            and self.renewal_date is not None
            and self.assignee_id is not None
            and self.status == DeviceStatus.ACTIVE
        )

    def _refuse_unless_open(self, action: str) -> None:
        if self.status != DeviceStatus.ACTIVE or not self.is_leased:
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
        self._replacement_linked(replacement_id=replacement_id, **cause.stamp(self.company_id))

    def report_delivered(self, *, auto_mark_received: bool, cause: Cause) -> None:
        if self.received:
            raise RuleViolation("The device is already received.")
        if not self.delivered:
            self._delivery_reported(**cause.stamp(self.company_id))
        if auto_mark_received:
            self._marked_received(method="auto", **cause.stamp(self.company_id))

    def mark_received(self, *, cause: Cause) -> None:
        if self.received:
            raise RuleViolation("The device is already marked received.")
        self._marked_received(method="manual", **cause.stamp(self.company_id))

    def record_serial(self, serial: str, *, cause: Cause) -> None:
        cleaned = normalise_serial(serial)
        if self.serial:
            raise RuleViolation("The device already has a serial number.")
        self._serial_recorded(serial=cleaned, **cause.stamp(self.company_id))

    def release(
        self,
        *,
        replacement: Device | None,
        offboarding_release_from: datetime | None,
        cause: Cause,
    ) -> None:
        """Deregister a bought device when its release criteria hold (SPEC §2.2 steps 5, 7)."""
        if self.status != DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE:
            raise RuleViolation("Only a device bought by its employee can be released.")
        if offboarding_release_from is not None and cause.at >= offboarding_release_from:
            reason = "offboarding"
        else:
            unmet = self.unmet_release_criteria(replacement)
            if unmet:
                raise RuleViolation("Cannot release the device yet: " + "; ".join(unmet) + ".")
            reason = "replacement_received"
        self._released(member_id=self.buyer_id, reason=reason, **cause.stamp(self.company_id))

    def unmet_release_criteria(self, replacement: Device | None) -> list[str]:
        unmet = []
        if self.paid_amount is None:
            unmet.append("the buyout is not paid")
        if replacement is None:
            unmet.append("no replacement device is linked")
        else:
            if not replacement.received or replacement.status != DeviceStatus.ACTIVE:
                unmet.append("the replacement is not received (active)")
            if not replacement.serial:
                unmet.append("the replacement has no serial number recorded")
        return unmet

    def confirm_return(self, *, replacement: Device | None, cause: Cause) -> None:
        if self.status != DeviceStatus.ACTIVE_PENDING_RETURN:
            raise RuleViolation("Only a device whose employee chose to return it can be returned.")
        if replacement is None or not replacement.received:
            raise RuleViolation("Confirm the return once the replacement is received.")
        self._return_confirmed(**cause.stamp(self.company_id))

    def remove(self, *, cause: Cause) -> None:
        if self.status != DeviceStatus.RETURNED:
            raise RuleViolation("Only a returned device can be removed.")
        self._removed(**cause.stamp(self.company_id))

    # -------------------------------------------------------------------- rentals

    def swap_rental(self, replacement_id: UUID, *, cause: Cause) -> None:
        """RMA: the replacement takes over the rental without a gap or a double charge."""
        if self.contract_type != ContractType.RENTAL or not self.rental_active:
            raise RuleViolation("Only an active rental device can be swapped.")
        self._rma_swapped(replacement_id=replacement_id, **cause.stamp(self.company_id))

    def deactivate_rental(self, *, cause: Cause) -> None:
        if self.contract_type != ContractType.RENTAL or not self.rental_active:
            raise RuleViolation("The device has no active rental.")
        self._rental_deactivated(**cause.stamp(self.company_id))

    # ------------------------------------------------------------ price inputs

    def set_buyout_price(self, amount: Money | None, *, source: str, cause: Cause) -> None:
        if amount is not None:
            if amount.currency != self.company_cost.currency:
                raise InvalidValue(f"The price must be in {self.company_cost.currency}.")
            if not amount.is_positive:
                raise InvalidValue("A buyout price must be positive.")
        self._buyout_price_set(amount=amount, source=source, **cause.stamp(self.company_id))

    def set_buyout_availability(self, available: bool, *, cause: Cause) -> None:
        if available != self.buyout_available:
            self._buyout_availability_set(available=available, **cause.stamp(self.company_id))

    def _refuse_if_terminal(self, action: str) -> None:
        if self.status in TERMINAL_STATUSES:
            raise RuleViolation(f"Cannot {action} a device whose status is '{self.status}'.")

    @event(Assigned)
    def _assigned(
        self,
        *,
        member_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.assignee_id = member_id
        if self.status == DeviceStatus.IN_STOCK and getattr(self, "received", True):
            self.status = DeviceStatus.ACTIVE  # a replacement becomes active once received

    @event(Unassigned)
    def _unassigned(
        self,
        *,
        member_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.assignee_id = None
        if self.status == DeviceStatus.ACTIVE:
            self.status = DeviceStatus.IN_STOCK

    @event(EndOfLeaseOpened)
    def _end_of_lease_opened(
        self,
        *,
        renewal_date: date,
        options_from: datetime,
        final_from: datetime,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.phase = Phase.PRELIMINARY

    @event(PreliminaryChoiceMade)
    def _preliminary_choice_made(
        self,
        *,
        choice: Choice | None,
        previous: Choice | None,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.preliminary_choice = Choice(choice) if choice else None

    @event(FinalDecisionRequested)
    def _final_decision_requested(
        self,
        *,
        member_id: UUID,
        deadline: date,
        price: Money | None,
        price_source: str | None,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.phase = Phase.FINAL

    @event(ReturnChosen)
    def _return_chosen(
        self,
        *,
        member_id: UUID | None,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.final_decision = Choice.RETURN
        self.phase = Phase.DECIDED
        self.overdue = False
        self.status = DeviceStatus.ACTIVE_PENDING_RETURN

    @event(BuyoutCheckoutStarted)
    def _buyout_checkout_started(
        self,
        *,
        attempt: int,
        session_id: str,
        url: str,
        amount: Money,
        price_source: str,
        expires_at: datetime,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.checkout_attempts = attempt
        self.checkout_session_id = session_id
        self.checkout_url = url
        self.checkout_amount = amount
        self.checkout_expires_at: datetime | None = expires_at
        self.phase = Phase.CHECKOUT_OPEN

    @event(BuyoutCheckoutFailed)
    def _buyout_checkout_failed(
        self,
        *,
        session_id: str,
        reason: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.phase = Phase.FINAL
        self.checkout_session_id = None
        self.checkout_url = None
        self.checkout_amount = None
        self.checkout_expires_at = None

    @event(BuyoutPaid)
    def _buyout_paid(
        self,
        *,
        session_id: str,
        payment_id: str | None,
        amount: Money,
        paid_at: datetime,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.paid_amount = amount
        self.paid_session_id = session_id
        self.buyer_id = self.assignee_id
        self.final_decision = Choice.BUYOUT
        self.phase = Phase.DECIDED
        self.overdue = False
        self.status = DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE

    @event(BuyoutPaymentRejected)
    def _buyout_payment_rejected(
        self,
        *,
        session_id: str,
        payment_id: str | None,
        amount: Money | None,
        reason: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        pass  # a fact for the event log and reconciliation; the device does not change

    @event(MarkedOverdue)
    def _marked_overdue(
        self,
        *,
        renewal_date: date,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.overdue = True

    @event(ReplacementLinked)
    def _replacement_linked(
        self,
        *,
        replacement_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.replacement_id = replacement_id

    @event(DeliveryReported)
    def _delivery_reported(
        self, *, actor: Actor, at: datetime, correlation_id: str, company_id: UUID | None
    ) -> None:
        self.delivered = True

    @event(MarkedReceived)
    def _marked_received(
        self,
        *,
        method: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.received = True
        if self.status == DeviceStatus.IN_STOCK and self.assignee_id is not None:
            self.status = DeviceStatus.ACTIVE

    @event(SerialRecorded)
    def _serial_recorded(
        self,
        *,
        serial: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.serial = serial

    @event(Released)
    def _released(
        self,
        *,
        member_id: UUID | None,
        reason: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.status = DeviceStatus.BOUGHT_BY_EMPLOYEE

    @event(ReturnConfirmed)
    def _return_confirmed(
        self, *, actor: Actor, at: datetime, correlation_id: str, company_id: UUID | None
    ) -> None:
        self.status = DeviceStatus.RETURNED

    @event(Removed)
    def _removed(
        self, *, actor: Actor, at: datetime, correlation_id: str, company_id: UUID | None
    ) -> None:
        self.status = DeviceStatus.REMOVED

    @event(RmaSwapped)
    def _rma_swapped(
        self,
        *,
        replacement_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.replacement_id = replacement_id
        self.rental_active = False
        self.status = DeviceStatus.RMA_PENDING

    @event(RentalDeactivated)
    def _rental_deactivated(
        self, *, actor: Actor, at: datetime, correlation_id: str, company_id: UUID | None
    ) -> None:
        self.rental_active = False

    @event(BuyoutPriceSet)
    def _buyout_price_set(
        self,
        *,
        amount: Money | None,
        source: str,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.manual_price = amount
        self.manual_price_set_at = at if amount is not None else None

    @event(BuyoutAvailabilitySet)
    def _buyout_availability_set(
        self,
        *,
        available: bool,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.buyout_available = available
