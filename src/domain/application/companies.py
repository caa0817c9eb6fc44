"""Companies (tenants): registration, details and settings, reads with tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Unpack
from uuid import UUID

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import Caller, Role
from domain.model.company import Company, NewCompany
from domain.model.management_rights import ManagementRight
from domain.ports import IdSource


@dataclass(frozen=True, eq=False)
class Companies:
    core: ApplicationCore
    ids: IdSource

    @command("register_company")
    def register(self, ctx: CommandContext, **new: Unpack[NewCompany]) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        company = Company.register(company_id=self.ids.new_id(), cause=ctx.cause, **new)
        return self.core.commit(ctx, company, created=True)

    @command("change_company")
    def change(
        self,
        ctx: CommandContext,
        company_id: UUID,
        *,
        name: str | None = None,
        vat_rate: Decimal | None = None,
        time_zone: str | None = None,
        settings: dict[str, Any] | None = None,
        management_right: ManagementRight | None = None,
    ) -> Outcome:
        company = self.get(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        if management_right is not None:  # the provider grants them, never the company itself
            ctx.caller.require(Role.OPERATOR)
        self.core.check_version(ctx, company)
        company.change(
            name=name, vat_rate=vat_rate, time_zone=time_zone, settings=settings, cause=ctx.cause
        )
        if management_right is not None:
            company.grant_management_right(management_right, cause=ctx.cause)
        return self.core.commit(ctx, company, created=False)

    def get(self, caller: Caller, company_id: UUID, version: int | None = None) -> Company:
        """The company, for any caller of it (commands check the role themselves)."""
        caller.require_company(company_id, "Company")
        return self.core.load(Company, company_id, "Company", version)

    def read(self, caller: Caller, company_id: UUID, version: int | None = None) -> Company:
        """Company details are for its admins and integrations, and for operators."""
        company = self.get(caller, company_id, version)
        caller.require(Role.OPERATOR, Role.ADMIN, Role.SERVICE)
        return company
