"""The valuation page of a category: the standard and the custom curve as a server-side SVG
chart, and a form that saves a custom curve through the application's command (the one the
API's POST …/valuation/{category}/curve runs), so the prices are recalculated the same way.

The form edits the curve at fixed ages, a point a year (ADR 0043): a curve saved through
the API with other anchors shows its values at those ages, and saving replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Path, Request, Response
from fastapi.responses import RedirectResponse

from api.bootstrap import Container
from api.console.forms import CsrfForm
from api.console.pages.forms import percent_field
from api.console.pages.viewing import chosen_company, command_context
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ConsoleViewer, ViewerDep, container_of
from api.console.valuation_chart import valuation_svg
from domain.application import CommandContext
from domain.model.actor import Caller
from domain.model.errors import InvalidValue
from domain.model.valuation import STANDARD_CURVES, Curve

router = console_pages()
FORM_MONTHS = (0, 12, 24, 36, 48, 60)
CHART_MONTHS = 60
# A category as a path segment: device categories are free text, but never a slash.
Category = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[^/]+$")]


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


@router.get("/valuation")
def first_category(request: Request, viewer: ViewerDep) -> Response:
    """The valuation pages start at the first category."""
    first = categories(container_of(request), viewer.caller, chosen_company(viewer))[0]
    return RedirectResponse(f"/console/valuation/{quote(first)}", status_code=303)


@router.get("/valuation/{category}")
def valuation_page(request: Request, viewer: ViewerDep, category: Category) -> Response:
    saved = {
        "saved": "Custom curve saved: the category's prices are recalculated.",
        "cleared": "Back to the standard curve.",
    }.get(request.query_params.get("done", ""))
    return _page(request, viewer, category, saved=saved)


@router.post("/valuation/{category}/curve")
def save_curve_form(
    request: Request, viewer: ViewerDep, form: CsrfForm, category: Category
) -> Response:
    c = container_of(request)
    company_id = chosen_company(viewer)
    try:
        save_curve(c, command_context(c, viewer), company_id, category, form)
    except InvalidValue as refused:  # the form again, with what was typed and why not
        return _page(request, viewer, category, error=str(refused), typed=form, status_code=400)
    return _back(category, "saved")


@router.post("/valuation/{category}/curve/clear")
def clear_curve_form(
    request: Request, viewer: ViewerDep, _: CsrfForm, category: Category
) -> Response:
    c = container_of(request)
    clear_curve(c, command_context(c, viewer), chosen_company(viewer), category)
    return _back(category, "cleared")


def _page(
    request: Request,
    viewer: ConsoleViewer,
    category: str,
    *,
    saved: str | None = None,
    error: str | None = None,
    typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    c = container_of(request)
    company_id = chosen_company(viewer)
    details = valuation_details(c, viewer.caller, company_id, category)
    if typed is not None:  # a refused form shows what was typed, not the saved curve
        details["form"] = {
            "points": [(m, typed.get(f"percent_{m}", "")) for m in FORM_MONTHS],
            "floor": typed.get("floor", ""),
        }
    return render(
        request,
        viewer,
        "console/valuation.html",
        status_code=status_code,
        categories=categories(c, viewer.caller, company_id),
        saved=saved,
        error=error,
        **details,
    )


def _back(category: str, done: str) -> Response:
    """Post, redirect, get: a reload does not post the form again."""
    return RedirectResponse(f"/console/valuation/{quote(category)}?done={done}", status_code=303)
