"""Valuation: a device's manual buyout price and availability
(/v1/devices/{id}/buyout-price, …/buyout-availability), and a company's automatic valuation
and custom curves per category, with the chart that compares them
(/v1/companies/{id}/valuation/{category})."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute
from api.http.schemas import NoBody
from api.http.schemas.devices import DEVICE
from api.http.schemas.valuation import (
    COMPANY_VALUATION,
    AutomaticValuationIn,
    BuyoutAvailabilityIn,
    BuyoutPriceIn,
    CurveIn,
    ValuationChartOut,
    chart_out,
)
from domain.application import Outcome

router = APIRouter(tags=["end of lease"], route_class=DocumentedRoute)
device = CommandRoutes(router, "/v1/devices/{device_id}", DEVICE)
VALUATION = "/v1/companies/{company_id}/valuation/{category}"
valuation = CommandRoutes(router, VALUATION, COMPANY_VALUATION)


@device.post("/buyout-price", "Set or clear the manual buyout price")
def buyout_price(app: App, ctx: Ctx, device_id: UUID, body: BuyoutPriceIn) -> Outcome:
    amount = body.amount.to_money() if body.amount else None
    return app.valuation.set_buyout_price(ctx, device_id, amount)


@device.post("/buyout-availability", "Offer (or not) a buyout of this device")
def buyout_availability(app: App, ctx: Ctx, device_id: UUID, body: BuyoutAvailabilityIn) -> Outcome:
    return app.valuation.set_buyout_availability(ctx, device_id, body.available)


@router.get(
    VALUATION,
    summary="Standard and custom curve month by month, for a chart",
    response_model=ValuationChartOut,
)
def valuation_chart(
    company_id: UUID, category: str, who: CallerDep, c: ContainerDep
) -> dict[str, Any]:
    return chart_out(c.app.valuation.chart(who, company_id, category))


@valuation.post("/automatic", "Turn automatic valuation on or off")
def automatic_valuation(
    app: App, ctx: Ctx, company_id: UUID, category: str, body: AutomaticValuationIn
) -> Outcome:
    return app.valuation.set_automatic(ctx, company_id, category, body.enabled)


@valuation.post("/curve", "Save a custom curve (recalculates the prices)")
def save_curve(app: App, ctx: Ctx, company_id: UUID, category: str, body: CurveIn) -> Outcome:
    return app.valuation.save_custom_curve(ctx, company_id, category, body.to_curve())


@valuation.post("/curve/clear", "Back to the standard curve")
def clear_curve(app: App, ctx: Ctx, company_id: UUID, category: str, _: NoBody) -> Outcome:
    return app.valuation.clear_custom_curve(ctx, company_id, category)
