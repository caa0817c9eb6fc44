"""End-of-lease journeys over HTTP (SPEC §2, ADR 0006), on both stores, in Europe/Stockholm.

The real app with its projector, the real store, the container's payment gateway (the local
Stripe stand-in) with Stripe's events signed as Stripe signs them, the scheduler driven by
the FixedClock (`clock.set(…)` then `container.scheduler.tick(…)`), and the outbox delivered
by the container's email sender to a real SMTP server on 127.0.0.1.

1. An employee buys out their leased phone: options from R − 3 months with the valuation's
   price, preliminary choices, the final-decision email at R − 1 month, a failed payment and
   a retry, a paid event delivered three times and out of order, the receipt, the
   replacement, the release criteria, the release and its confirmation; then the Monday
   09:00 digest for another bought device.
2. A CSV import with one bad row changes nothing; a good one sets the price the options
   (and the checkout) use.
3. The scheduler's R − 1 month rule at local midnight right after the spring DST change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from adapters.clock import FixedClock
from adapters.stripe_standin import StandInGateway
from api.bootstrap import Container
from api.settings import Settings
from tests.e2e._end_of_lease import (
    STOCKHOLM,
    Inbox,
    add_months,
    completed_months,
    deliver,
    device_of,
    email_settings,
    instant,
    leased_device,
    listed,
    local,
    money,
    ok,
    one_to,
    open_shop,
    operations,
    options_of,
    pay,
    phone_value_minor,
    post,
    replacement_body,
    send_email,
    session_event,
    set_automatic_valuation,
    smtp_inbox,
    start_buyout,
    summary,
    tick,
)
from tests.e2e._http import TestClient, assert_problem, auth, head

BUYOUT_SETTINGS = {"device_buyout": True, "auto_mark_received": True}
COST_MINOR = 1_200_000  # 12 000 SEK
LEASE_START = date(2024, 1, 15)
RENEWAL = date(2026, 10, 15)
SECOND = timedelta(seconds=1)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_inbox() as box:
        yield box


@pytest.fixture
def settings(database_url: str, inbox: Inbox, tmp_path: Path) -> Settings:
    return email_settings(database_url, inbox, tmp_path)


def standin_session(container: Container, session_id: str) -> dict[str, object]:
    gateway = container.payment_gateway
    assert isinstance(gateway, StandInGateway)  # no Stripe key is configured in tests
    return gateway.standin.stored(session_id)


# ------------------------------------------------------------------------ 1. buyout


def test_an_employee_buys_out_their_leased_phone_and_it_is_released(
    api: TestClient, container: Container, clock: FixedClock, inbox: Inbox
) -> None:
    shop = open_shop(api, container, name="Phone AB", settings=BUYOUT_SETTINGS)
    alice, adam = shop.admins
    eva, erik = shop.employees
    set_automatic_valuation(api, shop, "phone", True)
    phone = leased_device(
        api, shop, "PH-EVA-1", holder=eva, lease_start=LEASE_START, renewal_date=RENEWAL
    )
    # Erik's phone runs the same calendar; it is bought too and waits for the Monday digest.
    erik_phone = leased_device(
        api, shop, "PH-ERIK-1", holder=erik, lease_start=LEASE_START, renewal_date=RENEWAL
    )
    options_from = local(add_months(RENEWAL, -3))  # 00:00 local on R − 3 months, in UTC
    final_from = local(add_months(RENEWAL, -1))
    assert (options_from, final_from) == (
        datetime(2026, 7, 14, 22, tzinfo=UTC),  # summer time: 00:00 local is 22:00 UTC
        datetime(2026, 9, 14, 22, tzinfo=UTC),
    )

    # --- before R − 3 months: nothing to see, nothing to choose
    assert tick(container, clock, options_from - SECOND).devices_advanced == 0
    before = options_of(api, eva.token, phone)
    assert (before["phase"], before["price"], before["actions"]) == ("none", None, [])
    too_early = post(
        api, eva.token, f"/v1/devices/{phone}/preliminary-choice", {"choice": "buyout"}
    )
    assert_problem(too_early, 409, "rule-violation")

    # --- R − 3 months: the options open with the valuation's price and the deadlines
    assert tick(container, clock, options_from).devices_advanced == 2
    opened = options_of(api, eva.token, phone)
    age = completed_months(LEASE_START, add_months(RENEWAL, -3))
    assert age == 30
    price_at_options = phone_value_minor(COST_MINOR, LEASE_START, add_months(RENEWAL, -3))
    assert price_at_options == 342_000  # SPEC §2.1's example: 28.5 % of 12 000 SEK
    assert opened["phase"] == "preliminary"
    assert opened["status"] == "active"
    assert opened["price"] == {**money(price_at_options), "source": "standard_curve"}
    assert opened["renewal_date"] == RENEWAL.isoformat()
    assert instant(opened["options_from"]) == options_from
    assert instant(opened["preliminary_until"]) == final_from
    assert instant(opened["final_from"]) == final_from
    assert opened["actions"] == ["preliminary_choice"]
    valuation = f"/v1/companies/{shop.company_id}/valuation/phone"
    chart = ok(api.get(valuation, headers=auth(alice.token)))
    assert chart["automatic"] is True
    assert Decimal(chart["standard"][age]["percent"]) == Decimal("28.5")
    assert chart["standard"][age]["month"] == age

    # --- preliminary choices, changed twice; admins filter the overview by them
    for day, choice, other in (
        (date(2026, 7, 20), "buyout", "return"),
        (date(2026, 8, 3), "return", "buyout"),
        (date(2026, 8, 24), "buyout", "return"),
    ):
        clock.set(local(day, 10))
        chosen = ok(
            post(api, eva.token, f"/v1/devices/{phone}/preliminary-choice", {"choice": choice})
        )
        assert chosen["end_of_lease"]["preliminary_choice"] == choice
        assert listed(api, container, alice.token, preliminary_choice=choice) == [phone]
        assert listed(api, container, alice.token, preliminary_choice=other) == []
    assert operations(api, container, alice.token, phone).count("Device.PreliminaryChoiceMade") == 3

    # --- R − 1 month: the final-decision email, exactly at local midnight
    assert tick(container, clock, final_from - SECOND).devices_advanced == 0
    assert send_email(container, inbox, clock.now()) == []
    assert tick(container, clock, final_from).devices_advanced == 2
    price_at_final = phone_value_minor(COST_MINOR, LEASE_START, add_months(RENEWAL, -1))
    assert price_at_final == 316_000  # 32 months: 35 − 13 × 8/12 % of 12 000 SEK
    requests = send_email(container, inbox, final_from)
    assert summary(requests) == sorted(
        (person.email, "Decide about your iPhone 15 before 2026-10-15") for person in (eva, erik)
    )
    body = one_to(requests, eva).get_content()
    assert "Hello Eva," in body
    assert "Device: iPhone 15, serial PH-EVA-1" in body
    assert "Buyout price: 3160.00 SEK" in body
    assert "Decide before: 2026-10-15" in body
    assert tick(container, clock, final_from).events == 0  # the same tick again: nothing
    assert send_email(container, inbox, final_from) == []
    final = options_of(api, eva.token, phone)
    assert final["phase"] == "final"
    assert final["price"] == {**money(price_at_final), "source": "standard_curve"}
    assert final["actions"] == ["return", "buyout"]
    for when in (final_from, local(date(2026, 9, 20), 12)):
        clock.set(when)
        late = post(api, eva.token, f"/v1/devices/{phone}/preliminary-choice", {"choice": "return"})
        assert_problem(late, 409, "rule-violation")
    assert device_of(api, eva.token, phone)["end_of_lease"]["preliminary_choice"] == "buyout"

    # --- buy out: a checkout through the payment gateway, for the price at that moment
    clock.set(local(date(2026, 9, 21), 9))
    first = start_buyout(api, shop, eva, phone)
    opened_first = standin_session(container, first.session_id)
    assert (opened_first["amount_total"], opened_first["currency"]) == (price_at_final, "sek")
    assert opened_first["customer_email"] == eva.email
    assert opened_first["metadata"] == {
        "device_id": phone,
        "company_id": shop.company_id,
        "attempt": "1",
    }

    # --- the payment fails: back to the options (phase final), and the employee retries
    failed = session_event(
        "evt_journey_failed_1",
        "checkout.session.async_payment_failed",
        first,
        created_at=clock.now() + timedelta(minutes=3),
        amount_minor=price_at_final,
        payment_status="unpaid",
    )
    assert deliver(api, container, failed) == "applied"
    retry_options = options_of(api, eva.token, phone)
    assert (retry_options["phase"], retry_options["status"]) == ("final", "active")
    assert retry_options["final_decision"] is None
    assert "buyout" in retry_options["actions"]

    clock.set(local(date(2026, 9, 21), 9, 10))
    second = start_buyout(api, shop, eva, phone)
    assert second.session_id != first.session_id
    opened_second = standin_session(container, second.session_id)
    assert opened_second["metadata"] == {
        "device_id": phone,
        "company_id": shop.company_id,
        "attempt": "2",
    }
    assert opened_second["amount_total"] == price_at_final

    # --- paid: delivered three times, out of order, with older expiries in between
    paid_at = local(date(2026, 9, 21), 9, 12)
    completed = session_event(
        "evt_journey_paid_2",
        "checkout.session.completed",
        second,
        created_at=paid_at,
        amount_minor=price_at_final,
        payment_intent="pi_journey_2",
    )
    expired_before_paying = session_event(
        "evt_journey_expired_2",
        "checkout.session.expired",
        second,
        created_at=paid_at - timedelta(minutes=1),
        amount_minor=price_at_final,
        status="expired",
        payment_status="unpaid",
        payment_intent=None,
    )
    first_expired_late = session_event(
        "evt_journey_expired_1",
        "checkout.session.expired",
        first,
        created_at=local(date(2026, 9, 21), 9, 4),
        amount_minor=price_at_final,
        status="expired",
        payment_status="unpaid",
        payment_intent=None,
    )
    assert deliver(api, container, completed) == "applied"
    assert deliver(api, container, expired_before_paying) == "ignored"
    stored = head(container)
    assert deliver(api, container, completed) == "duplicate"
    assert head(container) == stored  # a redelivery stores nothing at all
    assert deliver(api, container, first_expired_late) == "ignored"
    stored = head(container)
    assert deliver(api, container, completed) == "duplicate"
    assert head(container) == stored

    log = operations(api, container, alice.token, phone)
    assert log.count("Device.BuyoutPaid") == 1
    assert log.count("Device.BuyoutCheckoutStarted") == 2
    assert log.count("Device.BuyoutCheckoutFailed") == 1
    assert "Device.BuyoutPaymentRejected" not in log
    bought = device_of(api, eva.token, phone)
    assert bought["status"] == "active_bought_by_employee"
    assert bought["end_of_lease"]["final_decision"] == "buyout"
    assert options_of(api, eva.token, phone)["phase"] == "decided"

    clock.set(paid_at + timedelta(minutes=1))
    [receipt] = send_email(container, inbox, clock.now())
    assert (receipt["To"], receipt["Subject"]) == (eva.email, "Receipt: buyout of your iPhone 15")
    receipt_body = receipt.get_content()
    assert "Amount paid: 3160.00 SEK" in receipt_body
    assert "Paid at: 2026-09-21 09:12 (Europe/Stockholm)" in receipt_body
    assert "Payment reference: pi_journey_2" in receipt_body

    # Erik buys his phone too (his replacement comes later).
    clock.set(local(date(2026, 9, 22), 14))
    erik_session = start_buyout(api, shop, erik, erik_phone)
    pay(api, container, erik_session, "evt_journey_paid_erik", clock.now(), price_at_final)
    assert [m["To"] for m in send_email(container, inbox, clock.now())] == [erik.email]

    # --- the replacement, registered before its serial is known
    clock.set(local(date(2026, 9, 23), 10))
    replacement = ok(
        post(
            api,
            alice.token,
            f"/v1/devices/{phone}/replacements",
            replacement_body("", start=date(2026, 9, 23)),
        ),
        201,
    )
    new_phone = replacement["id"]
    assert replacement["serial"] == ""
    assert replacement["replacement_for"] == phone
    assert replacement["assignee_id"] == eva.member_id
    assert (replacement["status"], replacement["received"]) == ("in_stock", False)
    assert device_of(api, alice.token, phone)["replacement_id"] == new_phone

    refused = assert_problem(post(api, alice.token, f"/v1/devices/{phone}/release"), 409)
    assert "the replacement is not received (active)" in refused["detail"]
    assert "the replacement has no serial number recorded" in refused["detail"]
    assert "not paid" not in refused["detail"]
    waiting = options_of(api, alice.token, phone)
    assert waiting["release_unmet"] == [
        "the replacement is not received (active)",
        "the replacement has no serial number recorded",
    ]
    assert "release" not in waiting["actions"]
    assert listed(api, container, alice.token, ready_to_release=True) == []

    # --- delivered: received automatically (the company's setting), still no serial
    clock.set(local(date(2026, 9, 28), 11))
    delivered = ok(post(api, alice.token, f"/v1/devices/{new_phone}/delivered"))
    assert (delivered["status"], delivered["received"]) == ("active", True)
    assert "Device.MarkedReceived" in operations(api, container, alice.token, new_phone)
    refused = assert_problem(post(api, alice.token, f"/v1/devices/{phone}/release"), 409)
    assert "the replacement has no serial number recorded" in refused["detail"]
    assert "not received" not in refused["detail"]
    assert options_of(api, alice.token, phone)["release_unmet"] == [
        "the replacement has no serial number recorded"
    ]

    # --- the serial is recorded: ready to release; an employee may not release it
    ok(post(api, alice.token, f"/v1/devices/{new_phone}/serial", {"serial": "PH-EVA-2"}))
    ready = options_of(api, alice.token, phone)
    assert ready["release_unmet"] == []
    assert "release" in ready["actions"]
    assert listed(api, container, alice.token, ready_to_release=True) == [phone]
    assert_problem(post(api, eva.token, f"/v1/devices/{phone}/release"), 403, "forbidden")

    clock.set(local(date(2026, 9, 28), 15, 30))
    released = ok(post(api, alice.token, f"/v1/devices/{phone}/release"))
    assert released["status"] == "bought_by_employee"
    active = listed(api, container, alice.token, status="active")
    assert phone not in active
    assert new_phone in active
    assert listed(api, container, alice.token, status="bought_by_employee") == [phone]
    # Released to its buyer: gone from the default list, shown on request.
    assert phone not in listed(api, container, alice.token)
    assert phone in listed(api, container, alice.token, include_closed=True)
    assert listed(api, container, alice.token, ready_to_release=True) == []
    [confirmation] = send_email(container, inbox, clock.now())
    assert (confirmation["To"], confirmation["Subject"]) == (
        eva.email,
        "Your iPhone 15 is released to you",
    )
    confirmation_body = confirmation.get_content()
    assert "Device: iPhone 15, serial PH-EVA-1" in confirmation_body
    assert "Released: 2026-09-28 15:30 (Europe/Stockholm)" in confirmation_body
    assert "Why now: your replacement device has been received" in confirmation_body

    # --- Erik's replacement arrives on Wednesday: his phone is ready to release
    clock.set(local(date(2026, 9, 30), 14))
    erik_new = ok(
        post(
            api,
            alice.token,
            f"/v1/devices/{erik_phone}/replacements",
            replacement_body("PH-ERIK-2", start=date(2026, 9, 30)),
        ),
        201,
    )["id"]
    ok(post(api, alice.token, f"/v1/devices/{erik_new}/delivered"))
    assert listed(api, container, alice.token, ready_to_release=True) == [erik_phone]

    # --- the Monday 09:00 digest (SPEC §2.2 step 6): a device that became ready on Wednesday
    # waits for Monday 09:00 — no digest on Sunday night, none at 08:59, one per admin at
    # 09:00, and nothing more that Monday.
    monday = date(2026, 10, 5)
    assert monday.isoweekday() == 1
    sunday_night = local(monday - timedelta(days=1), 23)
    at_0859 = local(monday, 8, 59)
    at_0900 = local(monday, 9)
    week = "{}-W{:02d}".format(*monday.isocalendar()[:2])
    subject = f"1 device ready to release ({week})"
    steps = {
        "Sunday 23:00": sunday_night,
        "Monday 08:59": at_0859,
        "Monday 09:00": at_0900,
        "Monday 09:00, again": at_0900,
        "Monday 12:00": at_0900 + timedelta(hours=3),
    }
    digests: dict[str, tuple[int, list[tuple[str, str]]]] = {}
    for label, when in steps.items():
        report = tick(container, clock, when)
        digests[label] = (report.digests_sent, summary(send_email(container, inbox, when)))
    # What Monday's digest lists; then, tick by tick, what went out when.
    digest_bodies = [m.get_content() for m in inbox.messages() if m["Subject"] == subject]
    assert len(digest_bodies) == 2
    for digest_body in digest_bodies:
        assert "- PH-ERIK-1: iPhone 15, bought by Erik" in digest_body
        assert "PH-EVA-1" not in digest_body  # already released
    assert listed(api, container, alice.token, ready_to_release=True) == [erik_phone]
    assert digests == {
        "Sunday 23:00": (0, []),
        "Monday 08:59": (0, []),
        "Monday 09:00": (1, [(adam.email, subject), (alice.email, subject)]),
        "Monday 09:00, again": (0, []),
        "Monday 12:00": (0, []),
    }, digests


# ------------------------------------------------------------------------- 2. CSV


IMPORT = "/v1/devices/buyout-prices/import"


def post_csv(api: TestClient, secret: str, content: str, *, dry_run: bool) -> httpx.Response:
    return api.post(
        IMPORT,
        content=content.encode(),
        params={"dry_run": str(dry_run).lower()},
        headers={**auth(secret), "Content-Type": "text/csv; charset=utf-8"},
    )


def test_a_csv_with_one_bad_row_changes_nothing_and_a_good_one_sets_the_price_used(
    api: TestClient, container: Container, clock: FixedClock, inbox: Inbox
) -> None:
    shop = open_shop(api, container, name="Csv AB", settings=BUYOUT_SETTINGS)
    alice = shop.admins[0]
    eva, erik = shop.employees
    phone = leased_device(
        api, shop, "CSV-PH-1", holder=eva, lease_start=LEASE_START, renewal_date=RENEWAL
    )
    other = leased_device(
        api, shop, "CSV-PH-2", holder=erik, lease_start=LEASE_START, renewal_date=RENEWAL
    )
    tick(container, clock, local(add_months(RENEWAL, -3)))
    clock.set(local(date(2026, 8, 3), 10))
    # No automatic valuation and no manual price: no buyout offered yet.
    assert options_of(api, eva.token, phone)["price"] is None
    versions = [device_of(api, alice.token, d)["version"] for d in (phone, other)]

    bad = (
        "serial,price,available,effective_date\n"
        "CSV-PH-1,2500.00,yes,2026-08-01\n"
        "CSV-PH-2,-10.00,yes,2026-08-01\n"
    )
    before = head(container)
    dry = ok(post_csv(api, alice.token, bad, dry_run=True))
    assert (dry["valid"], dry["applied"]) == (False, False)
    assert [(e["line"], e["field"]) for e in dry["errors"]] == [(3, "price")]
    problem = assert_problem(post_csv(api, alice.token, bad, dry_run=False), 422, "invalid-value")
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [(3, "price")]
    assert problem["errors"][0]["message"]
    assert head(container) == before  # nothing at all was written
    assert [device_of(api, alice.token, d)["version"] for d in (phone, other)] == versions
    assert options_of(api, eva.token, phone)["price"] is None

    good = (
        "serial,price,available,effective_date\n"
        "CSV-PH-1,2500.00,yes,2026-08-01\n"
        "CSV-PH-2,1999.00,,2026-08-01\n"
    )
    applied = ok(post_csv(api, alice.token, good, dry_run=False))
    assert (applied["valid"], applied["applied"], applied["repeated"]) == (True, True, False)
    assert applied["counts"]["price_set"] == 2
    assert head(container) > before
    priced = options_of(api, eva.token, phone)
    assert priced["price"] == {**money(250_000), "source": "manual"}
    assert options_of(api, erik.token, other)["price"] == {**money(199_900), "source": "manual"}

    # The same price is the one the final decision asks for and the checkout charges.
    final_from = local(add_months(RENEWAL, -1))
    tick(container, clock, final_from)
    request = one_to(send_email(container, inbox, final_from), eva)
    assert "Buyout price: 2500.00 SEK" in request.get_content()
    clock.set(final_from + timedelta(hours=9))
    session = start_buyout(api, shop, eva, phone)
    opened = standin_session(container, session.session_id)
    assert (opened["amount_total"], opened["currency"]) == (250_000, "sek")


# ------------------------------------------------------------------------- 3. DST


def test_the_final_decision_email_goes_at_local_midnight_after_the_spring_dst_change(
    api: TestClient, container: Container, clock: FixedClock, inbox: Inbox
) -> None:
    renewal = date(2027, 4, 29)
    final_day = add_months(renewal, -1)
    assert final_day == date(2027, 3, 29)  # the day after the last Sunday of March 2027
    shop = open_shop(api, container, name="Dst AB", settings=BUYOUT_SETTINGS)
    eva = shop.employees[0]
    set_automatic_valuation(api, shop, "phone", True)
    phone = leased_device(
        api, shop, "DST-PH-1", holder=eva, lease_start=date(2024, 4, 29), renewal_date=renewal
    )

    # R − 3 months falls in winter time (UTC+1), R − 1 month in summer time (UTC+2).
    options_from = datetime(2027, 1, 29, tzinfo=STOCKHOLM).astimezone(UTC)
    boundary = datetime(final_day.year, final_day.month, final_day.day, tzinfo=STOCKHOLM)
    final_from = boundary.astimezone(UTC)
    assert boundary.utcoffset() == timedelta(hours=2)
    assert options_from.time().hour == 23  # 00:00 local in winter is 23:00 UTC the day before
    assert final_from == datetime(2027, 3, 28, 22, tzinfo=UTC)
    # So 22:59 UTC on the 28th (and 23:00, local midnight in winter time) is already the 29th.
    assert datetime(2027, 3, 28, 22, 59, tzinfo=UTC).astimezone(STOCKHOLM).date() == final_day
    assert tick(container, clock, options_from).devices_advanced == 1
    assert instant(options_of(api, eva.token, phone)["final_from"]) == final_from

    for just_before in (final_from - timedelta(minutes=59), final_from - SECOND):
        assert tick(container, clock, just_before).events == 0
        assert send_email(container, inbox, just_before) == []
        assert options_of(api, eva.token, phone)["phase"] == "preliminary"

    written = head(container)
    assert tick(container, clock, final_from).devices_advanced == 1
    assert head(container) > written
    [request] = send_email(container, inbox, final_from)
    assert (request["To"], request["Subject"]) == (
        eva.email,
        "Decide about your iPhone 15 before 2027-04-29",
    )
    assert "Decide before: 2027-04-29 00:00 (Europe/Stockholm)" in request.get_content()
    assert options_of(api, eva.token, phone)["phase"] == "final"

    # Ticking again (at the boundary, and an hour later, where winter time would put it)
    # records nothing and sends nothing.
    for again in (final_from, final_from + timedelta(hours=1)):
        written = head(container)
        assert tick(container, clock, again).events == 0
        assert head(container) == written
        assert send_email(container, inbox, again) == []
    assert len(inbox.messages()) == 1
