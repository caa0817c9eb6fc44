"""Prepaid rental credits: activation keys, rental accounts, rentals and their daily charge
(SPEC §4, docs/adr/0023-rental-credits.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.application.companies import Companies
from domain.application.core import SCHEDULER, ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.model.activation_key import (
    ActivationKey,
    KeyBatch,
    KeyStatus,
    NotRedeemable,
    RedemptionThrottle,
    code_from,
    key_count,
    key_credits,
    key_hash,
    key_id_for,
)
from domain.model.actor import Caller, Role
from domain.model.company import Company
from domain.model.device import ContractType
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.rental_account import RentalAccount, account_id_for
from domain.model.time import local_date, local_midnight
from domain.ports import IdSource

ACCOUNT_HOLDERS = (Role.OPERATOR, Role.ADMIN, Role.SERVICE)


@dataclass(frozen=True, slots=True)
class IssuedKeys:
    """A batch just issued, and its codes: shown this once (a replayed request gets none)."""

    outcome: Outcome
    codes: list[str]


@dataclass(frozen=True, slots=True)
class LicenceFacts:
    """What a rented device's licence states (the adapter signs it)."""

    device_id: UUID
    serial: str
    company_id: UUID
    valid_until: datetime  # the end of the rental's last paid day (local midnight), in UTC
    issued_at: datetime


@dataclass(frozen=True, eq=False)
class Credits:
    core: ApplicationCore
    ids: IdSource
    companies: Companies
    devices: Devices
    throttle: RedemptionThrottle = field(default_factory=RedemptionThrottle)

    # ------------------------------------------------------------ activation keys

    def issue_keys(
        self,
        ctx: CommandContext,
        *,
        credits: int,
        count: int,
        company_id: UUID | None = None,
        price: Money | None = None,
        label: str = "",
    ) -> IssuedKeys:
        """Issue `count` keys worth `credits` each (operators). Each code derives from a
        fresh random id (122 random bits from the OS), of which the key keeps 55."""
        key_count(count)
        key_credits(credits)
        codes = [code_from(self.ids.new_id().int) for _ in range(count)]
        outcome = self._issue(
            ctx, codes=codes, credits=credits, company_id=company_id, price=price, label=label
        )
        return IssuedKeys(outcome, [] if outcome.replayed else codes)

    @command("issue_activation_keys")
    def _issue(
        self,
        ctx: CommandContext,
        *,
        codes: list[str],
        credits: int,
        company_id: UUID | None,
        price: Money | None,
        label: str,
    ) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        if company_id is not None:
            company = self.companies.get(ctx.caller, company_id)
            if price is not None and price.currency != company.currency:
                raise InvalidValue(
                    f"The price must be in the company's currency ({company.currency})."
                )
        batch_id = self.ids.new_id()
        keys = [
            ActivationKey.issue(
                hashed=key_hash(code),
                batch_id=batch_id,
                credits=credits,
                company_id=company_id,
                cause=ctx.cause,
            )
            for code in codes
        ]
        batch = KeyBatch.issue(
            batch_id=batch_id,
            credits=credits,
            key_ids=[key.id for key in keys],
            company_id=company_id,
            price=price,
            label=label,
            cause=ctx.cause,
        )
        return self.core.commit(ctx, batch, *keys, created=True)

    @command("void_activation_keys")
    def void_batch(self, ctx: CommandContext, batch_id: UUID) -> Outcome:
        """Void every key of the batch not yet redeemed (operators)."""
        ctx.caller.require(Role.OPERATOR)
        batch = self.core.load(KeyBatch, batch_id, "Key batch")
        self.core.check_version(ctx, batch)
        keys = [self.core.load(ActivationKey, key_id, "") for key_id in batch.key_ids]
        open_keys = [key for key in keys if key.status == KeyStatus.ISSUED]
        batch.void([key.id for key in open_keys], cause=ctx.cause)
        for key in open_keys:
            key.void(cause=ctx.cause)
        return self.core.commit(ctx, batch, *open_keys, created=False)

    def batches(self, caller: Caller) -> list[KeyBatch]:
        """Every batch issued, from the log, newest first (operators)."""
        caller.require(Role.OPERATOR)
        ids = [n.originator_id for n in self.core.notifications_of(KeyBatch.Issued)]
        return [self.core.load(KeyBatch, batch_id, "Key batch") for batch_id in reversed(ids)]

    @command("redeem_activation_key")
    def redeem(self, ctx: CommandContext, *, company_id: UUID, code: str) -> Outcome:
        """Add a key's credits to the company's account, once per key ever. An unknown,
        used, voided or another company's key is one answer; failures are throttled."""
        company = self._company(ctx.caller, company_id)
        self.throttle.check(company.id, ctx.cause.at)
        try:
            key = self._redeemable(key_hash(code))
            account, created = self._account(company.id, ctx.cause)
            key.redeem(company_id=company.id, account_id=account.id, cause=ctx.cause)
        except (InvalidValue, NotFound):
            self.throttle.failed(company.id, ctx.cause.at)
            raise
        account.redeem(key.id, key.credits, self._today(company, ctx.cause.at), cause=ctx.cause)
        return self.core.commit(ctx, account, key, created=created)

    # ------------------------------------------------------------------- rentals

    @command("activate_rental")
    def activate(self, ctx: CommandContext, device_id: UUID, *, rate: int) -> Outcome:
        """Rent a device at `rate` credits a day: the first day is charged at once."""
        device = self.devices.managed(ctx, device_id)
        if device.contract_type != ContractType.RENTAL:
            raise RuleViolation("The device is not a rental device.")
        if not device.rental_active:
            raise RuleViolation("The device's rental has ended (deactivated or swapped).")
        company = self.core.load(Company, device.company_id, "Company")
        account, created = self._account(company.id, ctx.cause)
        self.core.check_version(ctx, account)
        account.activate(device.id, rate, self._today(company, ctx.cause.at), cause=ctx.cause)
        return self.core.commit(ctx, account, created=created)

    @command("swap_rental_to_registered")
    def swap(self, ctx: CommandContext, device_id: UUID, *, replacement_id: UUID) -> Outcome:
        """RMA to a unit already registered (a rental device of the same company, not rented
        itself): it takes over the rate and the paid days — no gap, no second charge."""
        old = self.devices.managed(ctx, device_id)
        new = self.devices.managed(ctx, replacement_id)
        if new.company_id != old.company_id:
            raise NotFound("Device not found.")
        if new.id == old.id:
            raise InvalidValue("A device cannot replace itself.")
        if new.contract_type != ContractType.RENTAL or not new.rental_active:
            raise RuleViolation("The replacement is not a rental device (or its rental ended).")
        company = self.core.load(Company, old.company_id, "Company")
        account = self.account_for_rentals(company.id)
        if account is None or account.rental(old.id) is None:
            raise RuleViolation("The device has no active rental to hand over.")
        self.core.check_version(ctx, account)
        account.swap(old.id, new.id, self._today(company, ctx.cause.at), cause=ctx.cause)
        old.swap_rental(new.id, cause=ctx.cause)
        return self.core.commit(ctx, account, old, created=False)

    def licence(self, caller: Caller, device_id: UUID, now: datetime) -> LicenceFacts:
        """A rented device's licence, valid to the end of its last paid day. A suspended or
        ended rental gets none: its last licence runs out by itself."""
        device = self.devices.get(caller, device_id)
        caller.require(*ACCOUNT_HOLDERS)
        company = self.core.load(Company, device.company_id, "Company")
        account = self.account_for_rentals(company.id)
        rental = None if account is None else account.rental(device.id)
        if account is None or rental is None:
            raise RuleViolation("The device has no active rental: no licence is issued.")
        if account.is_suspended:
            raise RuleViolation("The rental is suspended: redeem credits to renew its licence.")
        return LicenceFacts(
            device_id=device.id,
            serial=device.serial,
            company_id=company.id,
            valid_until=local_midnight(
                rental["paid_through"] + timedelta(days=1), company.time_zone
            ),
            issued_at=now,
        )

    def account(self, caller: Caller, company_id: UUID) -> RentalAccount | None:
        """The company's account, None before its first use."""
        company = self._company(caller, company_id)
        try:
            return self.core.load(RentalAccount, account_id_for(company.id), "Rental account")
        except NotFound:
            return None

    def advance(self, account_id: UUID, now: datetime) -> int:
        """The scheduler's job: charge each day due up to today. Returns the new events."""
        account = self.core.load(RentalAccount, account_id, "Rental account")
        company = self.core.load(Company, account.company_id, "Company")
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"scheduler-{now.isoformat()}")
        account.catch_up(self._today(company, now), cause=cause)
        pending = len(account.pending_events)
        if pending:
            self.core.save_and_announce(account)
        return pending

    # ------------------------------------------------------------------- helpers

    def _company(self, caller: Caller, company_id: UUID) -> Company:
        company = self.companies.get(caller, company_id)
        caller.require(*ACCOUNT_HOLDERS)
        return company

    def _redeemable(self, hashed: str) -> ActivationKey:
        try:
            return self.core.load(ActivationKey, key_id_for(hashed), "")
        except NotFound:
            raise NotRedeemable from None

    def _account(self, company_id: UUID, cause: Cause) -> tuple[RentalAccount, bool]:
        """The company's account, opened (unsaved) on first use."""
        try:
            account = self.core.load(RentalAccount, account_id_for(company_id), "")
        except NotFound:
            return RentalAccount.open(company_id=company_id, cause=cause), True
        return account, False

    def account_for_rentals(self, company_id: UUID) -> RentalAccount | None:
        """The account a rental device's swap or end changes, if the company has one."""
        try:
            return self.core.load(RentalAccount, account_id_for(company_id), "")
        except NotFound:
            return None

    @staticmethod
    def _today(company: Company, now: datetime) -> date:
        return local_date(now, company.time_zone)

    def today(self, company_id: UUID, now: datetime) -> date:
        return self._today(self.core.load(Company, company_id, "Company"), now)
