"""Buyout valuation (SPEC §2.1): a depreciation curve of company cost by age, with a floor.

A curve is anchor points (age in completed months → percent of company cost) joined by
straight lines, flat after the last point, and never below its floor. The price is
company cost × percent, rounded half-up once to whole currency units (not öre): a buyout
is quoted as "3 420 SEK". Percentages stay exact (Fraction) until that one rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from domain.model.errors import InvalidValue
from domain.model.money import Money, exponent, round_half_up
from domain.model.time import completed_months

# A century. No device depreciates for longer, and it bounds the work `chart` does for input
# that reaches it from the API.
MAX_MONTHS: Final = 1200

# Percentages are typed by admins as at most two decimals (28.5, 12.25). It also bounds the
# size of the exact arithmetic: Decimal("1E-999999999") would otherwise be a legal 0..100.
_PERCENT_STEP: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class Curve:
    """A depreciation curve: anchor points (month, percent) and a floor percent.

    Rules: at least two points; the first at month 0; months strictly increasing (at most
    MAX_MONTHS); percentages within 0..100 with at most two decimals, non-increasing with
    age (a depreciation curve never rises). The first point need not be 100: a company may
    choose to sell even a new device below cost.

    The value is max(curve, floor). The floor may exceed later points — it then takes over
    from the month the curve drops below it, so an admin can edit points and floor in
    either order — but not the first point: then every point would be dead and the curve
    one flat line, which is a typing mistake far more often than an intent.
    """

    points: tuple[tuple[int, Decimal], ...]
    floor: Decimal

    def __post_init__(self) -> None:
        # A list from a caller becomes a tuple, so that equal curves are equal and hashable.
        if not isinstance(self.points, tuple | list):
            raise InvalidValue(f"curve points must be a sequence of pairs, got {self.points!r}")
        points = tuple(_point(point) for point in self.points)
        object.__setattr__(self, "points", points)
        if len(points) < 2:
            raise InvalidValue(f"a valuation curve needs at least two points, got {len(points)}")
        if points[0][0] != 0:
            raise InvalidValue(f"a valuation curve starts at month 0, not month {points[0][0]}")
        for (month, percent), (next_month, next_percent) in pairwise(points):
            if next_month <= month:
                raise InvalidValue(
                    f"curve months must strictly increase: month {next_month} follows {month}"
                )
            if next_percent > percent:
                raise InvalidValue(
                    "a depreciation curve never rises: "
                    f"{percent} % at month {month}, then {next_percent} % at month {next_month}"
                )
        _percent(self.floor, "the floor")
        if self.floor > points[0][1]:
            raise InvalidValue(
                f"the floor ({self.floor} %) cannot exceed the value at month 0 "
                f"({points[0][1]} %): every point of the curve would be below it"
            )


def percent_at(curve: Curve, age_months: int) -> Fraction:
    """Percent of company cost at an age in completed months, exact.

    Linear between anchor points, flat at the last point after it, never below the floor.
    """
    _months(age_months, "an age")
    value = Fraction(curve.points[-1][1])
    for (month, percent), (next_month, next_percent) in pairwise(curve.points):
        if age_months <= next_month:
            slope = Fraction(next_percent - percent) / (next_month - month)
            value = Fraction(percent) + slope * (age_months - month)
            break
    return max(value, Fraction(curve.floor))


def buyout_price(company_cost: Money, curve: Curve, *, start: date, at: date) -> Money:
    """The buyout price on date `at` of a device whose lease (or purchase) began on `start`.

    Age is completed months, end-of-month clamped (0 before `start`). The exact value in
    major units is rounded half-up once to a whole unit — except that a price never exceeds
    the cost: where half-up would pass it (a cost with minor units, near 100 %), the price
    is the cost rounded down to a whole unit.
    """
    if not isinstance(company_cost, Money):
        raise InvalidValue(f"a company cost must be Money, got {company_cost!r}")
    if company_cost.is_negative:
        raise InvalidValue(f"a company cost cannot be negative, got {company_cost}")
    unit = 10 ** exponent(company_cost.currency)  # minor units per major unit
    percent = percent_at(curve, completed_months(start, at))
    value = Fraction(company_cost.minor, unit) * percent / 100
    whole_units = min(round_half_up(value), company_cost.minor // unit)
    return Money(whole_units * unit, company_cost.currency)


def chart(curve: Curve, months: int = 60) -> list[tuple[int, Decimal]]:
    """The percent for each age 0..`months`, to draw the standard and a custom curve together.

    Each entry is percent_at rounded half-up to two decimals, for display only: between
    anchors the exact percent can be a repeating decimal (55 − 20/12 = 53.33…). Anchors and
    every percent with at most two decimals are shown exactly. Prices never come from here.
    """
    _months(months, "a chart's length", upto=MAX_MONTHS)
    return [
        (month, Decimal(round_half_up(percent_at(curve, month) * 100)).scaleb(-2))
        for month in range(months + 1)
    ]


def _point(point: object) -> tuple[int, Decimal]:
    if not isinstance(point, tuple | list) or len(point) != 2:
        raise InvalidValue(f"a curve point is a (month, percent) pair, got {point!r}")
    month = _months(point[0], "a curve month", upto=MAX_MONTHS)
    return month, _percent(point[1], f"the percentage at month {month}")


def _months(months: object, what: str, *, upto: int | None = None) -> int:
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidValue(f"{what} must be a whole number of months, got {months!r}")
    if months < 0:
        raise InvalidValue(f"{what} cannot be negative, got {months} months")
    if upto is not None and months > upto:
        raise InvalidValue(f"{what} must be at most {upto} months, got {months}")
    return months


def _percent(percent: object, what: str) -> Decimal:
    # Floats are refused: 28.5 as a float is exact, but 0.1 is not, and a price must be.
    if not isinstance(percent, Decimal) or not percent.is_finite():
        raise InvalidValue(f"{what} must be a finite Decimal percentage, got {percent!r}")
    if not 0 <= percent <= _HUNDRED:
        raise InvalidValue(f"{what} must be within 0..100 %, got {percent}")
    if percent != percent.quantize(_PERCENT_STEP):
        raise InvalidValue(f"{what} may have at most two decimals, got {percent}")
    return percent


def _curve(points: tuple[int, ...], floor: int) -> Curve:
    return Curve(
        points=tuple((12 * year, Decimal(p)) for year, p in enumerate(points)),
        floor=Decimal(floor),
    )


# SPEC §2.1 [decided]: yearly anchors up to 60 months, then flat at max(last point, floor).
STANDARD_CURVES: Final[Mapping[str, Curve]] = MappingProxyType(
    {
        "phone": _curve((100, 55, 35, 22, 15, 10), floor=10),
        "laptop": _curve((100, 65, 48, 35, 22, 15), floor=10),
        "tablet": _curve((100, 60, 42, 30, 20, 12), floor=10),
        "desktop": _curve((100, 60, 42, 28, 18, 10), floor=5),
        "monitor": _curve((100, 82, 64, 46, 28, 10), floor=10),
    }
)


def standard_curve(category: str) -> Curve | None:
    """The default curve of a device category; None where there is no automatic valuation.

    Categories compare as devices store them (trimmed, lower case), so "Phone" finds phone.
    """
    if not isinstance(category, str):
        raise InvalidValue(f"a category must be a string, got {category!r}")
    return STANDARD_CURVES.get(category.strip().lower())
