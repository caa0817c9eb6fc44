"""Rentals: an RMA swap to a new unit, and the end of a rental."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.model.device import ContractType, Device, normalise_serial
from domain.ports import IdSource


@dataclass(frozen=True, eq=False)
class Rentals:
    core: ApplicationCore
    ids: IdSource
    devices: Devices

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
        return self.core.commit(ctx, new, old, claim, created=True)

    @command("deactivate_rental")
    def deactivate(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.deactivate_rental(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)
