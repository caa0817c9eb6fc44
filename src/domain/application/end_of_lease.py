"""End of lease (SPEC §2): options and price, choices, buyout payment, replacement, receipt,
release, return, rentals, and the scheduler's time rules for devices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application.base import CommandContext, Outcome, command
from domain.application.devices import DeviceCommands
from domain.model.actor import DEVICE_MANAGERS, Actor, Caller, Role
from domain.model.buyout_price import ManualPrice, Quote, resolve_price
from domain.model.company import Company
from domain.model.device import ContractType, Device, DeviceStatus, normalise_serial
from domain.model.end_of_lease import (
    Choice,
    Phase,
    Windows,
    offboarding_release_from,
    windows,
)
from domain.model.errors import NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.ids import natural_id
from domain.model.member import Member
from domain.model.money import Money
from domain.model.payment_record import PaymentEventRecord
from domain.model.time import local_date
from domain.model.valuation import Curve, chart, standard_curve
from domain.ports import CheckoutRequest, PaymentEvent, PaymentGateway

SYSTEM = Actor(id="scheduler", role=Role.SYSTEM)
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


class EndOfLeaseCommands(DeviceCommands):
    # ---------------------------------------------------------------- reading

    def options(self, caller: Caller, device_id: UUID, now: datetime) -> DeviceOptions:
        device = self.device(caller, device_id)
        company = self._load(Company, device.company_id, "Company")
        w = self._windows(device, company)
        phase = Phase(device.phase)
        if phase in (Phase.NONE, Phase.PRELIMINARY) and w is not None:
            phase = max(phase, w.phase_due(now), key=_phase_order)  # ahead of the scheduler
        price = self.price_of(device, company, now)
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
            unmet = self._release_unmet(device, company, now)
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

    def price_of(self, device: Device, company: Company, at: datetime) -> Quote | None:
        """The one price function every view and command uses (domain.model.buyout_price)."""
        return resolve_price(
            buyout_enabled=bool(company.settings.get("device_buyout")),
            available=device.buyout_available,
            company_cost=device.company_cost,
            category=device.category,
            valued_from=device.lease_start or device.registered_at.date(),
            manual=_manual(device),
            valuation=company.category_valuation(device.category),
            on=local_date(at, company.time_zone),
        )

    def valuation_chart(
        self, caller: Caller, company_id: UUID, category: str, months: int = 60
    ) -> dict[str, object]:
        """The standard and the custom curve month by month, for a chart to compare."""
        company = self.company(caller, company_id)
        caller.require(Role.OPERATOR, Role.ADMIN, Role.SERVICE)
        valuation = company.category_valuation(category.strip().lower())
        standard = standard_curve(category)
        custom = valuation.custom_curve if valuation else None
        return {
            "category": category.strip().lower(),
            "automatic": bool(valuation and valuation.enabled),
            "standard": chart(standard, months) if standard else None,
            "custom": chart(custom, months) if custom else None,
        }

    # -------------------------------------------------------------- choices

    @command
    def choose_preliminary(
        self, ctx: CommandContext, device_id: UUID, choice: Choice | None
    ) -> Outcome:
        device, company = self._for_employee_or_manager(ctx, device_id)
        w = self._windows_or_refuse(device, company)
        self._catch_up(device, company, ctx.cause.at)
        device.choose_preliminary(choice, w, cause=ctx.cause)
        return self._commit(ctx, "choose_preliminary", device, created=False)

    @command
    def choose_return(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device, company = self._for_employee_or_manager(ctx, device_id)
        self._catch_up(device, company, ctx.cause.at)
        device.choose_return(cause=ctx.cause)
        return self._commit(ctx, "choose_return", device, created=False)

    @command
    def start_buyout(
        self,
        ctx: CommandContext,
        device_id: UUID,
        *,
        gateway: PaymentGateway,
        success_url: str,
        cancel_url: str,
    ) -> Outcome:
        """Open a checkout for the price at this moment; the event freezes it."""
        device, company = self._for_employee_or_manager(ctx, device_id)
        if ctx.caller.role != Role.EMPLOYEE:
            raise NotAllowed("Only the employee who uses the device can buy it out.")
        self._catch_up(device, company, ctx.cause.at)
        quote = self.price_of(device, company, ctx.cause.at)
        if quote is None:
            raise RuleViolation("No buyout is offered for this device; it can be returned.")
        device.ensure_buyout_can_start()  # before anything is asked of the payment provider
        member = self._load(Member, device.assignee_id, "Member") if device.assignee_id else None
        session = gateway.open_checkout(
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
        return self._commit(ctx, "start_buyout", device, created=False)

    @command
    def cancel_buyout(
        self, ctx: CommandContext, device_id: UUID, *, gateway: PaymentGateway
    ) -> Outcome:
        """The employee backs out of the payment: the session is expired at the provider and
        the device is back at its options (it may try again)."""
        device, _ = self._for_employee_or_manager(ctx, device_id)
        session_id = device.checkout_session_id
        if Phase(device.phase) != Phase.CHECKOUT_OPEN or session_id is None:
            raise RuleViolation("There is no buyout payment under way to cancel.")
        gateway.expire_checkout(session_id)
        device.checkout_did_not_complete(session_id, "cancelled", cause=ctx.cause)
        return self._commit(ctx, "cancel_buyout", device, created=False)

    def record_payment_event(
        self, event: PaymentEvent
    ) -> Literal["applied", "duplicate", "ignored", "rejected"]:
        """A payment provider's event, at most once per event id, in the same transaction
        as its effect. Out of order is fine: an outcome for a session that is no longer the
        open one changes nothing, and nothing regresses a paid buyout."""
        record_id = natural_id("payment-event", event.provider_event_id)
        if record_id in self.repository:
            return "duplicate"
        cause = Cause(
            actor=PAYMENTS, at=event.occurred_at, correlation_id=f"stripe-{event.provider_event_id}"
        )
        device: Device | None = None
        if event.device_id is not None:
            try:
                device = self._load(Device, event.device_id, "Device")
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
            self._save_and_announce(*pending)
        except IntegrityError:
            if record_id in self.repository:
                return "duplicate"  # a concurrent delivery of the same event won
            raise
        return result

    # --------------------------------------------- replacement, receipt, release

    @command
    def register_replacement(
        self,
        ctx: CommandContext,
        old_device_id: UUID,
        *,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
    ) -> Outcome:
        """A new device linked as `replacement_for` the old one; it awaits receipt and takes
        over the old one's assignee."""
        old = self.device(ctx.caller, old_device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        new = Device.register(
            device_id=uuid4(),
            company_id=old.company_id,
            serial=serial,
            model=model,
            category=category,
            company_cost=company_cost,
            contract_type=contract_type,
            lease_start=lease_start,
            renewal_date=renewal_date,
            replacement_for=old.id,
            cause=ctx.cause,
        )
        if old.assignee_id is not None:
            new.assign(old.assignee_id, cause=ctx.cause)
        old.link_replacement(new.id, cause=ctx.cause)
        claims = (
            [self._claim("device-serial", old.company_id, new.serial, new.id, ctx.cause)]
            if new.serial
            else []
        )
        return self._commit(ctx, "register_replacement", new, old, *claims, created=True)

    @command
    def report_delivered(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        company = self._load(Company, device.company_id, "Company")
        device.report_delivered(
            auto_mark_received=bool(company.settings.get("auto_mark_received")), cause=ctx.cause
        )
        return self._commit(ctx, "report_delivered", device, created=False)

    @command
    def mark_received(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device, company = self._for_employee_or_manager(ctx, device_id)
        if ctx.caller.role == Role.EMPLOYEE and not company.settings.get("employees_mark_received"):
            raise NotAllowed("Your company lets only its admins mark devices received.")
        device.mark_received(cause=ctx.cause)
        return self._commit(ctx, "mark_received", device, created=False)

    @command
    def record_serial(self, ctx: CommandContext, device_id: UUID, serial: str) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.record_serial(serial, cause=ctx.cause)
        claim = self._claim("device-serial", device.company_id, device.serial, device.id, ctx.cause)
        return self._commit(ctx, "record_serial", device, claim, created=False)

    @command
    def release_device(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        """Admins and service accounts only (SPEC §1)."""
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        company = self._load(Company, device.company_id, "Company")
        device.release(
            replacement=self._replacement(device),
            offboarding_release_from=self._offboarding_from(device, company),
            cause=ctx.cause,
        )
        return self._commit(ctx, "release_device", device, created=False)

    @command
    def confirm_return(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.confirm_return(replacement=self._replacement(device), cause=ctx.cause)
        return self._commit(ctx, "confirm_return", device, created=False)

    @command
    def remove_device(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.remove(cause=ctx.cause)
        return self._commit(ctx, "remove_device", device, created=False)

    # ------------------------------------------------------------------ rentals

    @command
    def swap_rental(
        self, ctx: CommandContext, device_id: UUID, *, serial: str, model: str
    ) -> Outcome:
        """RMA swap: a new unit takes over the rental (same category, cost and assignee) in
        the same transaction as the old one leaves it — no gap, no double charge."""
        old = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        serial = normalise_serial(serial)  # the unit is in hand: its serial is known
        new = Device.register(
            device_id=uuid4(),
            company_id=old.company_id,
            serial=serial,
            model=model,
            category=old.category,
            company_cost=old.company_cost,
            contract_type=ContractType.RENTAL,
            lease_start=None,
            renewal_date=None,
            replacement_for=old.id,
            cause=ctx.cause,
        )
        new.mark_received(cause=ctx.cause)
        if old.assignee_id is not None:
            new.assign(old.assignee_id, cause=ctx.cause)
        old.swap_rental(new.id, cause=ctx.cause)
        claim = self._claim("device-serial", old.company_id, new.serial, new.id, ctx.cause)
        return self._commit(ctx, "swap_rental", new, old, claim, created=True)

    @command
    def deactivate_rental(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.deactivate_rental(cause=ctx.cause)
        return self._commit(ctx, "deactivate_rental", device, created=False)

    # --------------------------------------------------------------- price inputs

    @command
    def set_buyout_price(
        self, ctx: CommandContext, device_id: UUID, amount: Money | None
    ) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.set_buyout_price(amount, source="api", cause=ctx.cause)
        return self._commit(ctx, "set_buyout_price", device, created=False)

    @command
    def set_buyout_availability(
        self, ctx: CommandContext, device_id: UUID, available: bool
    ) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        device.set_buyout_availability(available, cause=ctx.cause)
        return self._commit(ctx, "set_buyout_availability", device, created=False)

    @command
    def set_automatic_valuation(
        self, ctx: CommandContext, company_id: UUID, category: str, enabled: bool
    ) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        company.set_automatic_valuation(category, enabled, cause=ctx.cause)
        return self._commit(ctx, "set_automatic_valuation", company, created=False)

    @command
    def save_custom_curve(
        self, ctx: CommandContext, company_id: UUID, category: str, curve: Curve
    ) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        company.save_custom_curve(category, curve, cause=ctx.cause)
        return self._commit(ctx, "save_custom_curve", company, created=False)

    @command
    def clear_custom_curve(self, ctx: CommandContext, company_id: UUID, category: str) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        company.clear_custom_curve(category, cause=ctx.cause)
        return self._commit(ctx, "clear_custom_curve", company, created=False)

    # ------------------------------------------------------ the scheduler's rules

    def advance_device(self, device_id: UUID, now: datetime) -> int:
        """R − 3 m opens the options, R − 1 m requests the final decision (the outbox emails
        it), R flags an undecided device overdue. Idempotent: the device knows its phase."""
        device = self._load(Device, device_id, "Device")
        company = self._load(Company, device.company_id, "Company")
        self._catch_up(device, company, now)
        count = len(device.pending_events)
        if count:
            self._save_and_announce(device)
        return count

    def send_release_digest(self, company_id: UUID, candidates: list[UUID], now: datetime) -> bool:
        """Monday 09:00: email the admins the devices ready to release, once per week."""
        company = self._load(Company, company_id, "Company")
        week = local_date(now, company.time_zone).strftime("%G-W%V")
        if company.last_digest_week == week:
            return False  # sent already; the scheduler asks every tick of the Monday
        ready = []
        for device_id in candidates:
            device = self._load(Device, device_id, "Device")
            if device.company_id != company.id:
                continue
            if device.status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE and not self._release_unmet(
                device, company, now
            ):
                buyer = self._load(Member, device.buyer_id, "Member") if device.buyer_id else None
                ready.append(
                    {
                        "device_id": str(device.id),
                        "serial": device.serial,
                        "model": device.model,
                        "buyer": buyer.name if buyer else "",
                    }
                )
        if not ready:
            return False
        admins = self._admin_emails(company.id)  # scans every registration: only when sending
        cause = Cause(actor=SYSTEM, at=now, correlation_id=f"digest-{company.id}-{week}")
        if not company.send_release_digest(week, ready, admins, cause=cause):
            return False
        self._save_and_announce(company)
        return True

    # ------------------------------------------------------------------ helpers

    def _catch_up(self, device: Device, company: Company, now: datetime) -> None:
        """Apply the time rules due by `now` (what the scheduler does), as the system."""
        w = self._windows(device, company)
        if w is None:
            return
        cause = Cause(actor=SYSTEM, at=now, correlation_id=f"schedule-{device.id}")
        if now >= w.options_from:
            device.open_end_of_lease(w, cause=cause)
        if now >= w.final_from and Phase(device.phase) in (Phase.NONE, Phase.PRELIMINARY):
            quote = self.price_of(device, company, now)
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

    def _windows(self, device: Device, company: Company) -> Windows | None:
        if device.contract_type != ContractType.LEASED or device.renewal_date is None:
            return None
        return windows(device.renewal_date, company.time_zone)

    def _windows_or_refuse(self, device: Device, company: Company) -> Windows:
        w = self._windows(device, company)
        if w is None:
            raise RuleViolation("Only leased devices have an end-of-lease choice.")
        return w

    def _for_employee_or_manager(
        self, ctx: CommandContext, device_id: UUID
    ) -> tuple[Device, Company]:
        """Employees act on their own devices (others are invisible: 404); admins, services
        and operators act on their company's devices on the employee's behalf."""
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(Role.EMPLOYEE, *DEVICE_MANAGERS)
        self._check_version(ctx, device)
        return device, self._load(Company, device.company_id, "Company")

    def _replacement(self, device: Device) -> Device | None:
        if device.replacement_id is None:
            return None
        return self._load(Device, device.replacement_id, "Device")

    def _offboarding_from(self, device: Device, company: Company) -> datetime | None:
        if device.buyer_id is None:
            return None
        buyer = self._load(Member, device.buyer_id, "Member")
        if buyer.last_employment_day is None:
            return None
        return offboarding_release_from(buyer.last_employment_day, company.time_zone)

    def _release_unmet(self, device: Device, company: Company, now: datetime) -> list[str]:
        offboarding = self._offboarding_from(device, company)
        if offboarding is not None and now >= offboarding:
            return []
        return device.unmet_release_criteria(self._replacement(device))

    def _admin_emails(self, company_id: UUID) -> list[str]:
        emails = []
        for notification in self._notifications_of(Member.Registered):
            # The registration names the company: load only this company's members (their
            # role and email may have changed since).
            registered = cast(Member.Registered, self.mapper.to_domain_event(notification))
            if registered.company_id != company_id:
                continue
            member = self._load(Member, notification.originator_id, "Member")
            if member.role == Role.ADMIN:
                emails.append(member.email)
        return sorted(emails)


def _manual(device: Device) -> ManualPrice | None:
    if device.manual_price is None or device.manual_price_set_at is None:
        return None
    return ManualPrice(device.manual_price, device.manual_price_set_at)


_ORDER = {
    Phase.NONE: 0,
    Phase.PRELIMINARY: 1,
    Phase.FINAL: 2,
    Phase.CHECKOUT_OPEN: 3,
    Phase.DECIDED: 4,
}


def _phase_order(phase: Phase) -> int:
    return _ORDER[Phase(phase)]
