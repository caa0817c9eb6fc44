"""Business time: month arithmetic, half-open periods, local dates across DST changes."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.errors import InvalidValue
from domain.model.time import (
    DEFAULT_TIME_ZONE,
    Interval,
    Period,
    add_months,
    completed_months,
    local_date,
    local_instant,
    local_midnight,
    month_end_exclusive,
    month_start,
    require_utc,
    zone,
)

STOCKHOLM = "Europe/Stockholm"
business_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def months_since_year_zero(d: date) -> int:
    return d.year * 12 + d.month - 1


# --- add_months -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # non-leap year clamps to the 28th
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year clamps to the 29th
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 8, 31), -6, date(2024, 2, 29)),
        (date(2025, 8, 31), -6, date(2025, 2, 28)),
        (date(2024, 5, 31), -3, date(2024, 2, 29)),
        (date(2025, 5, 31), -3, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # December + 1 crosses the year
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 1, 30), 0, date(2025, 1, 30)),
        (date(2025, 6, 15), 30, date(2027, 12, 15)),
        (date(2025, 6, 15), -30, date(2022, 12, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


@given(business_dates, month_counts)
def test_add_months_moves_exactly_n_calendar_months_and_never_past_the_day(
    d: date, months: int
) -> None:
    moved = add_months(d, months)
    assert months_since_year_zero(moved) - months_since_year_zero(d) == months
    assert moved.day <= d.day
    assert moved.day == min(d.day, monthrange(moved.year, moved.month)[1])


@given(business_dates.filter(lambda d: d.day <= 28), month_counts)
def test_add_months_is_reversible_when_no_clamping_happens(d: date, months: int) -> None:
    assert add_months(add_months(d, months), -months) == d


@pytest.mark.parametrize(
    ("d", "months"),
    [(date(9999, 12, 1), 1), (date(1, 1, 31), -1), (date(2025, 1, 1), True)],
)
def test_add_months_refuses_to_leave_the_calendar_or_take_a_non_int(d: date, months: int) -> None:
    with pytest.raises(InvalidValue):
        add_months(d, months)


def test_add_months_refuses_a_datetime_because_it_is_not_a_business_date() -> None:
    with pytest.raises(InvalidValue):
        add_months(utc(2026, 1, 31), 1)


# --- completed_months -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # clamped: Feb 29 is a full month on
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2024, 1, 15), date(2024, 2, 14), 0),
        (date(2024, 1, 15), date(2024, 2, 15), 1),
        (date(2024, 1, 15), date(2024, 1, 15), 0),
        (date(2023, 1, 15), date(2025, 7, 15), 30),  # spec §2.1: a 30-month-old phone
        (date(2023, 1, 15), date(2025, 7, 14), 29),
        (date(2025, 12, 31), date(2026, 1, 31), 1),
        (date(2024, 3, 1), date(2024, 2, 1), 0),  # an end before the start counts nothing
    ],
)
def test_completed_months_examples(start: date, end: date, months: int) -> None:
    assert completed_months(start, end) == months


@given(business_dates, business_dates)
def test_completed_months_is_the_largest_k_that_add_months_keeps_within_end(
    a: date, b: date
) -> None:
    start, end = min(a, b), max(a, b)
    k = completed_months(start, end)
    assert k >= 0
    assert add_months(start, k) <= end < add_months(start, k + 1)


@given(business_dates, business_dates)
def test_completed_months_is_zero_when_end_precedes_start(a: date, b: date) -> None:
    if a == b:
        assert completed_months(a, b) == 0
    else:
        assert completed_months(max(a, b), min(a, b)) == 0


@given(business_dates, st.integers(min_value=0, max_value=1200))
def test_completed_months_undoes_add_months(start: date, months: int) -> None:
    assert completed_months(start, add_months(start, months)) == months


# --- months and periods ---------------------------------------------------------------


def test_month_bounds() -> None:
    assert month_start(date(2024, 2, 17)) == date(2024, 2, 1)
    assert month_end_exclusive(date(2024, 2, 17)) == date(2024, 3, 1)
    assert month_end_exclusive(date(2025, 12, 31)) == date(2026, 1, 1)
    assert month_start(date(2025, 12, 1)) == date(2025, 12, 1)


def test_period_is_half_open() -> None:
    # Given the period [Mar 1, Apr 1)
    march = Period(date(2026, 3, 1), date(2026, 4, 1))
    # then its first day is in it, its end is not, and nothing before it is
    assert date(2026, 3, 1) in march
    assert date(2026, 3, 31) in march
    assert date(2026, 4, 1) not in march
    assert date(2026, 2, 28) not in march
    assert march.days == 31


def test_an_empty_period_contains_nothing_and_overlaps_nothing() -> None:
    empty = Period(date(2026, 3, 10), date(2026, 3, 10))
    assert empty.days == 0
    assert date(2026, 3, 10) not in empty
    assert not empty.overlaps(Period.month_of(date(2026, 3, 10)))
    assert not Period.month_of(date(2026, 3, 10)).overlaps(empty)


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidValue):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_a_period_is_made_of_dates_not_instants() -> None:
    with pytest.raises(InvalidValue):
        Period(utc(2026, 3, 1), utc(2026, 4, 1))
    with pytest.raises(InvalidValue):
        utc(2026, 3, 5) in Period(date(2026, 3, 1), date(2026, 4, 1))  # noqa: B015


@pytest.mark.parametrize(
    ("d", "start", "end", "days"),
    [
        (date(2024, 2, 10), date(2024, 2, 1), date(2024, 3, 1), 29),
        (date(2025, 2, 28), date(2025, 2, 1), date(2025, 3, 1), 28),
        (date(2025, 12, 31), date(2025, 12, 1), date(2026, 1, 1), 31),
        (date(2026, 4, 1), date(2026, 4, 1), date(2026, 5, 1), 30),
    ],
)
def test_month_of_is_the_calendar_month_containing_the_date(
    d: date, start: date, end: date, days: int
) -> None:
    month = Period.month_of(d)
    assert month == Period(start, end)
    assert d in month
    assert month.days == days


@given(business_dates)
def test_month_of_contains_its_date_and_is_followed_by_the_next_month(d: date) -> None:
    month = Period.month_of(d)
    assert d in month
    assert Period.month_of(month.end).start == month.end
    assert not month.overlaps(Period.month_of(month.end))


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        (Period(date(2026, 2, 1), date(2026, 3, 1)), False),  # touches the start
        (Period(date(2026, 4, 1), date(2026, 5, 1)), False),  # touches the end
        (Period(date(2026, 2, 1), date(2026, 3, 2)), True),
        (Period(date(2026, 3, 31), date(2026, 4, 2)), True),
        (Period(date(2026, 3, 10), date(2026, 3, 11)), True),  # inside
        (Period(date(2026, 1, 1), date(2026, 12, 1)), True),  # around
    ],
)
def test_overlaps_means_sharing_at_least_one_day(other: Period, overlaps: bool) -> None:
    march = Period(date(2026, 3, 1), date(2026, 4, 1))
    assert march.overlaps(other) is overlaps
    assert other.overlaps(march) is overlaps


# --- zones and instants ---------------------------------------------------------------


def test_the_default_time_zone_is_stockholm() -> None:
    assert DEFAULT_TIME_ZONE == STOCKHOLM
    assert zone(DEFAULT_TIME_ZONE).key == STOCKHOLM


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "zone.tab"]
)
def test_zone_refuses_unknown_names(name: str) -> None:
    with pytest.raises(InvalidValue):
        zone(name)


def test_require_utc_refuses_a_naive_datetime() -> None:
    with pytest.raises(InvalidValue):
        require_utc(datetime(2026, 3, 29, 12, 0))


def test_require_utc_converts_an_aware_instant_to_utc() -> None:
    summer = timezone(timedelta(hours=2))
    converted = require_utc(datetime(2026, 6, 1, 12, 0, tzinfo=summer))
    assert converted.tzinfo is UTC
    assert converted == utc(2026, 6, 1, 10, 0)
    assert (converted.hour, converted.day) == (10, 1)


@pytest.mark.parametrize(
    ("d", "midnight_utc"),
    [
        # winter time (UTC+1): local midnight is 23:00 UTC the previous day
        (date(2026, 3, 28), utc(2026, 3, 27, 23, 0)),
        (date(2026, 3, 29), utc(2026, 3, 28, 23, 0)),  # clocks spring forward at 02:00 today
        # summer time (UTC+2): local midnight is 22:00 UTC the previous day
        (date(2026, 3, 30), utc(2026, 3, 29, 22, 0)),
        (date(2026, 10, 25), utc(2026, 10, 24, 22, 0)),  # clocks fall back at 03:00 today
        (date(2026, 10, 26), utc(2026, 10, 25, 23, 0)),  # winter time again
    ],
)
def test_local_midnight_follows_stockholm_dst(d: date, midnight_utc: datetime) -> None:
    midnight = local_midnight(d, STOCKHOLM)
    assert midnight == midnight_utc
    assert midnight.tzinfo is UTC


def test_the_dst_days_are_23_and_25_hours_long() -> None:
    def day(d: date) -> Interval:
        return Interval(local_midnight(d, STOCKHOLM), local_midnight(d + timedelta(1), STOCKHOLM))

    assert day(date(2026, 3, 29)).duration == timedelta(hours=23)
    assert day(date(2026, 10, 25)).duration == timedelta(hours=25)
    assert day(date(2026, 6, 1)).duration == timedelta(hours=24)


def test_a_wall_time_in_the_spring_gap_moves_forward_past_the_gap() -> None:
    # Given 02:30 on 2026-03-29, which Stockholm skips (02:00 CET → 03:00 CEST)
    instant = local_instant(date(2026, 3, 29), time(2, 30), STOCKHOLM)
    # then the instant is 01:30 UTC: after the change at 01:00 UTC, 03:30 on the local clock
    assert instant == utc(2026, 3, 29, 1, 30)
    assert instant > utc(2026, 3, 29, 1, 0)
    assert instant.astimezone(zone(STOCKHOLM)).time() == time(3, 30)
    assert local_date(instant, STOCKHOLM) == date(2026, 3, 29)


def test_an_ambiguous_wall_time_in_autumn_is_its_first_occurrence() -> None:
    # Given 02:30 on 2026-10-25, which happens twice (CEST, then CET)
    instant = local_instant(date(2026, 10, 25), time(2, 30), STOCKHOLM)
    # then it is the first one, still in summer time
    assert instant == utc(2026, 10, 25, 0, 30)
    second = local_instant(date(2026, 10, 25), time(2, 30, fold=1), STOCKHOLM)
    assert second == instant  # fold is ignored: the first occurrence always


def test_local_instant_of_an_ordinary_wall_time() -> None:
    assert local_instant(date(2026, 6, 1), time(9, 15), STOCKHOLM) == utc(2026, 6, 1, 7, 15)
    assert local_instant(date(2026, 1, 1), time(9, 15), "UTC") == utc(2026, 1, 1, 9, 15)


def test_local_instant_refuses_an_aware_wall_time() -> None:
    with pytest.raises(InvalidValue):
        local_instant(date(2026, 6, 1), time(9, 0, tzinfo=UTC), STOCKHOLM)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 3, 28, 22, 59), date(2026, 3, 28)),
        (utc(2026, 3, 28, 23, 0), date(2026, 3, 29)),
        (utc(2026, 10, 24, 21, 59), date(2026, 10, 24)),
        (utc(2026, 10, 24, 22, 0), date(2026, 10, 25)),
    ],
)
def test_local_date_is_the_date_on_the_local_calendar(instant: datetime, expected: date) -> None:
    assert local_date(instant, STOCKHOLM) == expected


def test_local_date_refuses_a_naive_instant_and_an_unknown_zone() -> None:
    with pytest.raises(InvalidValue):
        local_date(datetime(2026, 3, 29, 12, 0), STOCKHOLM)
    with pytest.raises(InvalidValue):
        local_date(utc(2026, 3, 29, 12, 0), "Mars/Olympus")


# Zones whose DST change happened at midnight (Sao Paulo, Santiago, Havana, Beirut) have
# days without a 00:00: the day then begins at 01:00, which is still the same date.
dst_zones = st.sampled_from(
    [STOCKHOLM, "UTC", "America/Sao_Paulo", "America/Santiago", "America/Havana", "Asia/Beirut"]
)


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 12, 31)), dst_zones)
def test_local_midnight_starts_that_local_date(d: date, tz: str) -> None:
    midnight = local_midnight(d, tz)
    assert local_date(midnight, tz) == d
    assert local_date(midnight - timedelta(microseconds=1), tz) == d - timedelta(days=1)


# --- intervals ------------------------------------------------------------------------


def test_interval_is_half_open_and_stored_in_utc() -> None:
    cest = timezone(timedelta(hours=2))
    interval = Interval(datetime(2026, 6, 1, 2, 0, tzinfo=cest), utc(2026, 6, 2, 0, 0))
    assert interval.start == utc(2026, 6, 1, 0, 0)
    assert interval.start.tzinfo is UTC
    assert utc(2026, 6, 1, 0, 0) in interval
    assert datetime(2026, 6, 1, 23, 59, tzinfo=cest) in interval
    assert utc(2026, 6, 2, 0, 0) not in interval
    assert utc(2026, 5, 31, 23, 59) not in interval
    assert interval.duration == timedelta(hours=24)


def test_interval_refuses_naive_instants_and_a_reversed_order() -> None:
    with pytest.raises(InvalidValue):
        Interval(datetime(2026, 6, 1), utc(2026, 6, 2))
    with pytest.raises(InvalidValue):
        Interval(utc(2026, 6, 2), utc(2026, 6, 1))
    with pytest.raises(InvalidValue):
        datetime(2026, 6, 1, 12, 0) in Interval(utc(2026, 6, 1), utc(2026, 6, 2))  # noqa: B015
