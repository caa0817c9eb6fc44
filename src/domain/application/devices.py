"""Devices: registration, assignment, reads with tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack
from uuid import UUID

from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import DEVICE_MANAGERS, Caller, Role
from domain.model.company import Company
from domain.model.device import Device, NewDevice
from domain.model.errors import InvalidValue, NotFound
from domain.model.member import Member
from domain.ports import IdSource


@dataclass(frozen=True, eq=False)
class Devices:
    core: ApplicationCore
    ids: IdSource
    companies: Companies

    @command("register_device")
    def register(
        self, ctx: CommandContext, *, company_id: UUID, **new: Unpack[NewDevice]
    ) -> Outcome:
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        if new["company_cost"].currency != company.currency:
            raise InvalidValue(
                f"The company cost must be in the company's currency ({company.currency})."
            )
        device = Device.register(
            device_id=self.ids.new_id(), company_id=company_id, cause=ctx.cause, **new
        )
        claim = self.core.claim("device-serial", company_id, device.serial, device.id, ctx.cause)
        return self.core.commit(ctx, device, claim, created=True)

    @command("assign_device")
    def assign(self, ctx: CommandContext, device_id: UUID, member_id: UUID) -> Outcome:
        device = self.managed(ctx, device_id)
        member = self.core.load(Member, member_id, "Member")
        if member.company_id != device.company_id:
            raise NotFound("Member not found.")
        self.core.check_version(ctx, device)
        device.assign(member.id, cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("unassign_device")
    def unassign(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.managed(ctx, device_id)
        self.core.check_version(ctx, device)
        device.unassign(cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    def get(self, caller: Caller, device_id: UUID, version: int | None = None) -> Device:
        device = self.core.load_owned(caller, Device, device_id, "Device", version)
        if caller.role == Role.EMPLOYEE and device.assignee_id != caller.member_id:
            raise NotFound("Device not found.")  # employees see only their own devices
        return device

    def managed(self, ctx: CommandContext, device_id: UUID) -> Device:
        """A device for a command of its company's admins and integrations (SPEC §1)."""
        device = self.get(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        return device

    def for_employee_or_manager(
        self, ctx: CommandContext, device_id: UUID
    ) -> tuple[Device, Company]:
        """Employees act on their own devices (others are invisible: 404); admins, services
        and operators act on their company's devices on the employee's behalf."""
        device = self.get(ctx.caller, device_id)
        ctx.caller.require(Role.EMPLOYEE, *DEVICE_MANAGERS)
        self.core.check_version(ctx, device)
        return device, self.core.load(Company, device.company_id, "Company")
