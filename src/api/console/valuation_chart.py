"""The valuation chart as server-side SVG: the standard and the custom curve of a category,
percent of the company cost by age in months (seed 000: "compare your custom valuation
with the standard one").

A pure function of the points the application's chart gives (`Valuation.chart`), so the
page needs no JavaScript and a test can read the curves out of the markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

Points = Sequence[tuple[int, Decimal]]

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48  # room for the axis labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
PERCENT_TICKS = (0, 20, 40, 60, 80, 100)
MONTH_STEP = 12  # a tick a year
# Presentation attributes, not CSS: they need no stylesheet and no inline <style>, which a
# strict Content-Security-Policy would block. Dashed grey standard, solid blue custom.
STROKES = {
    "standard": 'stroke="#5f6368" stroke-width="2" stroke-dasharray="6 4"',
    "custom": 'stroke="#1a56db" stroke-width="3"',
}
TEXT = 'font-family="sans-serif" font-size="12" fill="#333"'


def valuation_svg(category: str, standard: Points | None, custom: Points | None) -> Markup:
    """An accessible SVG line chart (role img, a title and a description) with one
    polyline per curve present (`data-curve="standard"`/`"custom"`), axis labels in months
    and percent, and a legend."""
    months = max((p[-1][0] for p in (standard, custom) if p), default=60) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        ' class="valuation-chart" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">Valuation of {escape(category)}: standard and custom'
        " curve</title>",
        f'<desc id="chart-desc">{escape(_description(standard, custom))}</desc>',
        *_axes(months),
    ]
    for name, points in (("standard", standard), ("custom", custom)):
        if points:
            parts.append(
                f'<polyline data-curve="{name}" class="curve curve-{name}" fill="none"'
                f' {STROKES[name]} points="{_polyline(points, months)}"/>'
            )
    parts.extend(_legend(standard is not None, custom is not None))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text inside was escaped above


def _x(month: int, months: int) -> float:
    return LEFT + PLOT_W * month / months


def _y(percent: Decimal | int) -> float:
    return TOP + PLOT_H * (1 - float(percent) / 100)


def _polyline(points: Points, months: int) -> str:
    return " ".join(f"{_x(m, months):.1f},{_y(p):.1f}" for m, p in points)


def _axes(months: int) -> list[str]:
    """Grid lines with percent labels on the left, month ticks below, and both axis titles."""
    out = ['<g class="axes">']
    for percent in PERCENT_TICKS:
        y = _y(percent)
        out.append(
            f'<line class="grid" stroke="#ddd" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}"'
            f' y2="{y:.1f}"/>'
            f'<text class="tick" {TEXT} x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{percent} %</text>"
        )
    for month in range(0, months + 1, MONTH_STEP):
        x = _x(month, months)
        out.append(
            f'<line class="axis" stroke="#333" x1="{x:.1f}" y1="{TOP + PLOT_H}" x2="{x:.1f}"'
            f' y2="{TOP + PLOT_H + 4}"/>'
            f'<text class="tick" {TEXT} x="{x:.1f}" y="{TOP + PLOT_H + 18}"'
            ' text-anchor="middle">'
            f"{month}</text>"
        )
    out.append(
        f'<text class="axis-label" {TEXT} x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - 6}"'
        ' text-anchor="middle">Age (months)</text>'
        f'<text class="axis-label" {TEXT} x="14" y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle"'
        f' transform="rotate(-90 14 {TOP + PLOT_H / 2:.1f})">% of company cost</text>'
        "</g>"
    )
    return out


def _legend(has_standard: bool, has_custom: bool) -> list[str]:
    entries = [("standard", "Standard")] * has_standard + [("custom", "Custom")] * has_custom
    out = []
    for i, (name, label) in enumerate(entries):
        x = WIDTH - RIGHT - 200 + i * 100
        out.append(
            f'<line class="curve curve-{name}" {STROKES[name]} x1="{x}" y1="{TOP + 8}"'
            f' x2="{x + 24}" y2="{TOP + 8}"/>'
            f'<text class="legend" {TEXT} x="{x + 30}" y="{TOP + 12}">{label}</text>'
        )
    return out


def _description(standard: Points | None, custom: Points | None) -> str:
    """What a screen reader hears instead of the lines: each curve's first and last value."""

    def said(name: str, points: Points | None) -> str:
        if not points:
            return f"no {name} curve"
        (m0, p0), (m1, p1) = points[0], points[-1]
        return f"{name} curve from {p0} % at {m0} months to {p1} % at {m1} months"

    return "; ".join([said("standard", standard), said("custom", custom)]) + "."
