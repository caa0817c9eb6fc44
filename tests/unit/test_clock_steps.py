"""How far `lessor clock advance` and `POST /v1/sandbox/clock` move business time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.sandbox_clock import ClockStep, parse_step
from domain.model.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("30d", ClockStep(duration=timedelta(days=30))),
        ("2h", ClockStep(duration=timedelta(hours=2))),
        ("90m", ClockStep(duration=timedelta(minutes=90))),  # m: minutes; mo: months
        ("45s", ClockStep(duration=timedelta(seconds=45))),
        ("1d12h", ClockStep(duration=timedelta(days=1, hours=12))),
        ("2w", ClockStep(duration=timedelta(weeks=2))),
        ("3mo", ClockStep(months=3)),
        ("1y", ClockStep(months=12)),
        ("1y2mo3d", ClockStep(months=14, duration=timedelta(days=3))),
        (" 30D ", ClockStep(duration=timedelta(days=30))),
        ("P1M", ClockStep(months=1)),
        ("PT2H", ClockStep(duration=timedelta(hours=2))),
        ("PT30M", ClockStep(duration=timedelta(minutes=30))),
        ("P2W", ClockStep(duration=timedelta(weeks=2))),
        ("P1Y2M3DT4H5M6S", ClockStep(14, timedelta(days=3, hours=4, minutes=5, seconds=6))),
        ("p1d", ClockStep(duration=timedelta(days=1))),
    ],
)
def test_durations_compact_and_iso(text: str, step: ClockStep) -> None:
    assert parse_step(text) == step


@pytest.mark.parametrize(
    "text", ["", "soon", "3", "d", "-3d", "3.5d", "P", "PT", "P1DT", "1M2", "P1H", "0d", "PT0S"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_step(text)


def test_months_are_calendar_months_in_utc_clamped_to_the_month_end() -> None:
    at = datetime(2027, 1, 31, 10, 30, tzinfo=UTC)
    assert ClockStep(months=1).after(at) == datetime(2027, 2, 28, 10, 30, tzinfo=UTC)
    assert ClockStep(months=13).after(at) == datetime(2028, 2, 29, 10, 30, tzinfo=UTC)
    then = ClockStep(months=1, duration=timedelta(days=1)).after(at)
    assert then == datetime(2027, 3, 1, 10, 30, tzinfo=UTC)  # months first, then the days
