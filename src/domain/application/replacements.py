"""After the decision: the replacement device (its registration, delivery, receipt and
serial), the release of a bought device — with the admins' Monday digest of those ready —,
the confirmed return, and removal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Unpack
from uuid import UUID

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.application.members import Members
from domain.model.actor import Role
from domain.model.company import Company
from domain.model.device import Device, NewDevice
from domain.model.device_lifecycle import RELEASABLE, holds, offboarding_due
from domain.model.due import SCHEDULER, digest_week
from domain.model.end_of_lease import offboarding_release_from
from domain.model.errors import NotAllowed
from domain.model.events import Cause
from domain.model.member import Member
from domain.ports import IdSource


@dataclass(frozen=True, eq=False)
class Replacements:
    core: ApplicationCore
    ids: IdSource
    devices: Devices
    members: Members

    # ------------------------------------------------------------- the replacement

    @command("register_replacement")
    def register(
        self, ctx: CommandContext, old_device_id: UUID, **new_device: Unpack[NewDevice]
    ) -> Outcome:
        """A new device linked as `replacement_for` the old one; it awaits receipt and takes
        over the old one's assignee."""
        old = self.devices.managed(ctx, old_device_id)
        new = Device.register(
            device_id=self.ids.new_id(),
            company_id=old.company_id,
            replacement_for=old.id,
            cause=ctx.cause,
            **new_device,
        )
        if old.assignee_id is not None:
            new.assign(old.assignee_id, cause=ctx.cause)
        old.link_replacement(new.id, cause=ctx.cause)
        claims = (
            [self.core.claim("device-serial", old.company_id, new.serial, new.id, ctx.cause)]
            if new.serial
            else []
        )
        return self.core.commit(ctx, new, old, *claims, created=True)

    @command("report_delivered")
    def report_delivered(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        company = self.core.load(Company, device.company_id, "Company")
        device.report_delivered(
            auto_mark_received=bool(company.settings.get("auto_mark_received")), cause=ctx.cause
        )
        return self.core.commit(ctx, device, created=False)

    @command("mark_received")
    def mark_received(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device, company = self.devices.for_employee_or_manager(ctx, device_id)
        if ctx.caller.role == Role.EMPLOYEE and not company.settings.get("employees_mark_received"):
            raise NotAllowed("Your company lets only its admins mark devices received.")
        device.mark_received(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("record_serial")
    def record_serial(self, ctx: CommandContext, device_id: UUID, serial: str) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.record_serial(serial, cause=ctx.cause)
        claim = self.core.claim(
            "device-serial", device.company_id, device.serial, device.id, ctx.cause
        )
        return self.core.commit(ctx, device, claim, created=False)

    # ------------------------------------------------- release, return, removal

    @command("release_device")
    def release(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        """Admins and service accounts only (SPEC §1)."""
        device = self.devices.managed(ctx, device_id)
        company = self.core.load(Company, device.company_id, "Company")
        device.release(
            replacement=self._replacement(device),
            offboarding_release_from=self._offboarding_from(device, company),
            cause=ctx.cause,
        )
        return self.core.commit(ctx, device, created=False)

    @command("confirm_return")
    def confirm_return(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.confirm_return(replacement=self._replacement(device), cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("remove_device")
    def remove(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.remove(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    def release_unmet(self, device: Device, company: Company, now: datetime) -> list[str]:
        """What still stands between a bought device and its release (none once the buyer's
        offboarding release date has come)."""
        if offboarding_due(self._offboarding_from(device, company), now):
            return []
        return device.unmet_release_criteria(self._replacement(device))

    def send_release_digest(self, company_id: UUID, candidates: list[UUID], now: datetime) -> bool:
        """Monday 09:00: email the admins the devices ready to release, once per week."""
        company = self.core.load(Company, company_id, "Company")
        week = digest_week(now, company.time_zone)
        if company.last_digest_week == week:
            return False  # sent already; the scheduler asks every tick of the Monday
        ready = []
        for device_id in candidates:
            device = self.core.load(Device, device_id, "Device")
            if device.company_id != company.id:
                continue
            if holds(RELEASABLE, device) and not self.release_unmet(device, company, now):
                buyer = (
                    self.core.load(Member, device.buyer_id, "Member") if device.buyer_id else None
                )
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
        admins = self.members.admin_emails(company.id)  # only when sending
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"digest-{company.id}-{week}")
        if not company.send_release_digest(week, ready, admins, cause=cause):
            return False
        self.core.save_and_announce(company)
        return True

    # ------------------------------------------------------------------ helpers

    def _replacement(self, device: Device) -> Device | None:
        if device.replacement_id is None:
            return None
        return self.core.load(Device, device.replacement_id, "Device")

    def _offboarding_from(self, device: Device, company: Company) -> datetime | None:
        if device.buyer_id is None:
            return None
        buyer = self.core.load(Member, device.buyer_id, "Member")
        if buyer.last_employment_day is None:
            return None
        return offboarding_release_from(buyer.last_employment_day, company.time_zone)
