"""The pure due-time rules (domain/model/due.py): the Monday digest across DST changes and
already-sent weeks, and the device's next rule in the order its catch-up applies them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.model.due import (
    Due,
    LeaseFacts,
    Rule,
    device_next_due,
    digest_due,
    end_of_local_day,
    next_digest_at,
)
from domain.model.end_of_lease import Phase, windows

STOCKHOLM = "Europe/Stockholm"
GRACE = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "sent_week", "expected"),
    [
        (utc(2026, 3, 25, 12), None, utc(2026, 3, 30, 7)),  # Monday after spring-forward: CEST
        (utc(2026, 3, 23, 8, 30), None, utc(2026, 3, 23, 8, 30)),  # Monday 09:30 CET: now
        (utc(2026, 3, 23, 8, 30), "2026-W13", utc(2026, 3, 30, 7)),  # that week went out
        (utc(2026, 10, 19, 7), "2026-W43", utc(2026, 10, 26, 8)),  # after the change: CET
        (utc(2026, 10, 26, 7, 59), None, utc(2026, 10, 26, 8)),  # 08:59 local: wait for 09:00
    ],
)
def test_the_next_digest_is_monday_0900_local_skipping_a_week_already_sent(
    after: datetime, sent_week: str | None, expected: datetime
) -> None:
    found = next_digest_at(after, STOCKHOLM, sent_week=sent_week)

    assert found == expected
    assert digest_due(found, STOCKHOLM)
    assert not digest_due(found - timedelta(microseconds=1), STOCKHOLM) or found == after


def test_a_digest_chance_closes_at_the_local_midnight_after_its_monday() -> None:
    assert end_of_local_day(utc(2026, 3, 30, 7), STOCKHOLM) == utc(2026, 3, 30, 22)  # CEST
    assert end_of_local_day(utc(2026, 10, 26, 8), STOCKHOLM) == utc(2026, 10, 26, 23)  # CET


def facts(**changes: object) -> LeaseFacts:
    base: dict[str, object] = {
        "renewal_date": date(2026, 6, 15),
        "in_lease_flow": True,
        "phase": Phase.NONE,
        "overdue": False,
        "checkout_expires_at": None,
    }
    return LeaseFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_the_windows_follow_in_order_and_end_once_done() -> None:
    w = windows(date(2026, 6, 15), STOCKHOLM)

    assert device_next_due(facts(), STOCKHOLM, GRACE) == Due(Rule.LEASE_OPTIONS, w.options_from)
    assert device_next_due(facts(phase=Phase.PRELIMINARY), STOCKHOLM, GRACE) == Due(
        Rule.LEASE_FINAL, w.final_from
    )
    assert device_next_due(facts(phase=Phase.FINAL), STOCKHOLM, GRACE) == Due(
        Rule.LEASE_OVERDUE, w.overdue_from
    )
    assert device_next_due(facts(phase=Phase.FINAL, overdue=True), STOCKHOLM, GRACE) is None
    assert device_next_due(facts(phase=Phase.DECIDED), STOCKHOLM, GRACE) is None
    assert device_next_due(facts(in_lease_flow=False), STOCKHOLM, GRACE) is None
    assert device_next_due(facts(renewal_date=None), STOCKHOLM, GRACE) is None


def test_an_open_checkout_holds_the_other_rules_and_lapses_even_when_unassigned() -> None:
    expires = utc(2026, 6, 15, 9)
    open_ = facts(phase=Phase.CHECKOUT_OPEN, checkout_expires_at=expires, in_lease_flow=False)

    assert device_next_due(open_, STOCKHOLM, GRACE) == Due(Rule.CHECKOUT_LAPSE, expires + GRACE)
