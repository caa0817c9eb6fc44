"""Devices: registration, assignment, reads with tenancy."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.application.base import CommandContext, Outcome, command
from domain.application.tenants import TenantCommands
from domain.model.actor import DEVICE_MANAGERS, Caller, Role
from domain.model.device import ContractType, Device
from domain.model.errors import InvalidValue, NotFound
from domain.model.member import Member
from domain.model.money import Money


class DeviceCommands(TenantCommands):
    """Devices belong to companies, so these commands build on the tenant commands."""

    @command
    def register_device(
        self,
        ctx: CommandContext,
        *,
        company_id: UUID,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
    ) -> Outcome:
        company = self.company(ctx.caller, company_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        if company_cost.currency != company.currency:
            raise InvalidValue(
                f"The company cost must be in the company's currency ({company.currency})."
            )
        device = Device.register(
            device_id=uuid4(),
            company_id=company_id,
            serial=serial,
            model=model,
            category=category,
            company_cost=company_cost,
            contract_type=contract_type,
            lease_start=lease_start,
            renewal_date=renewal_date,
            cause=ctx.cause,
        )
        claim = self._claim("device-serial", company_id, device.serial, device.id, ctx.cause)
        return self._commit(ctx, "register_device", device, claim, created=True)

    @command
    def assign_device(self, ctx: CommandContext, device_id: UUID, member_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        member = self._load(Member, member_id, "Member")
        if member.company_id != device.company_id:
            raise NotFound("Member not found.")
        self._check_version(ctx, device)
        device.assign(member.id, cause=ctx.cause)
        return self._commit(ctx, "assign_device", device, created=False)

    @command
    def unassign_device(self, ctx: CommandContext, device_id: UUID) -> Outcome:
        device = self.device(ctx.caller, device_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        self._check_version(ctx, device)
        device.unassign(cause=ctx.cause)
        return self._commit(ctx, "unassign_device", device, created=False)

    def device(self, caller: Caller, device_id: UUID, version: int | None = None) -> Device:
        device = self._load(Device, device_id, "Device", version)
        caller.require_company(device.company_id, "Device")
        if caller.role == Role.EMPLOYEE and device.assignee_id != caller.member_id:
            raise NotFound("Device not found.")  # employees see only their own devices
        return device
