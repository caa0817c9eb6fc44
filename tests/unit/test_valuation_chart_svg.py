"""The console's valuation chart: server-side SVG of the standard and the custom curve."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from api.console.valuation_chart import valuation_svg
from domain.model.valuation import Curve, chart, standard_curve

SVG = "{http://www.w3.org/2000/svg}"


def phone_standard() -> list[tuple[int, Decimal]]:
    curve = standard_curve("phone")
    assert curve is not None
    return chart(curve, 60)


def custom(points: list[tuple[int, str]], floor: str = "10") -> list[tuple[int, Decimal]]:
    curve = Curve(points=tuple((m, Decimal(p)) for m, p in points), floor=Decimal(floor))
    return chart(curve, 60)


def polylines(svg: str) -> dict[str, list[tuple[float, float]]]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    found = {}
    for line in root.iter(f"{SVG}polyline"):
        pairs = [p.split(",") for p in line.attrib["points"].split()]
        found[line.attrib["data-curve"]] = [(float(x), float(y)) for x, y in pairs]
    return found


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_both_curves_are_drawn_with_a_point_per_month() -> None:
    svg = valuation_svg("phone", phone_standard(), custom([(0, "90"), (60, "20")]))
    lines = polylines(svg)
    assert set(lines) == {"standard", "custom"}
    assert len(lines["standard"]) == 61
    assert len(lines["custom"]) == 61
    assert "Standard" in texts(svg)
    assert "Custom" in texts(svg)


def test_axes_are_labelled_in_months_and_percent() -> None:
    labels = texts(valuation_svg("phone", phone_standard(), None))
    assert "Age (months)" in labels
    assert "% of company cost" in labels
    for month in ("0", "12", "24", "36", "48", "60"):
        assert month in labels
    for percent in ("0 %", "20 %", "100 %"):
        assert percent in labels


def test_a_higher_curve_is_drawn_higher() -> None:
    """SVG's y grows downwards: 100 % is at the top, so a higher value has a smaller y."""
    lines = polylines(
        valuation_svg("phone", phone_standard(), custom([(0, "100"), (60, "60")], floor="60"))
    )
    standard, mine = lines["standard"], lines["custom"]
    assert standard[0] == mine[0]  # both start at 100 % at month 0
    assert mine[60][1] < standard[60][1]  # 60 % is above the standard 10 %
    assert standard[0][0] < standard[60][0]  # months run left to right


def test_the_custom_curve_changes_with_its_points() -> None:
    before = polylines(valuation_svg("phone", phone_standard(), custom([(0, "90"), (60, "20")])))
    after = polylines(valuation_svg("phone", phone_standard(), custom([(0, "90"), (60, "40")])))
    assert before["standard"] == after["standard"]
    assert before["custom"] != after["custom"]
    assert before["custom"][0] == after["custom"][0]  # month 0 is 90 % in both


def test_without_a_custom_curve_only_the_standard_is_drawn() -> None:
    svg = valuation_svg("phone", phone_standard(), None)
    assert set(polylines(svg)) == {"standard"}
    assert "Custom" not in texts(svg)
    assert "no custom curve" in svg


def test_the_category_is_text_not_markup() -> None:
    svg = valuation_svg('<script>alert(1)</script>"><img onerror=x>', None, None)
    assert "<script>" not in svg
    assert "<img" not in svg
    title = ET.fromstring(svg).find(f"{SVG}title")
    assert title is not None
    assert title.text is not None
    assert "<script>alert(1)</script>" in title.text  # shown as the text it is
