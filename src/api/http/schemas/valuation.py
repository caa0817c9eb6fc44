"""A device's manual buyout price and availability; a company's valuation per category."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, StrictBool, StrictInt

from api.http.responses import Resource
from api.http.schemas.common import Body, MoneyIn, Versioned
from api.http.schemas.companies import CompanyOut, company_out
from domain.model.company import Company
from domain.model.valuation import Curve


class BuyoutPriceIn(Versioned):
    amount: MoneyIn | None = Field(description="null clears the manual price")


class BuyoutAvailabilityIn(Versioned):
    available: StrictBool


class AutomaticValuationIn(Versioned):
    enabled: StrictBool


class CurveIn(Versioned):
    points: list[tuple[StrictInt, Decimal]] = Field(
        min_length=2, max_length=200, description="[[age in months, percent of cost], …]"
    )
    floor: Decimal

    def to_curve(self) -> Curve:
        return Curve(points=tuple(self.points), floor=self.floor)


class CompanyWithValuationOut(CompanyOut):
    valuation: dict[str, dict[str, object]] = Field(description="settings per category")


def valuation_out(company: Company) -> dict[str, Any]:
    """The company, with its valuation settings per category."""
    return company_out(company) | {"valuation": company.valuation}


COMPANY_VALUATION = Resource(Company, valuation_out, CompanyWithValuationOut)


class ChartPoint(Body):
    month: int = Field(description="age in months")
    percent: str = Field(description="percent of the cost, a decimal string")


class ValuationChartOut(Body):
    category: str
    automatic: bool = Field(description="whether automatic valuation is on for the category")
    standard: list[ChartPoint] | None = Field(description="null: no standard curve")
    custom: list[ChartPoint] | None = Field(description="null: no custom curve")


def chart_out(chart: dict[str, object]) -> dict[str, object]:
    """The curves' points as {month, percent} (the percent a decimal string)."""
    out = dict(chart)
    for key in ("standard", "custom"):
        points = out[key]
        if isinstance(points, list):
            out[key] = [{"month": m, "percent": str(p)} for m, p in points]
    return out
