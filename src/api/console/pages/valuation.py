"""The valuation page of a category: the standard and the custom curve as a server-side SVG
chart, and a form that saves a custom curve through the application's command (the one the
API's POST …/valuation/{category}/curve runs), so the prices are recalculated the same way.

The form edits the curve at fixed ages, a point a year (ADR 0043): a curve saved through
the API with other anchors shows its values at those ages, and saving replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.bootstrap import Container
from api.console.pages.forms import percent_field
from api.console.valuation_chart import valuation_svg
from domain.application import CommandContext
from domain.model.actor import Caller
from domain.model.valuation import STANDARD_CURVES, Curve

FORM_MONTHS = (0, 12, 24, 36, 48, 60)
CHART_MONTHS = 60


def categories(c: Container, caller: Caller, company_id: UUID) -> list[str]:
    """The categories with a standard curve, then those the company has settings for."""
    company = c.app.companies.get(caller, company_id)
    own = sorted(set(company.valuation) - set(STANDARD_CURVES))
    return [*STANDARD_CURVES, *own]


def valuation_details(
    c: Container, caller: Caller, company_id: UUID, category: str
) -> dict[str, Any]:
    """The chart of the two curves, and what the form starts from: the custom curve's
    percents at the form's ages (else the standard's, else a straight 100 → floor)."""
    chart = c.app.valuation.chart(caller, company_id, category, CHART_MONTHS)
    standard, custom = chart["standard"], chart["custom"]
    assert standard is None or isinstance(standard, list)
    assert custom is None or isinstance(custom, list)
    company = c.app.companies.get(caller, company_id)
    settings = company.category_valuation(str(chart["category"]))
    curve = settings.custom_curve if settings and settings.custom_curve else None
    shown = custom or standard
    start = dict(shown) if shown else {m: Decimal(100) for m in FORM_MONTHS}
    return {
        "category": chart["category"],
        "automatic": chart["automatic"],
        "svg": valuation_svg(str(chart["category"]), standard, custom),
        "rows": _rows(standard, custom),
        "form": {
            "points": [(m, start[m]) for m in FORM_MONTHS],
            "floor": curve.floor if curve else _standard_floor(str(chart["category"])),
        },
        "has_custom": custom is not None,
        "company": company,
    }


def curve_from_form(form: Mapping[str, str]) -> Curve:
    """The curve the form describes: a percent per age in FORM_MONTHS, and the floor."""
    points = tuple(
        (m, percent_field(form, f"percent_{m}", f"Percent at {m} months")) for m in FORM_MONTHS
    )
    return Curve(points=points, floor=percent_field(form, "floor", "Floor"))


def save_curve(
    c: Container, ctx: CommandContext, company_id: UUID, category: str, form: Mapping[str, str]
) -> int:
    """Save the form's curve as the category's custom curve; the log position reached."""
    outcome = c.app.valuation.save_custom_curve(ctx, company_id, category, curve_from_form(form))
    return outcome.position


def clear_curve(c: Container, ctx: CommandContext, company_id: UUID, category: str) -> int:
    """Back to the standard curve."""
    return c.app.valuation.clear_custom_curve(ctx, company_id, category).position


def _rows(
    standard: list[tuple[int, Decimal]] | None, custom: list[tuple[int, Decimal]] | None
) -> list[tuple[int, Decimal | None, Decimal | None]]:
    """The chart as a table (a year per row), for those who read rather than look."""
    s, k = dict(standard or []), dict(custom or [])
    return [(m, s.get(m), k.get(m)) for m in FORM_MONTHS]


def _standard_floor(category: str) -> Decimal:
    standard = STANDARD_CURVES.get(category)
    return standard.floor if standard else Decimal(10)
