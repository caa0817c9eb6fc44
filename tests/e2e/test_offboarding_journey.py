"""Offboarding over HTTP (SPEC §2.2 step 7, ADR 0006), on both stores, in Europe/Stockholm.

An employee whose last employment day is D buys out their leased phone during offboarding.
No replacement is ever ordered: the bought device may be released from 05:00 local on D —
refused at 04:59, allowed at 05:00 — and its buyer gets the confirmation email. D falls just
after the autumn DST change, so 05:00 local is 04:00 UTC there (computed, not assumed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container
from api.settings import Settings
from tests.e2e._end_of_lease import (
    STOCKHOLM,
    Inbox,
    add_months,
    device_of,
    email_settings,
    leased_device,
    listed,
    local,
    ok,
    open_shop,
    options_of,
    pay,
    post,
    send_email,
    set_automatic_valuation,
    smtp_inbox,
    start_buyout,
    tick,
)
from tests.e2e._http import TestClient, assert_problem

RENEWAL = date(2026, 11, 16)
LAST_DAY = date(2026, 10, 30)  # D: a Friday, after the change back to winter time (25 Oct)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_inbox() as box:
        yield box


@pytest.fixture
def settings(database_url: str, inbox: Inbox, tmp_path: Path) -> Settings:
    return email_settings(database_url, inbox, tmp_path)


def test_a_device_bought_while_offboarding_is_released_from_0500_on_the_last_day(
    api: TestClient, container: Container, clock: FixedClock, inbox: Inbox
) -> None:
    shop = open_shop(api, container, name="Leaving AB", settings={"device_buyout": True})
    alice = shop.admins[0]
    eva = shop.employees[0]
    set_automatic_valuation(api, shop, "phone", True)
    phone = leased_device(
        api, shop, "OFF-PH-1", holder=eva, lease_start=date(2023, 11, 16), renewal_date=RENEWAL
    )
    # Eva's last employment day is set while she still works here.
    clock.set(local(date(2026, 10, 1), 10))
    member = ok(
        post(
            api,
            alice.token,
            f"/v1/members/{eva.member_id}/last-employment-day",
            {"last_employment_day": LAST_DAY.isoformat()},
        )
    )
    assert member["last_employment_day"] == LAST_DAY.isoformat()

    # R − 1 month: she decides to keep the phone and pays for it.
    final_from = local(add_months(RENEWAL, -1))
    tick(container, clock, final_from)
    assert [m["To"] for m in send_email(container, inbox, final_from)] == [eva.email]
    clock.set(local(date(2026, 10, 20), 13))
    price = options_of(api, eva.token, phone)["price"]["minor"]
    session = start_buyout(api, shop, eva, phone)
    pay(api, container, session, "evt_offboarding_paid", clock.now(), price)
    assert device_of(api, eva.token, phone)["status"] == "active_bought_by_employee"
    assert [m["To"] for m in send_email(container, inbox, clock.now())] == [eva.email]  # receipt

    release_from = datetime(2026, 10, 30, 5, tzinfo=STOCKHOLM).astimezone(UTC)
    assert release_from == datetime(2026, 10, 30, 4, tzinfo=UTC)  # winter time: UTC+1
    assert local(LAST_DAY, 5) == release_from

    # Before 05:00 on D: no replacement was ever ordered, so nothing lets it go yet.
    for early in (local(LAST_DAY - timedelta(days=1), 12), release_from - timedelta(minutes=1)):
        clock.set(early)
        refused = assert_problem(
            post(api, alice.token, f"/v1/devices/{phone}/release"), 409, "rule-violation"
        )
        assert "no replacement device is linked" in refused["detail"]
        waiting = options_of(api, alice.token, phone)
        assert waiting["release_unmet"] == ["no replacement device is linked"]
        assert "release" not in waiting["actions"]
        assert listed(api, container, alice.token, ready_to_release=True) == []
    assert device_of(api, alice.token, phone)["status"] == "active_bought_by_employee"

    # 05:00 on D: ready, listed, and released without any replacement.
    clock.set(release_from)
    ready = options_of(api, alice.token, phone)
    assert ready["release_unmet"] == []
    assert "release" in ready["actions"]
    assert listed(api, container, alice.token, ready_to_release=True) == [phone]
    assert_problem(post(api, eva.token, f"/v1/devices/{phone}/release"), 403, "forbidden")
    released = ok(post(api, alice.token, f"/v1/devices/{phone}/release"))
    assert released["status"] == "bought_by_employee"
    assert released["replacement_id"] is None
    assert phone not in listed(api, container, alice.token, status="active")
    assert listed(api, container, alice.token, status="bought_by_employee") == [phone]

    [confirmation] = send_email(container, inbox, release_from)
    assert (confirmation["To"], confirmation["Subject"]) == (
        eva.email,
        "Your iPhone 15 is released to you",
    )
    body = confirmation.get_content()
    assert "Released: 2026-10-30 05:00 (Europe/Stockholm)" in body
    assert "Why now: your employment ends (offboarding)" in body
