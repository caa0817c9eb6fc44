"""The buyout price's inputs (a device's manual price and availability, a company's
automatic valuation and custom curve per category), the chart that compares the curves, and
the company's terms a device prices itself with (`buyout_price.device_quote`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.application.devices import Devices
from domain.model.actor import Caller, Role
from domain.model.buyout_price import BuyoutTerms, Quote, device_quote
from domain.model.company import Company
from domain.model.device import Device
from domain.model.money import Money
from domain.model.valuation import Curve, chart, standard_curve


@dataclass(frozen=True, eq=False)
class Valuation:
    core: ApplicationCore
    companies: Companies
    devices: Devices

    def terms(self, company: Company) -> BuyoutTerms:
        """The company's inputs to its devices' prices and windows, which each device applies
        itself (domain.model.buyout_price.device_quote)."""
        valuations = {c: company.category_valuation(c) for c in company.valuation}
        return BuyoutTerms(
            time_zone=company.time_zone,
            buyout_enabled=bool(company.settings.get("device_buyout")),
            valuations={c: v for c, v in valuations.items() if v is not None},
        )

    def price_of(self, device: Device, company: Company, at: datetime) -> Quote | None:
        """The device's buyout price at `at`: the one price function every view and command
        uses."""
        return device_quote(device, self.terms(company), at)

    def chart(
        self, caller: Caller, company_id: UUID, category: str, months: int = 60
    ) -> dict[str, object]:
        """The standard and the custom curve month by month, for a chart to compare."""
        company = self.companies.get(caller, company_id)
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

    # ------------------------------------------------------------- a device's price

    @command("set_buyout_price")
    def set_buyout_price(
        self, ctx: CommandContext, device_id: UUID, amount: Money | None
    ) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.set_buyout_price(amount, source="api", cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    @command("set_buyout_availability")
    def set_buyout_availability(
        self, ctx: CommandContext, device_id: UUID, available: bool
    ) -> Outcome:
        device = self.devices.managed(ctx, device_id)
        device.set_buyout_availability(available, cause=ctx.cause)
        return self.core.commit(ctx, device, created=False)

    # ----------------------------------------------------- a company's valuation

    @command("set_automatic_valuation")
    def set_automatic(
        self, ctx: CommandContext, company_id: UUID, category: str, enabled: bool
    ) -> Outcome:
        company = self._valuing(ctx, company_id)
        company.set_automatic_valuation(category, enabled, cause=ctx.cause)
        return self.core.commit(ctx, company, created=False)

    @command("save_custom_curve")
    def save_custom_curve(
        self, ctx: CommandContext, company_id: UUID, category: str, curve: Curve
    ) -> Outcome:
        company = self._valuing(ctx, company_id)
        company.save_custom_curve(category, curve, cause=ctx.cause)
        return self.core.commit(ctx, company, created=False)

    @command("clear_custom_curve")
    def clear_custom_curve(self, ctx: CommandContext, company_id: UUID, category: str) -> Outcome:
        company = self._valuing(ctx, company_id)
        company.clear_custom_curve(category, cause=ctx.cause)
        return self.core.commit(ctx, company, created=False)

    def _valuing(self, ctx: CommandContext, company_id: UUID) -> Company:
        """A company's valuation is set by its admins (and operators)."""
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        return company
