"""Subscriptions over HTTP (SPEC §3; docs/billing.md): monthly billing and seat removals,
renewal options through the scheduler, licences and the default licence, idempotency,
optimistic concurrency and bad input.

Every test sets up through the public API, moves business time with the FixedClock and
`container.scheduler.tick(now)`, and reads back through the read models with
`min_position` (read-your-writes). Amounts are computed independently of `src/`.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container, build
from api.settings import Settings
from domain.model.actor import Role
from tests.conftest import T0, issue_token
from tests.e2e._http import (
    TestClient,
    assert_problem,
    auth,
    head,
    position,
    recorded_actor,
    register_member,
)
from tests.e2e._subscriptions import (
    Shop,
    add_product,
    buy,
    charge_summary,
    charges,
    command,
    history,
    line_of,
    ok,
    open_shop,
    overview,
    overview_of,
    prorated_minor,
    read,
    reprice,
    term_minor,
    tick,
    utc,
)

PRICE = 4900  # 49.00 SEK per seat per month
REPLAYED = "Idempotent-Replayed"


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    return open_shop(api, container)


@pytest.fixture
def plan(api: TestClient, shop: Shop) -> str:
    return add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})


# --------------------------------------------------------------------------- monthly


def test_a_backdated_monthly_subscription_is_charged_each_past_month_once_and_the_current_one(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    # Bought on 2026-03-02, started 2025-11-30: three past months and the one in progress.
    # Each period is an anniversary of the start date, clamped to the month end: after
    # 2026-02-28 comes 2026-03-30, not 2026-03-28.
    bought = buy(
        api, shop.admin, [(plan, 5)], start_date="2025-11-30", term="monthly", po_reference="PO-M"
    ).json()
    sub_id = bought["id"]
    assert bought["status"] == "active"
    assert (bought["term"], bought["term_start"], bought["term_end"]) == (
        "monthly",
        "2026-02-28",
        "2026-03-30",
    )
    assert bought["charged_through"] == "2026-03-30"

    month = term_minor(PRICE, 5, "monthly")
    assert month == 24500
    periods = [
        ("2025-11-30", "2025-12-30"),
        ("2025-12-30", "2026-01-30"),
        ("2026-01-30", "2026-02-28"),
        ("2026-02-28", "2026-03-30"),  # in progress on 2026-03-02
    ]
    expected = [("monthly", 5, month, start, end, "PO-M") for start, end in periods]
    lines = charges(api, container, shop.admin, subscription_id=sub_id)
    assert [charge_summary(c) for c in lines] == expected

    # The scheduler finds nothing more to charge today, however often it runs.
    assert tick(container, clock, T0) == (0, 0)
    assert tick(container, clock, T0 + timedelta(hours=3)) == (0, 0)
    assert [charge_summary(c) for c in charges(api, container, shop.admin)] == expected

    # Two members hold licences; on 2026-03-17 two seats are added for the rest of the
    # month in progress (13 of its 30 days).
    for member in shop.employees[:2]:
        ok(command(api, shop.admin, sub_id, "licences", {"member_id": member, "product_id": plan}))
    clock.set(utc(2026, 3, 17, 10))
    ok(command(api, shop.service, sub_id, "seats", {"product_id": plan, "seats": 2}))
    added_amount = prorated_minor(PRICE, 2, "monthly", 13, 30)
    assert added_amount == 4247  # 2 × 49.00 × 13 / 30 = 42.466… → 42.47

    # On 2026-03-20 three of the seven seats are removed: from the next period.
    clock.set(utc(2026, 3, 20, 10))
    removed = command(api, shop.admin, sub_id, "seat-removals", {"product_id": plan, "seats": 3})
    line = line_of(ok(removed), plan)
    assert (line["seats"], line["pending_removal"], line["assigned"], line["free"]) == (7, 3, 2, 2)
    listed = overview_of(api, container, shop.admin, sub_id)
    assert [
        (li["seats"], li["pending_removal"], li["assigned"], li["free"]) for li in listed["lines"]
    ] == [(7, 3, 2, 2)]

    # Not below the seats assigned: 7 − 3 − 3 = 1 < 2 held.
    before = head(container)
    refused = command(api, shop.admin, sub_id, "seat-removals", {"product_id": plan, "seats": 3})
    assert_problem(refused, 409, "rule-violation")
    assert head(container) == before

    # Nothing changes before the next period; at it, the removal applies before the charge.
    assert tick(container, clock, utc(2026, 3, 29, 21, 59)) == (0, 0)  # 23:59 in Stockholm
    # Local midnight of 2026-03-30 in Stockholm (summer time) is still the 29th in UTC.
    assert tick(container, clock, utc(2026, 3, 29, 22)) == (1, 3)  # Renewed, Removed, Charged
    assert tick(container, clock, utc(2026, 3, 30, 4)) == (0, 0)
    after = read(api, shop.admin, sub_id)
    assert (after["term_start"], after["term_end"]) == ("2026-03-30", "2026-04-30")
    line = line_of(after, plan)
    assert (line["seats"], line["pending_removal"], line["assigned"], line["free"]) == (4, 0, 2, 2)
    listed = overview_of(api, container, shop.admin, sub_id)
    assert [
        (li["seats"], li["pending_removal"], li["assigned"], li["free"]) for li in listed["lines"]
    ] == [(4, 0, 2, 2)]

    assert tick(container, clock, utc(2026, 4, 30, 4)) == (1, 2)
    lines = charges(api, container, shop.admin, subscription_id=sub_id)
    assert [charge_summary(c) for c in lines] == [
        *expected,
        ("seats", 2, added_amount, "2026-03-17", "2026-03-30", "PO-M"),
        ("monthly", 4, 4 * PRICE, "2026-03-30", "2026-04-30", "PO-M"),
        ("monthly", 4, 4 * PRICE, "2026-04-30", "2026-05-30", "PO-M"),
    ]

    operations = [i["operation"] for i in history(api, container, shop.admin, sub_id)]
    removal_at = operations.index("Subscription.SeatRemovalScheduled")
    assert operations[removal_at:] == [
        "Subscription.SeatRemovalScheduled",
        "Subscription.Renewed",
        "Subscription.SeatsRemoved",
        "Subscription.TermCharged",
        "Subscription.Renewed",
        "Subscription.TermCharged",
    ]
    items = history(api, container, shop.admin, sub_id)
    scheduled = items[removal_at]
    assert scheduled["details"]["effective_from"] == "2026-03-30"
    assert recorded_actor(scheduled) == shop.actor(shop.admin, "admin")
    assert recorded_actor(items[removal_at + 2]) == {"id": "scheduler", "role": "system"}


def test_a_future_start_is_pending_and_charged_from_its_first_day(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    bought = buy(api, shop.admin, [(plan, 3)], start_date="2026-04-01", term="1y").json()
    sub_id = bought["id"]
    assert (bought["status"], bought["version"]) == ("pending", 1)  # nothing charged yet
    assert overview_of(api, container, shop.admin, sub_id)["status"] == "pending"
    # Licences and seats before the start: the first term's charge covers the seats.
    ok(
        command(
            api,
            shop.admin,
            sub_id,
            "licences",
            {"member_id": shop.employees[0], "product_id": plan},
        )
    )
    ok(command(api, shop.admin, sub_id, "seats", {"product_id": plan, "seats": 2}))
    assert charges(api, container, shop.admin, subscription_id=sub_id) == []

    assert tick(container, clock, utc(2026, 3, 31, 21, 59)) == (0, 0)  # 23:59 on 03-31
    assert tick(container, clock, utc(2026, 3, 31, 22)) == (1, 1)  # 00:00 on 04-01
    assert tick(container, clock, utc(2026, 4, 1, 9)) == (0, 0)
    started = read(api, shop.admin, sub_id)
    assert (started["status"], started["term_start"], started["term_end"]) == (
        "active",
        "2026-04-01",
        "2027-04-01",
    )
    (charge,) = charges(api, container, shop.admin, subscription_id=sub_id)
    assert charge_summary(charge) == (
        "term",
        5,
        term_minor(PRICE, 5, "1y"),
        "2026-04-01",
        "2027-04-01",
        None,
    )
    assert charge["date"] == "2026-04-01"
    assert overview_of(api, container, shop.admin, sub_id)["status"] == "active"


def test_seats_of_a_prepaid_term_cannot_be_removed(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    sub_id = buy(api, shop.admin, [(plan, 3)], start_date="2026-03-02", term="1y").json()["id"]
    before = head(container)
    for secret in (shop.admin, shop.service, shop.operator):
        refused = command(api, secret, sub_id, "seat-removals", {"product_id": plan, "seats": 1})
        body = assert_problem(refused, 409, "rule-violation")
        assert "monthly" in body["detail"]
    assert head(container) == before
    assert line_of(read(api, shop.admin, sub_id), plan)["pending_removal"] == 0


def test_monthly_periods_after_a_conversion_stay_on_the_start_dates_anniversaries(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    # 1y from 2025-01-31, to_monthly, recorded on 2026-03-02: the term, the conversion at
    # 2026-01-31 and two months at once; then month ends follow the 31st, clamped.
    sub_id = buy(
        api,
        shop.admin,
        [(plan, 2)],
        start_date="2025-01-31",
        term="1y",
        renewal_option="to_monthly",
    ).json()["id"]
    assert tick(container, clock, utc(2026, 3, 30, 22)) == (1, 2)  # 00:00 on 2026-03-31
    assert tick(container, clock, utc(2026, 4, 29, 22)) == (1, 2)  # 00:00 on 2026-04-30
    lines = charges(api, container, shop.admin, subscription_id=sub_id)
    month = term_minor(PRICE, 2, "monthly")
    assert [charge_summary(c)[:5] for c in lines] == [
        ("term", 2, term_minor(PRICE, 2, "1y"), "2025-01-31", "2026-01-31"),
        ("monthly", 2, month, "2026-01-31", "2026-02-28"),
        ("monthly", 2, month, "2026-02-28", "2026-03-31"),
        ("monthly", 2, month, "2026-03-31", "2026-04-30"),
        ("monthly", 2, month, "2026-04-30", "2026-05-31"),
    ]


def test_a_long_running_subscription_restored_from_a_snapshot_takes_every_command(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str
) -> None:
    # Monthly since 2023-01-15, bought then; the scheduler, next run on 2026-03-02, charges
    # the 37 months since at once: 76 events, so the application has snapshotted it (every
    # 50 events) and later loads start from the snapshot. (Bought only now, the past would
    # be one catch-up: a request writes a bounded number of events, ADR 0014.)
    clock.set(utc(2023, 1, 15, 10))
    sub_id = buy(api, shop.admin, [(plan, 4)], start_date="2023-01-15", term="monthly").json()["id"]
    tick(container, clock, T0)
    bought = read(api, shop.admin, sub_id)
    assert bought["version"] == 76
    assert (bought["term_start"], bought["term_end"]) == ("2026-02-15", "2026-03-15")
    assert len(charges(api, container, shop.admin, subscription_id=sub_id)) == 38

    ok(
        command(
            api,
            shop.admin,
            sub_id,
            "licences",
            {"member_id": shop.employees[0], "product_id": plan},
        )
    )
    ok(command(api, shop.admin, sub_id, "po-reference", {"po_reference": "PO-SNAP"}))
    ok(command(api, shop.admin, sub_id, "renewal-option", {"renewal_option": "once"}))
    clock.set(utc(2026, 3, 5, 10))
    added = ok(command(api, shop.service, sub_id, "seats", {"product_id": plan, "seats": 1}))
    removed = ok(
        command(api, shop.admin, sub_id, "seat-removals", {"product_id": plan, "seats": 2})
    )
    line = line_of(removed, plan)
    assert (line["seats"], line["pending_removal"], line["assigned"], line["free"]) == (5, 2, 1, 2)
    assert added["version"] == 80
    assert tick(container, clock, utc(2026, 3, 15, 5)) == (1, 3)
    after = read(api, shop.admin, sub_id)
    assert (after["status"], after["term"], after["renewal_option"]) == (
        "active",
        "monthly",
        "once",
    )
    assert (after["term_start"], after["term_end"]) == ("2026-03-15", "2026-04-15")
    assert line_of(after, plan)["seats"] == 3
    last_two = charges(api, container, shop.admin, subscription_id=sub_id)[-2:]
    assert [charge_summary(c) for c in last_two] == [
        (
            "seats",
            1,
            prorated_minor(PRICE, 1, "monthly", 10, 28),
            "2026-03-05",
            "2026-03-15",
            "PO-SNAP",
        ),
        ("monthly", 3, 3 * PRICE, "2026-03-15", "2026-04-15", "PO-SNAP"),
    ]
    ok(command(api, shop.admin, sub_id, "cancel", {}))
    assert tick(container, clock, utc(2026, 4, 15, 5)) == (1, 1)  # Ended(cancelled)
    assert read(api, shop.admin, sub_id)["status"] == "cancelled"
    assert overview_of(api, container, shop.admin, sub_id)["status"] == "cancelled"


def test_charges_page_through_every_line_whatever_the_page_size(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    # Three products on one subscription: every monthly charge is one event of three lines.
    op = shop.operator
    reporting = add_product(api, op, "REP", "Reporting – Superuser", "option", {"SEK": "19.00"})
    archive = add_product(api, op, "ARC", "Archive user", "option", {"SEK": "9.00"})
    sub_id = buy(
        api,
        shop.admin,
        [(plan, 2), (reporting, 1), (archive, 3)],
        start_date="2025-12-02",
        term="monthly",
    ).json()["id"]
    everything = charges(api, container, shop.admin, subscription_id=sub_id, limit=500)
    assert len(everything) == 4 * 3  # Dec, Jan, Feb, and March in progress; three lines each
    assert sum(c["amount"]["minor"] for c in everything) == 4 * (2 * 4900 + 1900 + 3 * 900)
    # A page must never end inside an event without the next page resuming there.
    lost = {}
    for limit in range(1, 8):
        paged = charges(api, container, shop.admin, subscription_id=sub_id, limit=limit)
        if paged != everything:
            lost[limit] = f"{len(paged)} of {len(everything)} lines"
    assert lost == {}, f"pagination of /v1/charges loses lines at these limits: {lost}"


def test_two_scheduler_workers_ticking_at_once_charge_each_period_once(
    api: TestClient,
    container: Container,
    clock: FixedClock,
    settings: Settings,
    shop: Shop,
    plan: str,
) -> None:
    """The scheduler's promise (src/adapters/scheduler.py): a tick run by two processes at
    once does each thing once; the loser of a race reloads and finds nothing left to do."""
    ids = [
        buy(api, shop.admin, [(plan, s)], start_date="2026-03-02", term="monthly").json()["id"]
        for s in range(1, 6)
    ]
    versions = {i["subscription_id"]: i["version"] for i in overview(api, container, shop.admin)}
    now = utc(2026, 9, 2, 5)
    second_worker = build(settings, clock=clock)  # as a second worker process would
    reports: list[Any] = []
    errors: list[str] = []
    start = threading.Barrier(2)

    def run(worker: Container) -> None:
        start.wait()
        try:
            reports.append(worker.scheduler.tick(now))
        except Exception as error:  # reported below, with its type
            errors.append(f"{type(error).__module__}.{type(error).__name__}: {error}")

    try:
        threads = [threading.Thread(target=run, args=(w,)) for w in (container, second_worker)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        second_worker.close()

    # Whatever the race, each period is charged exactly once …
    after = {i["subscription_id"]: i["version"] for i in overview(api, container, shop.admin)}
    lines = charges(api, container, shop.admin)
    for sub_id, seats in zip(ids, range(1, 6), strict=True):
        mine = [c for c in lines if c["subscription_id"] == sub_id]
        assert [c["period_start"] for c in mine] == [f"2026-{m:02d}-02" for m in range(3, 10)]
        assert {c["amount"]["minor"] for c in mine} == {seats * PRICE}
    # Six months (Apr … Sep), each Renewed + TermCharged, for each subscription.
    assert {i: after[i] - versions[i] for i in ids} == dict.fromkeys(ids, 12)
    assert tick(container, clock, now) == (0, 0)
    # … and neither worker's tick fails for having lost the race.
    assert errors == [], f"a concurrent tick raised instead of retrying: {errors}"
    assert [r.failures for r in reports] == [[], []]
    assert sum(r.events - r.invoice_events for r in reports) == 5 * 6 * 2


# -------------------------------------------------------------------- renewal options

# What each option does at the first and the second term end of a 1-year subscription of
# 5 seats from 2026-03-02 (49.00, then 55.00 from 2026-12, then 60.00 from 2027-06).
FIRST_END = utc(2027, 3, 2, 5)  # 06:00 in Stockholm
ONE_MONTH_LATER = utc(2027, 4, 2, 4)  # 06:00 (summer time)
SECOND_END = utc(2028, 3, 2, 5)

RENEWAL_CASES: dict[str, dict[str, Any]] = {
    "none": {
        "first": (1, 1),  # Ended(expired)
        "after_first": ("expired", "1y", "2026-03-02", "2027-03-02", "none"),
        "month_later": (0, 0),
        "second": (0, 0),  # nothing left to do
        "after_second": ("expired", "1y", "2026-03-02", "2027-03-02", "none"),
        "charges": [],
    },
    "once": {
        "first": (1, 2),  # Renewed at 55.00, TermCharged
        "after_first": ("active", "1y", "2027-03-02", "2028-03-02", "none"),
        "month_later": (0, 0),
        "second": (1, 1),  # then behaves as none: Ended(expired)
        "after_second": ("expired", "1y", "2027-03-02", "2028-03-02", "none"),
        "charges": [("term", 5, 330000, "2027-03-02", "2028-03-02")],
    },
    "every_time": {
        "first": (1, 2),
        "after_first": ("active", "1y", "2027-03-02", "2028-03-02", "every_time"),
        "month_later": (0, 0),
        "second": (1, 2),  # renewed again, at the price then in force (60.00)
        "after_second": ("active", "1y", "2028-03-02", "2029-03-02", "every_time"),
        "charges": [
            ("term", 5, 330000, "2027-03-02", "2028-03-02"),
            ("term", 5, 360000, "2028-03-02", "2029-03-02"),
        ],
    },
    "to_monthly": {
        "first": (1, 2),  # ConvertedToMonthly at 55.00, first month charged
        "after_first": ("active", "monthly", "2027-03-02", "2027-04-02", "to_monthly"),
        "month_later": (1, 2),  # Renewed (monthly), TermCharged
        "second": (1, 22),  # eleven more months, each Renewed + TermCharged
        "after_second": ("active", "monthly", "2028-03-02", "2028-04-02", "to_monthly"),
        # A monthly subscription keeps the price it was converted at: 55.00, not 60.00.
        "charges": [
            ("monthly", 5, 27500, start, end)
            for start, end in pairwise(
                [f"2027-{m:02d}-02" for m in range(3, 13)]
                + [f"2028-{m:02d}-02" for m in range(1, 5)]
            )
        ],
    },
    "cancelled": {  # every_time, but cancelled during the first term
        "first": (1, 1),  # Ended(cancelled), whatever the renewal option
        "after_first": ("cancelled", "1y", "2026-03-02", "2027-03-02", "every_time"),
        "month_later": (0, 0),
        "second": (0, 0),
        "after_second": ("cancelled", "1y", "2026-03-02", "2027-03-02", "every_time"),
        "charges": [],
    },
}


def _state(subscription: dict[str, Any]) -> tuple[str, ...]:
    return (
        subscription["status"],
        subscription["term"],
        subscription["term_start"],
        subscription["term_end"],
        subscription["renewal_option"],
    )


@pytest.mark.parametrize("case", list(RENEWAL_CASES))
def test_each_renewal_option_over_two_term_ends(
    api: TestClient, container: Container, clock: FixedClock, shop: Shop, plan: str, case: str
) -> None:
    expected = RENEWAL_CASES[case]
    option = "every_time" if case == "cancelled" else case
    bought = buy(
        api,
        shop.admin,
        [(plan, 5)],
        start_date="2026-03-02",
        term="1y",
        renewal_option=option,
        po_reference="PO-R",
    ).json()
    sub_id = bought["id"]
    holder = shop.employees[0]
    ok(command(api, shop.admin, sub_id, "licences", {"member_id": holder, "product_id": plan}))
    first_charge = ("term", 5, term_minor(PRICE, 5, "1y"), "2026-03-02", "2027-03-02")
    assert first_charge[2] == 294000  # 5 × 49.00 × 12

    clock.set(utc(2026, 9, 1))
    if case == "cancelled":
        cancelled = ok(command(api, shop.admin, sub_id, "cancel", {}))
        assert cancelled["cancel_at_term_end"] is True
        assert_problem(command(api, shop.admin, sub_id, "cancel", {}), 409, "rule-violation")
    clock.set(utc(2026, 12, 1))
    reprice(api, shop.operator, plan, {"SEK": "55.00"})
    # The price change alters nothing already sold.
    assert line_of(read(api, shop.admin, sub_id), plan)["unit_price"]["minor"] == PRICE

    assert tick(container, clock, utc(2027, 3, 1, 22, 59)) == (0, 0)  # 23:59 on 2027-03-01
    assert tick(container, clock, FIRST_END) == expected["first"]
    assert tick(container, clock, FIRST_END) == (0, 0)
    assert _state(read(api, shop.admin, sub_id)) == expected["after_first"]
    assert tick(container, clock, ONE_MONTH_LATER) == expected["month_later"]

    clock.set(utc(2027, 6, 1))
    reprice(api, shop.operator, plan, {"SEK": "60.00"})
    assert tick(container, clock, SECOND_END) == expected["second"]
    reached = head(container)
    assert tick(container, clock, SECOND_END) == (0, 0)
    assert head(container) == reached
    after = read(api, shop.admin, sub_id)
    assert _state(after) == expected["after_second"]

    lines = charges(api, container, shop.admin, subscription_id=sub_id)
    assert [charge_summary(c)[:5] for c in lines] == [first_charge, *expected["charges"]]
    assert {c["po_reference"] for c in lines} == {"PO-R"}

    listed = overview_of(api, container, shop.admin, sub_id)
    assert listed["status"] == after["status"]
    assert listed["term"] == after["term"]
    assert listed["renewal_option"] == after["renewal_option"]
    status_filtered = overview(api, container, shop.admin, status=after["status"])
    assert sub_id in {i["subscription_id"] for i in status_filtered}

    # The scheduler's steps are recorded as the system's, at the tick's instant.
    scheduled = [
        i
        for i in history(api, container, shop.admin, sub_id)
        if i["operation"]
        in ("Subscription.Renewed", "Subscription.ConvertedToMonthly", "Subscription.Ended")
    ]
    assert scheduled
    assert {i["actor"]["role"] for i in scheduled} == {"system"}
    ended = [i for i in scheduled if i["operation"] == "Subscription.Ended"]
    converted = [i for i in scheduled if i["operation"] == "Subscription.ConvertedToMonthly"]
    if after["status"] in ("expired", "cancelled"):
        assert [i["details"]["status"] for i in ended] == [after["status"]]
    else:
        assert ended == []
    assert len(converted) == (1 if case == "to_monthly" else 0)

    # A buyer now: a new subscription with a plan for the member who held this one's.
    clock.set(SECOND_END + timedelta(hours=1))
    other = buy(api, shop.admin, [(plan, 1)], start_date="2028-03-02", term="1y").json()["id"]
    assigned = command(
        api, shop.admin, other, "licences", {"member_id": holder, "product_id": plan}
    )
    if after["status"] in ("expired", "cancelled"):
        # An ended subscription's licences end with it, and the plan claim is released.
        line = line_of(after, plan)
        assert (line["assigned"], line["holders"]) == (0, [])
        ok(assigned)
        before = head(container)
        for tail, body in (
            ("seats", {"product_id": plan, "seats": 1}),
            ("seat-removals", {"product_id": plan, "seats": 1}),
            ("po-reference", {"po_reference": "PO-LATE"}),
            ("renewal-option", {"renewal_option": "every_time"}),
            ("cancel", {}),
            ("licences", {"member_id": shop.employees[1], "product_id": plan}),
        ):
            refused = command(api, shop.admin, sub_id, tail, body)
            assert_problem(refused, 409, "rule-violation")
        assert head(container) == before, "an ended subscription accepted a change"
    else:
        assert line_of(after, plan)["holders"] == [holder]
        assert_problem(assigned, 409, "rule-violation")  # still holds this one's plan


# --------------------------------------------------------------------------- licences


def test_licences_one_plan_per_member_options_unlimited_and_only_on_free_seats(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    op = shop.operator
    other_plan = add_product(api, op, "WP-PRO", "Workplace Pro", "plan", {"SEK": "69.00"})
    reporting = add_product(api, op, "REP", "Reporting – Superuser", "option", {"SEK": "19.00"})
    archive = add_product(api, op, "ARC", "Archive user", "option", {"SEK": "9.00"})
    first = buy(
        api, shop.admin, [(plan, 2), (reporting, 1)], start_date="2026-03-01", term="monthly"
    ).json()["id"]
    second = buy(
        api, shop.service, [(other_plan, 2), (archive, 2)], start_date="2026-03-02", term="1y"
    ).json()["id"]
    m1, m2, m3 = shop.employees

    def assign(secret: str, sub: str, member: str, product: str) -> Any:
        return command(api, secret, sub, "licences", {"member_id": member, "product_id": product})

    def refused(response: Any, word: str) -> None:
        before = head(container)
        body = assert_problem(response, 409, "rule-violation")
        assert word in body["detail"], body
        assert head(container) == before

    ok(assign(shop.admin, first, m1, plan))
    # A second plan, on another subscription or the same one, is refused.
    refused(assign(shop.admin, second, m1, other_plan), "plan")
    refused(assign(shop.service, first, m1, plan), "already holds")
    # Options: any number, next to the plan, on any subscription.
    ok(assign(shop.service, first, m1, reporting))
    ok(assign(shop.admin, second, m1, archive))
    ok(assign(shop.admin, second, m2, archive))
    # No free seat: refused, whatever the kind.
    ok(assign(shop.admin, first, m2, plan))
    refused(assign(shop.admin, first, m3, plan), "No free seat")
    refused(assign(shop.admin, first, m2, reporting), "No free seat")
    refused(assign(shop.admin, second, m3, archive), "No free seat")
    # Unassigning what the member does not hold is refused too.
    unassign = "licences/unassign"
    refused(command(api, shop.admin, first, unassign, {"member_id": m3, "product_id": plan}), "no")

    state = read(api, shop.admin, first)
    assert (line_of(state, plan)["assigned"], line_of(state, plan)["free"]) == (2, 0)
    assert sorted(line_of(state, plan)["holders"]) == sorted([m1, m2])
    assert line_of(state, reporting)["holders"] == [m1]

    # Unassigning frees the seat, and releases the member's plan.
    freed = ok(command(api, shop.admin, first, unassign, {"member_id": m1, "product_id": plan}))
    assert (line_of(freed, plan)["assigned"], line_of(freed, plan)["free"]) == (1, 1)
    assert line_of(freed, reporting)["holders"] == [m1]  # the option stays
    ok(assign(shop.admin, first, m3, plan))
    ok(assign(shop.admin, second, m1, other_plan))  # m1 may hold another plan now

    listed = {i["subscription_id"]: i for i in overview(api, container, shop.admin)}
    assert {
        (li["product_id"], li["seats"], li["assigned"], li["free"]) for li in listed[first]["lines"]
    } == {(plan, 2, 2, 0), (reporting, 1, 1, 0)}
    assert {
        (li["product_id"], li["seats"], li["assigned"], li["free"])
        for li in listed[second]["lines"]
    } == {(other_plan, 2, 1, 1), (archive, 2, 2, 0)}


def test_the_default_licence_goes_to_new_members_while_a_seat_is_free(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    sub_id = buy(api, shop.admin, [(plan, 2)], start_date="2026-03-02", term="1y").json()["id"]
    ok(
        command(
            api,
            shop.admin,
            sub_id,
            "licences",
            {"member_id": shop.employees[0], "product_id": plan},
        )
    )
    path = f"/v1/companies/{shop.company_id}/default-licence"
    chosen = ok(
        api.post(
            path, json={"subscription_id": sub_id, "product_id": plan}, headers=auth(shop.admin)
        )
    )
    assert chosen["default_licence"] == {"subscription_id": sub_id, "product_id": plan}
    # A product that is not on the subscription, or an unknown subscription: 404.
    other = add_product(api, shop.operator, "OPT", "Option", "option", {"SEK": "5.00"})
    before = head(container)
    for body in (
        {"subscription_id": sub_id, "product_id": other},
        {"subscription_id": str(uuid4()), "product_id": plan},
    ):
        assert_problem(api.post(path, json=body, headers=auth(shop.admin)), 404, "not-found")
    # Service accounts don't choose it.
    assert_problem(
        api.post(
            path, json={"subscription_id": sub_id, "product_id": plan}, headers=auth(shop.service)
        ),
        403,
        "forbidden",
    )
    assert head(container) == before

    # The last free seat goes to the next member registered …
    newcomer = register_member(
        api, shop.admin, shop.company_id, "Nina New", "nina@shop.example", "employee"
    )
    line = line_of(read(api, shop.admin, sub_id), plan)
    assert sorted(line["holders"]) == sorted([shop.employees[0], newcomer])
    assert (line["assigned"], line["free"]) == (2, 0)
    items = history(api, container, shop.admin, sub_id)
    assert items[-1]["operation"] == "Subscription.LicenceAssigned"
    assert items[-1]["details"]["member_id"] == newcomer
    assert recorded_actor(items[-1]) == shop.actor(shop.admin, "admin")
    # … whose plan is now taken: a second plan is refused.
    other_sub = buy(api, shop.admin, [(plan, 1)], start_date="2026-03-02", term="1y").json()["id"]
    assert_problem(
        command(
            api, shop.admin, other_sub, "licences", {"member_id": newcomer, "product_id": plan}
        ),
        409,
        "rule-violation",
    )

    # With no seat free, a new member is still registered (201), without a licence.
    late = api.post(
        "/v1/members",
        json={"company_id": shop.company_id, "name": "Leo Late", "email": "leo@shop.example"},
        headers=auth(shop.operator),
    )
    assert late.status_code == 201, late.text
    late_id = late.json()["id"]
    line = line_of(read(api, shop.admin, sub_id), plan)
    assert late_id not in line["holders"]
    assert (line["assigned"], line["free"]) == (2, 0)
    ok(command(api, shop.admin, other_sub, "licences", {"member_id": late_id, "product_id": plan}))

    # Cleared, the default licence is given to no one.
    cleared = ok(api.post(path, json={}, headers=auth(shop.admin)))
    assert cleared["default_licence"] is None
    ok(
        command(
            api,
            shop.admin,
            sub_id,
            "licences/unassign",
            {"member_id": shop.employees[0], "product_id": plan},
        )
    )
    register_member(api, shop.admin, shop.company_id, "Olle Other", "olle@shop.example", "employee")
    assert line_of(read(api, shop.admin, sub_id), plan)["free"] == 1


def test_a_seat_scheduled_for_removal_is_no_longer_free(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    sub_id = buy(api, shop.admin, [(plan, 3)], start_date="2026-03-01", term="monthly").json()["id"]
    m1, m2, m3 = shop.employees
    ok(command(api, shop.admin, sub_id, "licences", {"member_id": m1, "product_id": plan}))
    removed = ok(
        command(api, shop.admin, sub_id, "seat-removals", {"product_id": plan, "seats": 2})
    )
    line = line_of(removed, plan)
    assert (line["seats"], line["pending_removal"], line["assigned"], line["free"]) == (3, 2, 1, 0)
    before = head(container)
    refused = command(api, shop.admin, sub_id, "licences", {"member_id": m2, "product_id": plan})
    assert_problem(refused, 409, "rule-violation")
    assert head(container) == before
    # Nor does the default licence hand it out: the new member is registered without one.
    path = f"/v1/companies/{shop.company_id}/default-licence"
    ok(
        api.post(
            path, json={"subscription_id": sub_id, "product_id": plan}, headers=auth(shop.admin)
        )
    )
    newcomer = register_member(
        api, shop.admin, shop.company_id, "Nils New", "nils@shop.example", "employee"
    )
    assert line_of(read(api, shop.admin, sub_id), plan)["holders"] == [m1]
    assert newcomer not in {m1, m2, m3}


# ------------------------------------------------------- idempotency, versions, bad input


def test_a_replayed_purchase_and_seat_addition_are_answered_once_and_recorded_once(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    body = {
        "lines": [{"product_id": plan, "seats": 5}],
        "start_date": "2025-06-01",
        "term": "3y",
        "po_reference": "PO-IDEM",
        "renewal_option": "once",
    }
    headers = {**auth(shop.admin), "Idempotency-Key": "buy-once"}
    first = api.post("/v1/subscriptions", json=body, headers=headers)
    assert first.status_code == 201, first.text
    reached = head(container)
    again = api.post("/v1/subscriptions", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert again.headers["Location"] == first.headers["Location"]
    assert position(again) >= position(first)
    assert head(container) == reached, "the replayed purchase wrote events"
    sub_id = first.json()["id"]

    # The same key with another body is refused, and writes nothing.
    other = api.post("/v1/subscriptions", json={**body, "term": "1y"}, headers=headers)
    assert_problem(other, 422, "invalid-value")
    assert head(container) == reached

    seats_headers = {**auth(shop.service), "Idempotency-Key": "seats-once"}
    seats_body = {"product_id": plan, "seats": 2}
    path = f"/v1/subscriptions/{sub_id}/seats"
    added = api.post(path, json=seats_body, headers=seats_headers)
    assert added.status_code == 200, added.text
    reached = head(container)
    replayed = api.post(path, json=seats_body, headers=seats_headers)
    assert replayed.status_code == 200, replayed.text
    assert replayed.headers[REPLAYED] == "true"
    assert replayed.content == added.content
    assert head(container) == reached, "the replayed seat addition wrote events"
    # Without the key, the same body is a new request: two more seats.
    third = ok(api.post(path, json=seats_body, headers=auth(shop.service)))
    assert line_of(third, plan)["seats"] == 9

    # One set of events per request.
    operations = [i["operation"] for i in history(api, container, shop.admin, sub_id)]
    assert operations == [
        "Subscription.Created",
        "Subscription.TermCharged",
        "Subscription.SeatsAdded",
        "Subscription.SeatsAdded",
    ]
    mine = [i for i in overview(api, container, shop.admin) if i["company_id"] == shop.company_id]
    assert [i["subscription_id"] for i in mine] == [sub_id]
    kinds = [c["kind"] for c in charges(api, container, shop.admin, subscription_id=sub_id)]
    assert kinds == ["term", "seats", "seats"]


def test_a_stale_expected_version_is_409_with_the_current_version(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    sub = buy(api, shop.admin, [(plan, 3)], start_date="2026-03-01", term="monthly").json()
    sub_id = sub["id"]
    assert sub["version"] == 2
    changed = ok(
        command(
            api, shop.admin, sub_id, "po-reference", {"po_reference": "PO-A", "expected_version": 2}
        )
    )
    assert changed["version"] == 3

    before = head(container)
    for tail, body in (
        ("seats", {"product_id": plan, "seats": 1}),
        ("seat-removals", {"product_id": plan, "seats": 1}),
        ("po-reference", {"po_reference": "PO-B"}),
        ("renewal-option", {"renewal_option": "once"}),
        ("cancel", {}),
        ("licences", {"member_id": shop.employees[0], "product_id": plan}),
    ):
        stale = command(api, shop.service, sub_id, tail, {**body, "expected_version": 2})
        problem = assert_problem(stale, 409, "version-conflict")
        assert problem["current_version"] == 3, tail
    assert head(container) == before
    assert read(api, shop.admin, sub_id)["po_reference"] == "PO-A"

    current = ok(
        command(
            api,
            shop.service,
            sub_id,
            "seats",
            {"product_id": plan, "seats": 1, "expected_version": 3},
        )
    )
    assert current["version"] == 4


def test_bad_subscription_input_is_refused_and_writes_nothing(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    euro_only = add_product(api, shop.operator, "EUR-ONLY", "Euro plan", "plan", {"EUR": "5.00"})
    sub_id = buy(api, shop.admin, [(plan, 2)], start_date="2026-03-01", term="monthly").json()["id"]

    def create(**changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "lines": [{"product_id": plan, "seats": 5}],
            "start_date": "2026-04-01",
            "term": "1y",
        }
        body.update(changes)
        return {key: value for key, value in body.items() if value is not ...}

    def lines(product: str, seats: Any, **extra: Any) -> list[dict[str, Any]]:
        return [{"product_id": product, "seats": seats, **extra}]

    def quote(product: str, term: str) -> dict[str, Any]:
        return {"lines": lines(product, 1), "term": term}

    unknown = str(uuid4())
    buy_path, quote_path, products = (
        "/v1/subscriptions",
        "/v1/subscriptions/quote",
        "/v1/catalog/products",
    )
    sub = f"/v1/subscriptions/{sub_id}"
    member = shop.employees[0]
    product = {"code": "X", "name": "X", "kind": "plan", "prices": {"SEK": "1.00"}}
    # (name, token, path, body, status)
    cases: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("unknown product", "admin", buy_path, create(lines=lines(unknown, 1)), 404),
        ("seats 0", "admin", buy_path, create(lines=lines(plan, 0)), 422),
        ("negative seats", "admin", buy_path, create(lines=lines(plan, -1)), 422),
        ("fractional seats", "admin", buy_path, create(lines=lines(plan, 1.5)), 422),
        ("no lines", "admin", buy_path, create(lines=[]), 422),
        ("a product twice", "admin", buy_path, create(lines=lines(plan, 1) * 2), 422),
        ("unknown term", "admin", buy_path, create(term="2y"), 422),
        ("unknown renewal option", "admin", buy_path, create(renewal_option="sometimes"), 422),
        ("impossible start date", "admin", buy_path, create(start_date="2026-02-30"), 422),
        ("no start date", "admin", buy_path, create(start_date=...), 422),
        ("no price in SEK", "admin", buy_path, create(lines=lines(euro_only, 1)), 422),
        ("unknown field", "admin", buy_path, create(status="active"), 422),
        ("unknown line field", "admin", buy_path, create(lines=lines(plan, 1, price=0)), 422),
        ("operator without company", "operator", buy_path, create(), 422),
        ("quote: unknown product", "admin", quote_path, quote(unknown, "1y"), 404),
        ("quote: no price in SEK", "admin", quote_path, quote(euro_only, "1y"), 422),
        ("quote: unknown term", "admin", quote_path, quote(plan, "weekly"), 422),
        ("seats: unknown product", "admin", f"{sub}/seats", lines(unknown, 1)[0], 404),
        ("seats: 0", "admin", f"{sub}/seats", lines(plan, 0)[0], 422),
        ("seats: unknown field", "admin", f"{sub}/seats", lines(plan, 1, charge=0)[0], 422),
        ("removal: 0", "admin", f"{sub}/seat-removals", lines(plan, 0)[0], 422),
        ("po: too long", "admin", f"{sub}/po-reference", {"po_reference": "P" * 101}, 422),
        (
            "po: unknown field",
            "admin",
            f"{sub}/po-reference",
            {"po_reference": "X", "separate_invoice": True},
            422,
        ),
        ("renewal: unknown", "admin", f"{sub}/renewal-option", {"renewal_option": "forever"}, 422),
        ("cancel: unknown field", "admin", f"{sub}/cancel", {"at": "2026-03-05"}, 422),
        (
            "licence: unknown member",
            "admin",
            f"{sub}/licences",
            {"member_id": unknown, "product_id": plan},
            404,
        ),
        (
            "licence: product not on it",
            "admin",
            f"{sub}/licences",
            {"member_id": member, "product_id": euro_only},
            404,
        ),
        (
            "unknown subscription",
            "admin",
            f"/v1/subscriptions/{unknown}/seats",
            lines(plan, 1)[0],
            404,
        ),
        ("malformed id", "admin", "/v1/subscriptions/not-a-uuid/seats", lines(plan, 1)[0], 422),
        ("product: unknown kind", "operator", products, {**product, "kind": "bundle"}, 422),
        (
            "product: negative price",
            "operator",
            products,
            {**product, "prices": {"SEK": "-1"}},
            422,
        ),
        ("product: no prices", "operator", products, {**product, "prices": {}}, 422),
        ("product: code taken", "operator", products, {**product, "code": "WP"}, 409),
    ]
    tokens = {"admin": shop.admin, "operator": shop.operator}
    before = head(container)
    for name, who, path, body, status in cases:
        response = api.post(path, json=body, headers=auth(tokens[who]))
        assert response.status_code == status, f"{name}: {response.status_code} {response.text}"
        assert_problem(response, status)
        assert head(container) == before, f"{name}: wrote events"

    # Nothing changed: the one subscription is as it was bought.
    sub = read(api, shop.admin, sub_id)
    assert sub["version"] == 2
    assert [(li["seats"], li["assigned"]) for li in sub["lines"]] == [(2, 0)]
    mine = overview(api, container, shop.admin)
    assert [i["subscription_id"] for i in mine] == [sub_id]


def test_an_operator_buys_for_a_company_and_the_employee_cannot_read_it(
    api: TestClient, container: Container, shop: Shop, plan: str
) -> None:
    bought = buy(
        api,
        shop.operator,
        [(plan, 1)],
        start_date="2026-03-02",
        term="5y",
        company_id=shop.company_id,
    ).json()
    assert bought["company_id"] == shop.company_id
    assert bought["term_end"] == "2031-03-02"
    (charge,) = charges(api, container, shop.admin, subscription_id=bought["id"])
    assert charge["amount"]["minor"] == term_minor(PRICE, 1, "5y") == 249900  # 49 × 60 × 0.85
    employee = issue_token(container, Role.EMPLOYEE, UUID(shop.company_id), UUID(shop.employees[0]))
    assert_problem(
        api.get(f"/v1/subscriptions/{bought['id']}", headers=auth(employee)), 404, "not-found"
    )
    for path in ("/v1/subscriptions", "/v1/charges"):
        assert_problem(api.get(path, headers=auth(employee)), 403, "forbidden")
    assert api.get("/v1/catalog/products", headers=auth(employee)).status_code == 200
