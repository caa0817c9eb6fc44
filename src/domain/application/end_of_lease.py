"""End of lease (SPEC §2): the options and their price, the employee's choices, the buyout
payment, and the device's time rules (R − 3 m, R − 1 m, R) for the scheduler."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application.core import SCHEDULER, ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.application.replacements import Replacements
from domain.application.valuation import Valuation
from domain.model.actor import DEVICE_MANAGERS, Actor, Caller, Role
from domain.model.buyout_price import Quote
from domain.model.company import Company
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.end_of_lease import Choice, Phase, Windows, windows
from domain.model.errors import NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.ids import natural_id
from domain.model.member import Member
from domain.model.payment_record import PaymentEventRecord
from domain.ports import CheckoutRequest, CheckoutUnknown, PaymentEvent, PaymentGateway

# A checkout past its expiry (plus time for a late webhook) is closed by the scheduler.
CHECKOUT_GRACE = timedelta(hours=1)
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
        w = _windows(device, company)
        phase = Phase(device.phase)
        if phase in (Phase.NONE, Phase.PRELIMINARY) and w is not None:
            phase = max(phase, w.phase_due(now), key=_phase_order)  # ahead of the scheduler
        price = self.valuation.price_of(device, company, now)
        employee = caller.role == Role.EMPLOYEE
        actions: list[str] = []
        open_ = device.status == DeviceStatus.ACTIVE and device.final_decision is None
        if open_ and phase == Phase.PRELIMINARY:
            actions.append("preliminary_choice")
        if open_ and phase == Phase.FINAL:
            actions.append("return")
            if price is not None and employee:
                actions.append("buyout")
        unmet: list[str] = []
        if device.status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE:
            unmet = self.replacements.release_unmet(device, company, now)
            if not unmet and caller.role in DEVICE_MANAGERS:
                actions.append("release")
        return DeviceOptions(
            device_id=device.id,
            phase=phase,
            status=DeviceStatus(device.status),
            renewal_date=device.renewal_date,
            options_from=w.options_from if w else None,
            preliminary_until=w.final_from if w else None,
            final_from=w.final_from if w else None,
            overdue=device.overdue,
            preliminary_choice=device.preliminary_choice,
            final_decision=device.final_decision,
            price=price if (w is None or now >= w.options_from) else None,
            checkout_url=device.checkout_url,
            actions=actions,
            release_unmet=unmet,
        )

    # -------------------------------------------------------------- choices

    @command("choose_preliminary")
    def choose_preliminary(
        self, ctx: CommandContext, device_id: UUID, choice: Choice | None
    ) -> Outcome:
        device, company = self.devices.for_employee_or_manager(ctx, device_id)
        w = _windows(device, company)
        if w is None:
            raise RuleViolation("Only leased devices have an end-of-lease choice.")
        self._catch_up(device, company, ctx.cause.at)
        device.choose_preliminary(choice, w, cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("choose_return")
    def choose_return(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device, company = self.devices.for_employee_or_manager(ctx, device_id)
        self._catch_up(device, company, ctx.cause.at)
        device.choose_return(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("start_buyout")
    def start_buyout(
        self, ctx: CommandContext, device_id: UUID, *, success_url: str, cancel_url: str
    ) -> Outcome:
        """Open a checkout for the price at this moment; the event freezes it."""
        device, company = self.devices.for_employee_or_manager(ctx, device_id)
        if ctx.caller.role != Role.EMPLOYEE:
            raise NotAllowed("Only the employee who uses the device can buy it out.")
        self._catch_up(device, company, ctx.cause.at)
        quote = self.valuation.price_of(device, company, ctx.cause.at)
        if quote is None:
            raise RuleViolation("No buyout is offered for this device; it can be returned.")
        device.ensure_buyout_can_start()  # before anything is asked of the payment provider
        member = (
            self.core.load(Member, device.assignee_id, "Member") if device.assignee_id else None
        )
        session = self.payment_gateway.open_checkout(
            CheckoutRequest(
                device_id=device.id,
                company_id=device.company_id,
                attempt=device.checkout_attempts + 1,
                amount=quote.amount,
                description=f"Buyout of {device.model} ({device.serial})",
                customer_email=member.email if member else "",
                success_url=success_url,
                cancel_url=cancel_url,
            )
        )
        device.start_buyout(
            session_id=session.session_id,
            url=session.url,
            amount=quote.amount,
            price_source=quote.source,
            expires_at=session.expires_at,
            cause=ctx.cause,
        )
        return self.core.commit(ctx, device, created=False)

    @command("cancel_buyout")
    def cancel_buyout(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        """The employee backs out of the payment: the session is expired at the provider and
        the device is back at its options (it may try again)."""
        device, _ = self.devices.for_employee_or_manager(ctx, device_id)
        session_id = device.checkout_session_id
        if Phase(device.phase) != Phase.CHECKOUT_OPEN or session_id is None:
            raise RuleViolation("There is no buyout payment under way to cancel.")
        # Nobody can pay a session the provider does not know: it is closed already.
        with suppress(CheckoutUnknown):
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
        """R − 3 m opens the options, R − 1 m requests the final decision (the outbox emails
        it), R flags an undecided device overdue. Idempotent: the device knows its phase."""
        device = self.core.load(Device, device_id, "Device")
        company = self.core.load(Company, device.company_id, "Company")
        self._catch_up(device, company, now)
        count = len(device.pending_events)
        if count:
            self.core.save_and_announce(device)
        return count

    def _catch_up(self, device: Device, company: Company, now: datetime) -> None:
        """Apply the time rules due by `now` (what the scheduler does), as the system."""
        w = _windows(device, company)
        if w is None:
            return
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"schedule-{device.id}")
        if now >= w.options_from:
            device.open_end_of_lease(w, cause=cause)
        if now >= w.final_from and Phase(device.phase) in (Phase.NONE, Phase.PRELIMINARY):
            quote = self.valuation.price_of(device, company, now)
            device.request_final_decision(
                quote.amount if quote else None,
                quote.source if quote else None,
                w,
                cause=cause,
            )
        expires_at = getattr(device, "checkout_expires_at", None)  # absent in old snapshots
        session_id = device.checkout_session_id
        if session_id and expires_at and now >= expires_at + CHECKOUT_GRACE:
            # The provider's "expired" webhook was lost: the session is dead all the same.
            device.checkout_did_not_complete(session_id, "expired", cause=cause)
        if now >= w.overdue_from:
            device.mark_overdue(w.renewal_date, cause=cause)


def _windows(device: Device, company: Company) -> Windows | None:
    if device.contract_type != ContractType.LEASED or device.renewal_date is None:
        return None
    return windows(device.renewal_date, company.time_zone)


_ORDER = {
    Phase.NONE: 0,
    Phase.PRELIMINARY: 1,
    Phase.FINAL: 2,
    Phase.CHECKOUT_OPEN: 3,
    Phase.DECIDED: 4,
}


def _phase_order(phase: Phase) -> int:
    return _ORDER[Phase(phase)]
