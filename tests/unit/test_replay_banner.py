"""The banner of a replay console (ADR 0054) names what the replay shows: a position and
its instant, a business-time cut by its instant only (it is no prefix of the log), and a
replay to position 0 by its position."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.replay_cut import ReplayedAsOf
from api.console.replayed import banner

AT = datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC)


def test_the_banner_names_the_position_and_the_instant() -> None:
    assert banner(ReplayedAsOf(120, AT, business_time=False)) == (
        "Replay as of position 120 / 2026-10-31 22:59:59 UTC — read only"
    )


def test_a_business_time_replay_is_named_by_its_instant_only() -> None:
    assert banner(ReplayedAsOf(9000, AT, business_time=True)) == (
        "Replay as of business time 2026-10-31 22:59:59 UTC — read only"
    )


def test_a_replay_to_position_zero_has_no_instant() -> None:
    assert banner(ReplayedAsOf(0, None, business_time=False)) == (
        "Replay as of position 0 — read only"
    )
