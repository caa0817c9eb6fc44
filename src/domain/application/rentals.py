"""Rentals: an RMA swap to a new unit, and the end of a rental (the account's side too)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.application.credits import Credits
from domain.application.devices import Devices
from domain.model.device import ContractType, Device, normalise_serial
from domain.model.rental_account import RentalAccount
from domain.ports import IdSource


@dataclass(frozen=True, eq=False)
class Rentals:
    core: ApplicationCore
    ids: IdSource
    devices: Devices
    credits: Credits

    @command("swap_rental")
    def swap(self, ctx: CommandContext, device_id: UUID, *, serial: str, model: str) -> Outcome:
        """RMA swap: a new unit takes over the rental (same category, cost and assignee) in
        the same transaction as the old one leaves it — no gap, no double charge."""
        old = self.devices.managed(ctx, device_id)
        serial = normalise_serial(serial)  # the unit is in hand: its serial is known
        new = Device.register(
            device_id=self.ids.new_id(),
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
        claim = self.core.claim("device-serial", old.company_id, new.serial, new.id, ctx.cause)
        accounts = self._account_of(old)
        for account in accounts:
            today = self.credits.today(old.company_id, ctx.cause.at)
            account.swap(old.id, new.id, today, cause=ctx.cause)
        return self.core.commit(ctx, new, old, claim, *accounts, created=True)

    @command("deactivate_rental")
    def deactivate(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.deactivate_rental(cause=ctx.cause)
        accounts = self._account_of(device)
        for account in accounts:
            today = self.credits.today(device.company_id, ctx.cause.at)
            account.deactivate(device.id, today, cause=ctx.cause)
        return self.core.commit(ctx, device, *accounts, created=False)

    def _account_of(self, device: Device) -> list[RentalAccount]:
        """The company's rental account, when it rents this device (paid by credits)."""
        account = self.credits.account_for_rentals(device.company_id)
        return [] if account is None or account.rental(device.id) is None else [account]
