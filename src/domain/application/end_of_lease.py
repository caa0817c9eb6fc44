"""End of lease (SPEC §2): the options and their price, the employee's choices, the buyout
payment, and the scheduler's tick of a device's time rules (R − 3 m, R − 1 m, R).

A command's path runs one way: load the device and its company's terms, let the device
apply its own time rules to now (`Device.apply_due_rules`), run the command on it, save.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.application.replacements import Replacements
from domain.application.valuation import Valuation
from domain.model.actor import DEVICE_MANAGERS, Actor, Caller, Role
from domain.model.buyout_price import BuyoutTerms, Quote
from domain.model.company import Company
from domain.model.device import Device, DeviceStatus
from domain.model.device_lifecycle import RELEASABLE, holds
from domain.model.end_of_lease import Choice, Phase
from domain.model.errors import NotAllowed, NotFound
from domain.model.events import Cause
from domain.model.ids import natural_id
from domain.model.lease_options import buyout_offer, checkout_to_cancel, lease_options
from domain.model.member import Member
from domain.model.payment_record import PaymentEventRecord
from domain.ports import CheckoutRequest, PaymentEvent, PaymentGateway

PAYMENTS = Actor(id="stripe", role=Role.SYSTEM)


@dataclass(frozen=True, slots=True)
class DeviceOptions:
    """What the caller may do with a device now, at what price, until when."""

    device_id: UUID
    phase: Phase
    status: DeviceStatus
    renewal_date: date | None
    options_from: datetime | None
    preliminary_until: datetime | None
    final_from: datetime | None
    overdue: bool
    preliminary_choice: Choice | None
    final_decision: Choice | None
    price: Quote | None
    checkout_url: str | None
    actions: list[str]
    release_unmet: list[str]


@dataclass(frozen=True, eq=False)
class EndOfLease:
    core: ApplicationCore
    devices: Devices
    valuation: Valuation
    replacements: Replacements
    payment_gateway: PaymentGateway

    # ---------------------------------------------------------------- reading

    def options(self, caller: Caller, device_id: UUID, now: datetime) -> DeviceOptions:
        device = self.devices.get(caller, device_id)
        company = self.core.load(Company, device.company_id, "Company")
        shown = lease_options(device, self.valuation.terms(company), now)
        employee = caller.role == Role.EMPLOYEE
        actions = [a for a in shown.actions if a != "buyout" or employee]  # theirs to buy
        unmet: list[str] = []
        if holds(RELEASABLE, device):
            unmet = self.replacements.release_unmet(device, company, now)
            if not unmet and caller.role in DEVICE_MANAGERS:
                actions.append("release")
        w = shown.windows
        return DeviceOptions(
            device_id=device.id,
            phase=shown.phase,
            status=DeviceStatus(device.status),
            renewal_date=device.renewal_date,
            options_from=w.options_from if w else None,
            preliminary_until=w.final_from if w else None,
            final_from=w.final_from if w else None,
            overdue=device.overdue,
            preliminary_choice=device.preliminary_choice,
            final_decision=device.final_decision,
            price=shown.price,
            checkout_url=device.checkout_url,
            actions=actions,
            release_unmet=unmet,
        )

    # -------------------------------------------------------------- choices

    @command("choose_preliminary")
    def choose_preliminary(
        self, ctx: CommandContext, device_id: UUID, choice: Choice | None
    ) -> Outcome:
        device, terms = self._caught_up(ctx, device_id)
        device.choose_preliminary(choice, device.windows(terms.time_zone), cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("choose_return")
    def choose_return(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device, _ = self._caught_up(ctx, device_id)
        device.choose_return(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("start_buyout")
    def start_buyout(
        self, ctx: CommandContext, device_id: UUID, *, success_url: str, cancel_url: str
    ) -> Outcome:
        """Open a checkout for the price at this moment; the event freezes it."""
        device, terms = self._caught_up(ctx, device_id)
        if ctx.caller.role != Role.EMPLOYEE:
            raise NotAllowed("Only the employee who uses the device can buy it out.")
        offer = buyout_offer(device, terms, ctx.cause.at)
        member = (
            self.core.load(Member, device.assignee_id, "Member") if device.assignee_id else None
        )
        session = self.payment_gateway.open_checkout(
            CheckoutRequest(
                device_id=device.id,
                company_id=device.company_id,
                attempt=offer.attempt,
                amount=offer.quote.amount,
                description=offer.description,
                customer_email=member.email if member else "",
                success_url=success_url,
                cancel_url=cancel_url,
            )
        )
        device.start_buyout(
            session_id=session.session_id,
            url=session.url,
            amount=offer.quote.amount,
            price_source=offer.quote.source,
            expires_at=session.expires_at,
            cause=ctx.cause,
        )
        return self.core.commit(ctx, device, created=False)

    @command("cancel_buyout")
    def cancel_buyout(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        """The employee backs out of the payment: the session is expired at the provider and
        the device is back at its options (it may try again)."""
        device, _ = self.devices.for_employee_or_manager(ctx, device_id)
        session_id = checkout_to_cancel(device)
        self.payment_gateway.expire_checkout(session_id)
        device.checkout_did_not_complete(session_id, "cancelled", cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    def record_payment_event(
        self, event: PaymentEvent
    ) -> Literal["applied", "duplicate", "ignored", "rejected"]:
        """A payment provider's event, at most once per event id, in the same transaction
        as its effect. Out of order is fine: an outcome for a session that is no longer the
        open one changes nothing, and nothing regresses a paid buyout."""
        record_id = natural_id("payment-event", event.provider_event_id)
        if record_id in self.core.repository:
            return "duplicate"
        cause = Cause(
            actor=PAYMENTS, at=event.occurred_at, correlation_id=f"stripe-{event.provider_event_id}"
        )
        device: Device | None = None
        if event.device_id is not None:
            try:
                device = self.core.load(Device, event.device_id, "Device")
            except NotFound:
                device = None
        result: Literal["applied", "ignored", "rejected"] = "ignored"
        if device is not None:
            if event.kind == "paid":
                outcome = device.record_payment(
                    event.session_id, event.payment_id, event.amount, cause=cause
                )
                if outcome == "paid":
                    result = "applied"
                elif outcome == "rejected":
                    result = "rejected"
            elif event.kind in ("failed", "expired"):
                changed = device.checkout_did_not_complete(
                    event.session_id, event.kind, cause=cause
                )
                result = "applied" if changed else "ignored"
        record = PaymentEventRecord.record(
            record_id=record_id,
            provider_event_id=event.provider_event_id,
            kind=event.kind,
            result=result,
            company_id=device.company_id if device else None,
            cause=cause,
        )
        pending: list[Aggregate] = [record]
        if device is not None and device.pending_events:
            pending.insert(0, device)
        try:
            self.core.save_and_announce(*pending)
        except IntegrityError:
            if record_id in self.core.repository:
                return "duplicate"  # a concurrent delivery of the same event won
            raise
        return result

    # ------------------------------------------------------ the scheduler's rules

    def advance(self, device_id: UUID, now: datetime) -> int:
        """The scheduler's tick of one device: the time rules due by `now`, as the device
        applies them (idempotent: the device knows its phase). Returns the facts recorded."""
        device = self.core.load(Device, device_id, "Device")
        company = self.core.load(Company, device.company_id, "Company")
        device.apply_due_rules(now, self.valuation.terms(company))
        count = len(device.pending_events)
        if count:
            self.core.save_and_announce(device)
        return count

    def _caught_up(self, ctx: CommandContext, device_id: UUID) -> tuple[Device, BuyoutTerms]:
        """The device a caller acts on, its time rules applied to the command's instant
        first (as the scheduler would have), and its company's terms."""
        device, company = self.devices.for_employee_or_manager(ctx, device_id)
        terms = self.valuation.terms(company)
        device.apply_due_rules(ctx.cause.at, terms)
        return device, terms
