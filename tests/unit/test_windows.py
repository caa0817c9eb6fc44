"""End-of-lease time windows (SPEC §2.2): R − 3 months, R − 1 month, R and 05:00 on the last
employment day, as UTC instants of local wall times — across month ends and both DST changes.

Europe/Stockholm is UTC+1 in winter (CET) and UTC+2 in summer (CEST). In 2026 the clocks go
forward on Sunday 29 March at 02:00 and back on Sunday 25 October at 03:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType, Device
from domain.model.end_of_lease import (
    OFFBOARDING_RELEASE_TIME,
    Phase,
    offboarding_release_from,
    windows,
)
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.time import add_months
from tests.apps import in_memory_app

STOCKHOLM = "Europe/Stockholm"
US = timedelta(microseconds=1)
# Zones whose DST changes happen at night but never at midnight or 05:00, so local 00:00 and
# 05:00 exist on every day (unlike, say, America/Havana, which skips midnight).
ZONES = (
    "Europe/Stockholm",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "UTC",
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instant: datetime, tz: str = STOCKHOLM) -> datetime:
    return instant.astimezone(ZoneInfo(tz))


# --- month ends -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal", "options_day", "final_day"),
    [
        (date(2026, 5, 31), date(2026, 2, 28), date(2026, 4, 30)),  # not a leap year
        (date(2028, 5, 31), date(2028, 2, 29), date(2028, 4, 30)),  # leap year
        (date(2026, 5, 30), date(2026, 2, 28), date(2026, 4, 30)),
        (date(2026, 3, 31), date(2025, 12, 31), date(2026, 2, 28)),  # across the year end
        (date(2028, 3, 30), date(2027, 12, 30), date(2028, 2, 29)),
        (date(2026, 7, 31), date(2026, 4, 30), date(2026, 6, 30)),
        (date(2027, 1, 15), date(2026, 10, 15), date(2026, 12, 15)),
    ],
)
def test_given_a_renewal_date_then_options_open_3_and_the_final_decision_1_month_before_clamped(
    renewal: date, options_day: date, final_day: date
) -> None:
    w = windows(renewal, STOCKHOLM)

    assert local(w.options_from).date() == options_day
    assert local(w.final_from).date() == final_day
    assert local(w.overdue_from).date() == renewal
    assert {local(w.options_from).time(), local(w.final_from).time()} == {time(0)}
    assert local(w.overdue_from).time() == time(0)


def test_given_r_is_31_may_then_the_options_open_at_midnight_on_the_last_day_of_february() -> None:
    assert windows(date(2026, 5, 31), STOCKHOLM).options_from == utc(2026, 2, 27, 23)
    assert windows(date(2028, 5, 31), STOCKHOLM).options_from == utc(2028, 2, 28, 23)


# --- local midnight in winter and summer ----------------------------------------------------


def test_in_winter_the_options_open_at_23_utc_the_day_before() -> None:
    w = windows(date(2026, 3, 15), STOCKHOLM)  # R − 3 months = 15 December (CET)

    assert w.options_from == utc(2025, 12, 14, 23)


def test_in_summer_the_options_open_at_22_utc_the_day_before() -> None:
    w = windows(date(2026, 9, 15), STOCKHOLM)  # R − 3 months = 15 June (CEST)

    assert w.options_from == utc(2026, 6, 14, 22)


def test_the_windows_follow_the_companys_own_time_zone() -> None:
    w = windows(date(2026, 9, 15), "America/New_York")  # 15 June, EDT = UTC−4

    assert w.options_from == utc(2026, 6, 15, 4)


# --- R − 1 month on and around the DST changes ----------------------------------------------


@pytest.mark.parametrize(
    ("renewal", "final_from"),
    [
        # Spring forward, Sunday 29 March 2026 at 02:00: that midnight is still CET.
        (date(2026, 4, 28), utc(2026, 3, 27, 23)),
        (date(2026, 4, 29), utc(2026, 3, 28, 23)),
        (date(2026, 4, 30), utc(2026, 3, 29, 22)),  # the first midnight in CEST
        # Fall back, Sunday 25 October 2026 at 03:00: that midnight is still CEST.
        (date(2026, 11, 24), utc(2026, 10, 23, 22)),
        (date(2026, 11, 25), utc(2026, 10, 24, 22)),
        (date(2026, 11, 26), utc(2026, 10, 25, 23)),  # the first midnight in CET
    ],
)
def test_r_minus_1_month_across_a_dst_change_is_local_midnight_as_the_right_utc_instant(
    renewal: date, final_from: datetime
) -> None:
    assert windows(renewal, STOCKHOLM).final_from == final_from


def test_the_spring_forward_day_lasts_23_hours_between_two_final_decision_instants() -> None:
    day = windows(date(2026, 4, 30), STOCKHOLM).final_from
    day_before = windows(date(2026, 4, 29), STOCKHOLM).final_from

    assert day - day_before == timedelta(hours=23)


def test_the_fall_back_day_lasts_25_hours_between_two_final_decision_instants() -> None:
    day = windows(date(2026, 11, 26), STOCKHOLM).final_from
    day_before = windows(date(2026, 11, 25), STOCKHOLM).final_from

    assert day - day_before == timedelta(hours=25)


@pytest.mark.parametrize(
    ("renewal", "overdue_from"),
    [
        (date(2026, 3, 29), utc(2026, 3, 28, 23)),
        (date(2026, 3, 30), utc(2026, 3, 29, 22)),
        (date(2026, 10, 25), utc(2026, 10, 24, 22)),
        (date(2026, 10, 26), utc(2026, 10, 25, 23)),
    ],
)
def test_r_on_a_dst_change_is_overdue_from_its_local_midnight(
    renewal: date, overdue_from: datetime
) -> None:
    assert windows(renewal, STOCKHOLM).overdue_from == overdue_from


# --- the clock's phase -----------------------------------------------------------------------


def test_the_phase_the_clock_puts_a_device_in_changes_exactly_at_each_window() -> None:
    w = windows(date(2026, 4, 30), STOCKHOLM)

    assert w.phase_due(w.options_from - US) == Phase.NONE
    assert w.phase_due(w.options_from) == Phase.PRELIMINARY
    assert w.phase_due(w.final_from - US) == Phase.PRELIMINARY
    assert w.phase_due(w.final_from) == Phase.FINAL
    assert w.phase_due(w.overdue_from + timedelta(days=400)) == Phase.FINAL


# --- offboarding: 05:00 local on the last employment day ------------------------------------


@pytest.mark.parametrize(
    ("last_day", "release_from"),
    [
        (date(2026, 1, 30), utc(2026, 1, 30, 4)),  # winter, CET
        (date(2026, 7, 31), utc(2026, 7, 31, 3)),  # summer, CEST
        (date(2026, 3, 28), utc(2026, 3, 28, 4)),  # the day before spring forward
        (date(2026, 3, 29), utc(2026, 3, 29, 3)),  # spring forward: 05:00 is already CEST
        (date(2026, 10, 24), utc(2026, 10, 24, 3)),  # the day before fall back
        (date(2026, 10, 25), utc(2026, 10, 25, 4)),  # fall back: 05:00 is already CET
    ],
)
def test_offboarding_release_opens_at_05_00_local_on_the_last_day_across_dst(
    last_day: date, release_from: datetime
) -> None:
    instant = offboarding_release_from(last_day, STOCKHOLM)

    assert instant == release_from
    assert local(instant).replace(tzinfo=None) == datetime.combine(last_day, time(5))
    assert local(instant - US).time() < time(5)  # 04:59:59.999999 local: not yet


# --- properties ------------------------------------------------------------------------------

renewal_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
zones = st.sampled_from(ZONES)


@given(renewal=renewal_dates, tz=zones)
def test_each_window_opens_at_local_midnight_of_its_clamped_date(renewal: date, tz: str) -> None:
    w = windows(renewal, tz)

    for instant, day in (
        (w.options_from, add_months(renewal, -3)),
        (w.final_from, add_months(renewal, -1)),
        (w.overdue_from, renewal),
    ):
        assert instant.utcoffset() == timedelta(0)
        assert local(instant, tz).date() == day
        assert local(instant, tz).time() == time(0)
        assert local(instant - US, tz).date() == day - timedelta(days=1)


@given(renewal=renewal_dates, tz=zones)
def test_the_windows_come_in_order_and_clamp_to_the_month_end_never_beyond_it(
    renewal: date, tz: str
) -> None:
    w = windows(renewal, tz)

    assert w.options_from < w.final_from < w.overdue_from
    options_day = local(w.options_from, tz).date()
    assert (renewal.year * 12 + renewal.month) - (options_day.year * 12 + options_day.month) == 3
    assert options_day.day <= renewal.day
    if options_day.day < renewal.day:  # clamped: the last day of its month
        assert (options_day + timedelta(days=1)).day == 1


@given(renewal=renewal_dates, tz=zones, offset=st.integers(min_value=-200, max_value=200))
def test_the_phase_never_goes_back_as_time_passes(renewal: date, tz: str, offset: int) -> None:
    w = windows(renewal, tz)
    order = [Phase.NONE, Phase.PRELIMINARY, Phase.FINAL]
    earlier = w.final_from + timedelta(days=offset)
    later = earlier + timedelta(hours=1)

    assert order.index(w.phase_due(earlier)) <= order.index(w.phase_due(later))


@given(last_day=renewal_dates, tz=zones)
def test_offboarding_release_is_always_05_00_local_on_the_last_day(last_day: date, tz: str) -> None:
    instant = offboarding_release_from(last_day, tz)

    assert local(instant, tz).date() == last_day
    assert local(instant, tz).time() == OFFBOARDING_RELEASE_TIME


# --- the scheduler driving a device across DST: advance_device ------------------------------

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
T_SETUP = utc(2025, 6, 2, 9)


def at(caller: Caller, when: datetime) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, "req-w"))


def a_leased_device(app: LessorApplication, renewal: date) -> UUID:
    company_id = app.companies.register(
        at(OPERATOR, T_SETUP),
        name="Acme AB",
        currency="SEK",
        time_zone=STOCKHOLM,
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    ).subject_id
    member_id = app.members.register(
        at(OPERATOR, T_SETUP),
        company_id=company_id,
        email="ann@acme.example",
        name="Ann",
        role=Role.EMPLOYEE,
        last_employment_day=None,
    ).subject_id
    device_id = app.devices.register(
        at(OPERATOR, T_SETUP),
        company_id=company_id,
        serial="SN-1",
        model="iPhone 15",
        category="phone",
        company_cost=Money.of("12000", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2024, 1, 15),
        renewal_date=renewal,
    ).subject_id
    app.devices.assign(at(OPERATOR, T_SETUP), device_id, member_id)
    return device_id


def recorded_types(app: LessorApplication, device_id: UUID) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(device_id)]


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.mark.parametrize(
    ("renewal", "final_from"),
    [
        (date(2026, 4, 29), utc(2026, 3, 28, 23)),  # R − 1 m = 29 March (spring forward)
        (date(2026, 4, 30), utc(2026, 3, 29, 22)),
        (date(2026, 11, 25), utc(2026, 10, 24, 22)),  # R − 1 m = 25 October (fall back)
        (date(2026, 11, 26), utc(2026, 10, 25, 23)),
    ],
)
def test_given_r_minus_1_month_on_a_dst_change_when_the_scheduler_runs_then_it_asks_exactly_then(
    app: LessorApplication, renewal: date, final_from: datetime
) -> None:
    device_id = a_leased_device(app, renewal)

    opened = app.end_of_lease.advance(device_id, final_from - US)
    requested = app.end_of_lease.advance(device_id, final_from)

    assert (opened, requested) == (1, 1)
    assert recorded_types(app, device_id)[-2:] == ["EndOfLeaseOpened", "FinalDecisionRequested"]
    device = app.repository.get(device_id)
    assert device.phase == Phase.FINAL
    [request] = [e for e in app.repository.event_store.get(device_id) if e.at == final_from]
    assert isinstance(request, Device.FinalDecisionRequested)


def test_given_r_minus_3_months_on_a_month_end_when_the_scheduler_runs_then_options_open_at_once(
    app: LessorApplication,
) -> None:
    device_id = a_leased_device(app, date(2026, 5, 31))  # options from 28 Feb 00:00 CET

    assert app.end_of_lease.advance(device_id, utc(2026, 2, 27, 22, 59, 59)) == 0
    assert app.end_of_lease.advance(device_id, utc(2026, 2, 27, 23)) == 1
    assert app.repository.get(device_id).phase == Phase.PRELIMINARY


def test_given_the_scheduler_ran_when_it_runs_again_at_the_same_instant_then_nothing_is_recorded(
    app: LessorApplication,
) -> None:
    device_id = a_leased_device(app, date(2026, 4, 30))
    overdue_from = windows(date(2026, 4, 30), STOCKHOLM).overdue_from
    first = app.end_of_lease.advance(device_id, overdue_from)
    version = app.repository.get(device_id).version

    second = app.end_of_lease.advance(device_id, overdue_from)

    assert first == 3  # options opened, final decision requested, overdue
    assert second == 0
    assert app.repository.get(device_id).version == version


@given(
    hours=st.lists(st.integers(min_value=-3000, max_value=3000), min_size=1, max_size=6),
)
def test_the_scheduler_run_at_any_instants_records_each_rule_once_and_repeats_record_nothing(
    hours: list[int],
) -> None:
    app = in_memory_app()
    renewal = date(2026, 4, 30)
    device_id = a_leased_device(app, renewal)
    final_from = windows(renewal, STOCKHOLM).final_from

    for instant in sorted(final_from + timedelta(hours=h) for h in hours):
        app.end_of_lease.advance(device_id, instant)
        assert app.end_of_lease.advance(device_id, instant) == 0

    types = recorded_types(app, device_id)
    for rule in ("EndOfLeaseOpened", "FinalDecisionRequested", "MarkedOverdue"):
        assert types.count(rule) <= 1
    latest = max(final_from + timedelta(hours=h) for h in hours)
    device = app.repository.get(device_id)
    assert device.phase == windows(renewal, STOCKHOLM).phase_due(latest)
    assert device.overdue == (latest >= windows(renewal, STOCKHOLM).overdue_from)
