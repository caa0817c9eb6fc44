"""The device's end of lease (SPEC §2.2), told as the device lives it: options from R − 3 months,
a preliminary plan, the final decision from R − 1 month (return at once, or a buyout paid by
card), overdue at R, then replacement, receipt, release or return — and RMA swaps of rentals.

Every refusal is a typed domain error with a reason and records nothing. The scheduler's
rules (open, request the final decision, overdue) are deliberately idempotent: run twice,
they record nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import given
from hypothesis import strategies as st

from domain.model.actor import Actor, Role
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.end_of_lease import Choice, Phase, offboarding_release_from, windows
from domain.model.errors import DomainError, InvalidValue, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money

ACME = UUID("00000000-0000-4000-8000-00000000acde")
DEVICE = UUID("00000000-0000-4000-8000-0000000de71c")
NEW = UUID("00000000-0000-4000-8000-0000000000e1")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
STOCKHOLM = "Europe/Stockholm"
R = date(2026, 9, 15)
W = windows(R, STOCKHOLM)  # options 14 Jun 22:00 UTC, final 14 Aug 22:00, overdue 14 Sep 22:00
ADMIN = Actor("tok-acme-admin", Role.ADMIN)
EMPLOYEE = Actor("tok-ann", Role.EMPLOYEE)
SCHEDULER = Actor("scheduler", Role.SYSTEM)
STRIPE = Actor("stripe", Role.SYSTEM)
T_SETUP = datetime(2024, 1, 15, 9, tzinfo=UTC)
US = timedelta(microseconds=1)
PRICE = Money.of("3420", "SEK")


def cause(at: datetime, actor: Actor = EMPLOYEE, correlation_id: str = "req-1") -> Cause:
    return Cause(actor=actor, at=at, correlation_id=correlation_id)


def recorded(aggregate: Aggregate) -> list[Any]:
    return list(aggregate.collect_events())


def state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def refused(
    aggregate: Aggregate, error: type[DomainError], match: str, attempt: Any, *args: Any
) -> None:
    """The attempt raises the typed error with a reason, and the aggregate is unchanged."""
    before = state(aggregate)
    with pytest.raises(error, match=match):
        attempt(*args)
    assert aggregate.pending_events == []
    assert state(aggregate) == before


# --- givens ---------------------------------------------------------------------------------


def a_device(**overrides: Any) -> Device:
    arguments: dict[str, Any] = {
        "device_id": DEVICE,
        "company_id": ACME,
        "serial": "SN-OLD",
        "model": "iPhone 15",
        "category": "phone",
        "company_cost": Money.of("12000", "SEK"),
        "contract_type": ContractType.LEASED,
        "lease_start": date(2024, 1, 15),
        "renewal_date": R,
        "cause": cause(T_SETUP, ADMIN),
    }
    arguments.update(overrides)
    device = Device.register(**arguments)
    device.collect_events()
    return device


def a_leased_device_held_by_ann() -> Device:
    device = a_device()
    device.assign(ANN, cause=cause(T_SETUP, ADMIN))
    device.collect_events()
    return device


def with_options_open() -> Device:
    device = a_leased_device_held_by_ann()
    device.open_end_of_lease(W, cause=cause(W.options_from, SCHEDULER))
    device.collect_events()
    return device


def in_the_final_phase(price: Money | None = PRICE) -> Device:
    device = with_options_open()
    device.request_final_decision(
        price, "standard_curve" if price else None, W, cause=cause(W.final_from, SCHEDULER)
    )
    device.collect_events()
    return device


def start(device: Device, session_id: str, at: datetime, amount: Money = PRICE) -> None:
    device.start_buyout(
        session_id=session_id,
        url=f"https://checkout.example/{session_id}",
        amount=amount,
        price_source="standard_curve",
        expires_at=at + timedelta(hours=24),
        cause=cause(at),
    )


CHECKOUT_AT = W.final_from + timedelta(days=2)
PAID_AT = CHECKOUT_AT + timedelta(minutes=3)


def mid_checkout() -> Device:
    device = in_the_final_phase()
    start(device, "cs_1", CHECKOUT_AT)
    device.collect_events()
    return device


def bought() -> Device:
    device = mid_checkout()
    device.record_payment("cs_1", "pi_1", PRICE, cause=cause(PAID_AT, STRIPE))
    device.collect_events()
    return device


def returning() -> Device:
    device = in_the_final_phase()
    device.choose_return(cause=cause(CHECKOUT_AT))
    device.collect_events()
    return device


def a_replacement(*, serial: str = "", received: bool = False) -> Device:
    device = a_device(
        device_id=NEW,
        serial=serial,
        model="iPhone 17",
        lease_start=date(2026, 9, 1),
        renewal_date=date(2029, 9, 1),
        replacement_for=DEVICE,
    )
    device.assign(ANN, cause=cause(T_SETUP, ADMIN))
    if received:
        device.mark_received(cause=cause(PAID_AT, ADMIN))
    device.collect_events()
    return device


def linked(device: Device, replacement: Device) -> Device:
    device.link_replacement(replacement.id, cause=cause(PAID_AT, ADMIN))
    device.collect_events()
    return device


# --- R − 3 months: the options open -----------------------------------------------------------


def test_given_an_assigned_leased_device_when_the_options_open_then_the_windows_are_recorded() -> (
    None
):
    device = a_leased_device_held_by_ann()

    device.open_end_of_lease(W, cause=cause(W.options_from, SCHEDULER))

    [opened] = recorded(device)
    assert isinstance(opened, Device.EndOfLeaseOpened)
    assert (opened.renewal_date, opened.options_from, opened.final_from) == (
        R,
        W.options_from,
        W.final_from,
    )
    assert (opened.actor, opened.at, opened.company_id) == (SCHEDULER, W.options_from, ACME)
    assert device.phase == Phase.PRELIMINARY
    assert device.status == DeviceStatus.ACTIVE


def test_given_open_options_when_the_scheduler_opens_them_again_then_nothing_is_recorded() -> None:
    device = with_options_open()

    device.open_end_of_lease(W, cause=cause(W.options_from + timedelta(hours=1), SCHEDULER))

    assert recorded(device) == []


@pytest.mark.parametrize(
    "device",
    [
        pytest.param(a_device(), id="in stock, nobody holds it"),
        pytest.param(
            a_device(contract_type=ContractType.PURCHASED, lease_start=None, renewal_date=None),
            id="purchased",
        ),
        pytest.param(
            a_device(contract_type=ContractType.RENTAL, lease_start=None, renewal_date=None),
            id="rental",
        ),
    ],
)
def test_a_device_outside_a_lease_held_by_someone_has_no_end_of_lease(device: Device) -> None:
    device.open_end_of_lease(W, cause=cause(W.options_from, SCHEDULER))
    device.request_final_decision(PRICE, "manual", W, cause=cause(W.final_from, SCHEDULER))
    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))

    assert recorded(device) == []
    assert device.phase == Phase.NONE


# --- the preliminary choice: [R − 3 m, R − 1 m), changeable -----------------------------------


def test_given_options_not_open_when_ann_makes_a_preliminary_choice_then_it_is_refused() -> None:
    device = a_leased_device_held_by_ann()

    refused(
        device,
        RuleViolation,
        "options open three months before the renewal date",
        lambda: device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from - US)),
    )


def test_given_open_options_when_ann_chooses_before_r_minus_3_months_then_it_is_refused() -> None:
    device = with_options_open()

    refused(
        device,
        RuleViolation,
        "open three months before the renewal date",
        lambda: device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from - US)),
    )


def test_given_open_options_when_ann_chooses_a_buyout_then_her_plan_is_recorded() -> None:
    device = with_options_open()

    device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from))

    [made] = recorded(device)
    assert isinstance(made, Device.PreliminaryChoiceMade)
    assert (made.choice, made.previous, made.actor) == (Choice.BUYOUT, None, EMPLOYEE)
    assert device.preliminary_choice == Choice.BUYOUT
    assert device.final_decision is None
    assert device.status == DeviceStatus.ACTIVE


def test_given_a_plan_when_ann_changes_it_twice_then_each_change_records_the_previous_one() -> None:
    device = with_options_open()
    device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from))

    device.choose_preliminary(Choice.RETURN, W, cause=cause(W.options_from + timedelta(days=9)))
    device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.final_from - US))

    changes = [(e.previous, e.choice) for e in recorded(device)[1:]]
    assert changes == [(Choice.BUYOUT, Choice.RETURN), (Choice.RETURN, Choice.BUYOUT)]
    assert device.preliminary_choice == Choice.BUYOUT


def test_given_a_plan_when_ann_withdraws_it_then_she_has_no_plan() -> None:
    device = with_options_open()
    device.choose_preliminary(Choice.RETURN, W, cause=cause(W.options_from))
    device.collect_events()

    device.choose_preliminary(None, W, cause=cause(W.options_from + US))

    [withdrawn] = recorded(device)
    assert (withdrawn.previous, withdrawn.choice) == (Choice.RETURN, None)
    assert device.preliminary_choice is None


def test_given_a_plan_when_ann_chooses_the_same_again_then_nothing_new_is_recorded() -> None:
    device = with_options_open()
    device.choose_preliminary(Choice.RETURN, W, cause=cause(W.options_from))
    device.collect_events()

    device.choose_preliminary(Choice.RETURN, W, cause=cause(W.options_from + US))

    assert recorded(device) == []


def test_from_r_minus_1_month_the_preliminary_choice_is_closed() -> None:
    device = with_options_open()  # the scheduler has not run yet: the clock decides

    refused(
        device,
        RuleViolation,
        "preliminary choice closed at R − 1 month",
        lambda: device.choose_preliminary(Choice.RETURN, W, cause=cause(W.final_from)),
    )


def test_a_preliminary_choice_for_a_device_that_is_not_leased_is_refused() -> None:
    device = a_device(contract_type=ContractType.RENTAL, lease_start=None, renewal_date=None)
    device.assign(ANN, cause=cause(T_SETUP, ADMIN))
    device.collect_events()

    refused(
        device,
        RuleViolation,
        "only an active leased device has one",
        lambda: device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from)),
    )


# --- R − 1 month: the final decision is requested ---------------------------------------------


def test_at_r_minus_1_month_ann_is_asked_to_decide_with_the_price_of_that_moment() -> None:
    device = with_options_open()

    device.request_final_decision(PRICE, "standard_curve", W, cause=cause(W.final_from, SCHEDULER))

    [requested] = recorded(device)
    assert isinstance(requested, Device.FinalDecisionRequested)
    assert (requested.member_id, requested.deadline) == (ANN, R)
    assert (requested.price, requested.price_source) == (PRICE, "standard_curve")
    assert device.phase == Phase.FINAL


def test_given_the_options_were_never_opened_then_asking_for_the_decision_opens_them_first() -> (
    None
):
    device = a_leased_device_held_by_ann()

    device.request_final_decision(None, None, W, cause=cause(W.final_from, SCHEDULER))

    opened, requested = recorded(device)
    assert isinstance(opened, Device.EndOfLeaseOpened)
    assert isinstance(requested, Device.FinalDecisionRequested)
    assert requested.price is None  # no buyout offered: only a return


def test_given_the_decision_was_requested_when_asked_again_then_nothing_is_recorded() -> None:
    device = in_the_final_phase()

    device.request_final_decision(PRICE, "manual", W, cause=cause(W.final_from + US, SCHEDULER))

    assert recorded(device) == []


# --- the final decision: return, final at once ------------------------------------------------


def test_before_r_minus_1_month_a_final_return_is_refused() -> None:
    device = with_options_open()

    refused(
        device,
        RuleViolation,
        "final decision opens one month before the renewal date",
        lambda: device.choose_return(cause=cause(W.final_from - US)),
    )


def test_given_the_final_phase_when_ann_chooses_to_return_then_it_is_final_at_once() -> None:
    device = in_the_final_phase()

    device.choose_return(cause=cause(CHECKOUT_AT))

    [chosen] = recorded(device)
    assert isinstance(chosen, Device.ReturnChosen)
    assert chosen.member_id == ANN
    assert device.final_decision == Choice.RETURN
    assert device.phase == Phase.DECIDED
    assert device.status == DeviceStatus.ACTIVE_PENDING_RETURN


def test_given_a_final_return_then_no_buyout_and_no_other_choice_is_possible() -> None:
    device = returning()
    later = cause(CHECKOUT_AT + timedelta(hours=1))

    closed = "only an active leased device has one"  # it is pending return now
    refused(device, RuleViolation, closed, device.ensure_buyout_can_start)
    refused(device, RuleViolation, closed, lambda: start(device, "cs_9", later.at))
    refused(device, RuleViolation, closed, lambda: device.choose_return(cause=later))
    refused(
        device,
        RuleViolation,
        closed,
        lambda: device.choose_preliminary(Choice.BUYOUT, W, cause=later),
    )
    device.request_final_decision(PRICE, "manual", W, cause=later)
    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))
    assert recorded(device) == []


# --- the final decision: buyout, by card ------------------------------------------------------


def test_before_the_final_phase_a_buyout_is_refused_before_the_payment_provider_is_asked() -> None:
    device = with_options_open()

    refused(
        device, RuleViolation, "one month before the renewal date", device.ensure_buyout_can_start
    )
    refused(device, RuleViolation, "one month before", lambda: start(device, "cs_1", CHECKOUT_AT))


def test_given_the_final_phase_when_ann_starts_a_buyout_then_its_price_is_frozen() -> None:
    device = in_the_final_phase()
    device.ensure_buyout_can_start()

    start(device, "cs_1", CHECKOUT_AT, amount=Money.of("3290", "SEK"))

    [started] = recorded(device)
    assert isinstance(started, Device.BuyoutCheckoutStarted)
    assert (started.attempt, started.session_id) == (1, "cs_1")
    assert started.amount == Money.of("3290", "SEK")  # the price of that moment
    assert started.price_source == "standard_curve"
    assert started.url == "https://checkout.example/cs_1"
    assert started.expires_at == CHECKOUT_AT + timedelta(hours=24)
    assert device.phase == Phase.CHECKOUT_OPEN
    assert device.final_decision is None  # final only when paid
    assert device.status == DeviceStatus.ACTIVE


def test_while_a_checkout_is_open_a_second_one_or_a_return_is_refused() -> None:
    device = mid_checkout()

    refused(device, RuleViolation, "payment is under way", device.ensure_buyout_can_start)
    refused(device, RuleViolation, "payment is under way", lambda: start(device, "cs_2", PAID_AT))
    refused(
        device,
        RuleViolation,
        "payment is under way",
        lambda: device.choose_return(cause=cause(PAID_AT)),
    )


@pytest.mark.parametrize("reason", ["failed", "expired", "cancelled"])
def test_given_a_checkout_when_it_does_not_complete_then_ann_is_back_at_the_options_and_may_retry(
    reason: str,
) -> None:
    device = mid_checkout()

    changed = device.checkout_did_not_complete("cs_1", reason, cause=cause(PAID_AT, STRIPE))
    start(device, "cs_2", PAID_AT + timedelta(minutes=1))

    assert changed is True
    failed, retried = recorded(device)
    assert isinstance(failed, Device.BuyoutCheckoutFailed)
    assert (failed.session_id, failed.reason) == ("cs_1", reason)
    assert (retried.attempt, retried.session_id) == (2, "cs_2")
    assert device.checkout_session_id == "cs_2"


def test_given_a_failed_checkout_then_ann_may_still_return_the_device_instead() -> None:
    device = mid_checkout()
    device.checkout_did_not_complete("cs_1", "expired", cause=cause(PAID_AT, STRIPE))

    device.choose_return(cause=cause(PAID_AT + US))

    assert device.status == DeviceStatus.ACTIVE_PENDING_RETURN
    assert device.checkout_session_id is None
    assert device.checkout_url is None


def test_an_outcome_for_a_session_that_is_not_the_open_one_changes_nothing() -> None:
    device = mid_checkout()
    before = state(device)

    changed = device.checkout_did_not_complete("cs_old", "expired", cause=cause(PAID_AT, STRIPE))

    assert changed is False
    assert recorded(device) == []
    assert state(device) == before


def test_given_a_checkout_when_its_payment_succeeds_then_ann_has_bought_the_device() -> None:
    device = mid_checkout()

    outcome = device.record_payment("cs_1", "pi_1", PRICE, cause=cause(PAID_AT, STRIPE))

    assert outcome == "paid"
    [paid] = recorded(device)
    assert isinstance(paid, Device.BuyoutPaid)
    assert (paid.session_id, paid.payment_id, paid.amount, paid.paid_at) == (
        "cs_1",
        "pi_1",
        PRICE,
        PAID_AT,
    )
    assert device.status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE
    assert device.final_decision == Choice.BUYOUT
    assert device.phase == Phase.DECIDED
    assert device.buyer_id == ANN


@pytest.mark.parametrize(
    ("session_id", "amount", "reason"),
    [
        ("cs_old", PRICE, "not the open one"),
        ("cs_1", Money.of("3419", "SEK"), "does not match the frozen price"),
        ("cs_1", Money.of("3420", "EUR"), "does not match the frozen price"),
        ("cs_1", None, "does not match the frozen price"),
    ],
    ids=["stale session", "wrong amount", "wrong currency", "no amount"],
)
def test_a_payment_that_does_not_match_the_open_checkout_is_flagged_and_never_fulfilled(
    session_id: str, amount: Money | None, reason: str
) -> None:
    device = mid_checkout()

    outcome = device.record_payment(session_id, "pi_x", amount, cause=cause(PAID_AT, STRIPE))

    assert outcome == "rejected"
    [rejected] = recorded(device)
    assert isinstance(rejected, Device.BuyoutPaymentRejected)
    assert (rejected.session_id, rejected.payment_id, rejected.amount) == (
        session_id,
        "pi_x",
        amount,
    )
    assert reason in rejected.reason
    assert device.status == DeviceStatus.ACTIVE
    assert device.phase == Phase.CHECKOUT_OPEN
    assert device.paid_amount is None


def test_a_payment_for_a_checkout_that_already_failed_is_flagged_not_fulfilled() -> None:
    device = mid_checkout()
    device.checkout_did_not_complete("cs_1", "expired", cause=cause(PAID_AT, STRIPE))
    device.collect_events()

    outcome = device.record_payment("cs_1", "pi_1", PRICE, cause=cause(PAID_AT + US, STRIPE))

    assert outcome == "rejected"
    assert device.status == DeviceStatus.ACTIVE
    assert device.phase == Phase.FINAL


def test_given_a_paid_buyout_when_the_same_payment_arrives_again_then_nothing_is_recorded() -> None:
    device = bought()
    before = state(device)

    outcome = device.record_payment("cs_1", "pi_1", PRICE, cause=cause(PAID_AT + US, STRIPE))

    assert outcome == "already_paid"
    assert recorded(device) == []
    assert state(device) == before


def test_given_a_paid_buyout_when_another_payment_arrives_then_it_is_flagged() -> None:
    device = bought()

    outcome = device.record_payment("cs_2", "pi_2", PRICE, cause=cause(PAID_AT + US, STRIPE))

    assert outcome == "rejected"
    [rejected] = recorded(device)
    assert "already bought" in rejected.reason
    assert device.paid_session_id == "cs_1"


@pytest.mark.parametrize("reason", ["expired", "failed", "cancelled"])
def test_given_a_paid_buyout_when_its_checkout_reports_a_failure_late_then_nothing_regresses(
    reason: str,
) -> None:
    device = bought()
    before = state(device)

    changed = device.checkout_did_not_complete("cs_1", reason, cause=cause(PAID_AT + US, STRIPE))

    assert changed is False
    assert recorded(device) == []
    assert state(device) == before
    assert device.status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE


def test_given_a_paid_buyout_then_ann_cannot_choose_again() -> None:
    device = bought()
    later = cause(PAID_AT + timedelta(days=1))

    closed = "only an active leased device has one"
    refused(device, RuleViolation, closed, device.ensure_buyout_can_start)
    refused(device, RuleViolation, closed, lambda: device.choose_return(cause=later))


# --- R: no decision → overdue, still active ---------------------------------------------------


def test_given_no_decision_at_r_then_the_device_stays_active_flagged_overdue() -> None:
    device = in_the_final_phase()

    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))

    [overdue] = recorded(device)
    assert isinstance(overdue, Device.MarkedOverdue)
    assert overdue.renewal_date == R
    assert device.overdue is True
    assert device.status == DeviceStatus.ACTIVE


def test_given_an_overdue_device_when_the_scheduler_runs_again_then_nothing_is_recorded() -> None:
    device = in_the_final_phase()
    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))
    device.collect_events()

    device.mark_overdue(R, cause=cause(W.overdue_from + timedelta(days=1), SCHEDULER))

    assert recorded(device) == []


def test_given_a_checkout_under_way_at_r_then_it_is_not_flagged_overdue() -> None:
    device = mid_checkout()

    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))

    assert recorded(device) == []
    assert device.overdue is False


def test_given_an_overdue_device_when_ann_decides_late_then_the_flag_is_cleared() -> None:
    returned = in_the_final_phase()
    returned.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))
    paid = in_the_final_phase()
    paid.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))
    late = W.overdue_from + timedelta(days=3)

    returned.choose_return(cause=cause(late))
    start(paid, "cs_late", late)
    paid.record_payment("cs_late", "pi_late", PRICE, cause=cause(late, STRIPE))

    assert (returned.overdue, returned.status) == (False, DeviceStatus.ACTIVE_PENDING_RETURN)
    assert (paid.overdue, paid.status) == (False, DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE)


# --- replacement, delivery, receipt, serial ---------------------------------------------------


def test_a_replacement_registered_before_delivery_awaits_receipt_and_is_not_yet_active() -> None:
    replacement = a_replacement()

    assert replacement.replacement_for == DEVICE
    assert replacement.serial == ""
    assert replacement.received is False
    assert replacement.assignee_id == ANN
    assert replacement.status == DeviceStatus.IN_STOCK  # SPEC: marked received → active


def test_given_a_replacement_when_it_is_marked_received_then_it_becomes_active() -> None:
    replacement = a_replacement()

    replacement.mark_received(cause=cause(PAID_AT, ADMIN))

    [received] = recorded(replacement)
    assert isinstance(received, Device.MarkedReceived)
    assert received.method == "manual"
    assert replacement.received is True
    assert replacement.status == DeviceStatus.ACTIVE


def test_a_device_already_received_cannot_be_marked_received_again() -> None:
    replacement = a_replacement(received=True)
    at_hand = a_leased_device_held_by_ann()

    for device in (replacement, at_hand):
        refused(
            device,
            RuleViolation,
            "already marked received",
            lambda d=device: d.mark_received(cause=cause(PAID_AT, ADMIN)),
        )


def test_given_delivery_without_auto_receipt_then_the_replacement_still_awaits_receipt() -> None:
    replacement = a_replacement()

    replacement.report_delivered(auto_mark_received=False, cause=cause(PAID_AT, ADMIN))

    [delivered] = recorded(replacement)
    assert isinstance(delivered, Device.DeliveryReported)
    assert replacement.delivered is True
    assert replacement.received is False


def test_given_auto_mark_received_when_delivered_then_the_replacement_is_received() -> None:
    replacement = a_replacement()

    replacement.report_delivered(auto_mark_received=True, cause=cause(PAID_AT, ADMIN))

    delivered, received = recorded(replacement)
    assert isinstance(delivered, Device.DeliveryReported)
    assert isinstance(received, Device.MarkedReceived)
    assert received.method == "auto"
    assert replacement.status == DeviceStatus.ACTIVE


def test_a_delivery_reported_twice_is_recorded_once() -> None:
    replacement = a_replacement()
    replacement.report_delivered(auto_mark_received=False, cause=cause(PAID_AT, ADMIN))
    replacement.collect_events()

    replacement.report_delivered(auto_mark_received=False, cause=cause(PAID_AT + US, ADMIN))

    assert recorded(replacement) == []


def test_a_delivery_reported_for_a_device_already_received_is_refused() -> None:
    replacement = a_replacement(received=True)

    refused(
        replacement,
        RuleViolation,
        "already received",
        lambda: replacement.report_delivered(auto_mark_received=True, cause=cause(PAID_AT, ADMIN)),
    )


def test_given_a_replacement_without_a_serial_when_it_is_recorded_then_the_device_has_it() -> None:
    replacement = a_replacement()

    replacement.record_serial("  F2LZK0XYZ  ", cause=cause(PAID_AT, ADMIN))

    [serial] = recorded(replacement)
    assert isinstance(serial, Device.SerialRecorded)
    assert serial.serial == replacement.serial == "F2LZK0XYZ"


def test_a_serial_is_recorded_once_and_never_blank() -> None:
    with_serial = a_replacement(serial="F2LZK0XYZ")
    without = a_replacement()

    refused(
        with_serial,
        RuleViolation,
        "already has a serial",
        lambda: with_serial.record_serial("OTHER", cause=cause(PAID_AT, ADMIN)),
    )
    refused(
        without,
        InvalidValue,
        "cannot be blank",
        lambda: without.record_serial("  ", cause=cause(PAID_AT, ADMIN)),
    )


def test_a_device_links_its_replacement_once() -> None:
    device = bought()

    device.link_replacement(NEW, cause=cause(PAID_AT, ADMIN))

    [link] = recorded(device)
    assert isinstance(link, Device.ReplacementLinked)
    assert link.replacement_id == device.replacement_id == NEW
    refused(
        device,
        RuleViolation,
        "already has a linked replacement",
        lambda: device.link_replacement(UUID(int=99), cause=cause(PAID_AT, ADMIN)),
    )


# --- release: only when all three criteria hold -----------------------------------------------

RELEASE_AT = PAID_AT + timedelta(days=10)


def release(
    device: Device, replacement: Device | None, at: datetime = RELEASE_AT, **kw: Any
) -> None:
    device.release(
        replacement=replacement,
        offboarding_release_from=kw.get("offboarding_release_from"),
        cause=cause(at, ADMIN),
    )


def test_a_device_not_bought_by_its_employee_cannot_be_released() -> None:
    for device in (in_the_final_phase(), mid_checkout(), returning()):
        refused(
            device,
            RuleViolation,
            "Only a device bought by its employee can be released",
            lambda d=device: release(d, a_replacement(serial="X", received=True)),
        )


def test_given_a_paid_buyout_without_a_replacement_then_release_names_what_is_missing() -> None:
    device = bought()

    refused(
        device,
        RuleViolation,
        r"^Cannot release the device yet: no replacement device is linked\.$",
        lambda: release(device, None),
    )


def test_given_a_replacement_neither_received_nor_with_a_serial_then_release_names_both() -> None:
    replacement = a_replacement()
    device = linked(bought(), replacement)

    refused(
        device,
        RuleViolation,
        "the replacement is not received \\(active\\); "
        "the replacement has no serial number recorded",
        lambda: release(device, replacement),
    )


def test_given_a_received_replacement_without_a_serial_then_release_names_the_serial() -> None:
    replacement = a_replacement(received=True)
    device = linked(bought(), replacement)

    assert device.unmet_release_criteria(replacement) == [
        "the replacement has no serial number recorded"
    ]
    refused(device, RuleViolation, "no serial number", lambda: release(device, replacement))


def test_given_a_replacement_with_a_serial_not_yet_received_then_release_names_the_receipt() -> (
    None
):
    replacement = a_replacement(serial="F2LZK0XYZ")
    device = linked(bought(), replacement)

    assert device.unmet_release_criteria(replacement) == [
        "the replacement is not received (active)"
    ]


def test_an_unpaid_device_names_the_payment_among_its_unmet_criteria() -> None:
    device = in_the_final_phase()

    assert device.unmet_release_criteria(None) == [
        "the buyout is not paid",
        "no replacement device is linked",
    ]


def test_given_all_three_criteria_when_an_admin_releases_then_the_employee_owns_the_device() -> (
    None
):
    replacement = a_replacement(serial="F2LZK0XYZ", received=True)
    device = linked(bought(), replacement)
    assert device.unmet_release_criteria(replacement) == []

    release(device, replacement)

    [released] = recorded(device)
    assert isinstance(released, Device.Released)
    assert (released.member_id, released.reason, released.actor) == (
        ANN,
        "replacement_received",
        ADMIN,
    )
    assert device.status == DeviceStatus.BOUGHT_BY_EMPLOYEE
    refused(
        device,
        RuleViolation,
        "Only a device bought by its employee",
        lambda: release(device, replacement),
    )


LAST_DAY = date(2026, 10, 25)  # the fall-back Sunday: 05:00 CET = 04:00 UTC
OFFBOARDING_FROM = offboarding_release_from(LAST_DAY, STOCKHOLM)


def test_offboarding_release_opens_at_05_00_on_the_last_day_without_a_replacement() -> None:
    device = bought()

    release(device, None, OFFBOARDING_FROM, offboarding_release_from=OFFBOARDING_FROM)

    [released] = recorded(device)
    assert datetime(2026, 10, 25, 4, tzinfo=UTC) == OFFBOARDING_FROM
    assert (released.reason, released.member_id) == ("offboarding", ANN)
    assert device.status == DeviceStatus.BOUGHT_BY_EMPLOYEE


def test_offboarding_release_is_refused_at_04_59_local_on_the_last_day() -> None:
    device = bought()
    a_minute_early = OFFBOARDING_FROM - timedelta(minutes=1)

    refused(
        device,
        RuleViolation,
        "no replacement device is linked",
        lambda: release(device, None, a_minute_early, offboarding_release_from=OFFBOARDING_FROM),
    )


# --- the return path --------------------------------------------------------------------------


def test_given_a_return_when_the_replacement_is_received_then_an_admin_confirms_the_return() -> (
    None
):
    replacement = a_replacement(serial="F2LZK0XYZ", received=True)
    device = linked(returning(), replacement)

    device.confirm_return(replacement=replacement, cause=cause(RELEASE_AT, ADMIN))

    [confirmed] = recorded(device)
    assert isinstance(confirmed, Device.ReturnConfirmed)
    assert device.status == DeviceStatus.RETURNED


def test_a_return_is_confirmed_only_once_the_replacement_is_received() -> None:
    not_received = a_replacement()
    device = linked(returning(), not_received)
    alone = returning()
    message = "once the replacement is received"

    confirm = Device.confirm_return
    refused(
        device,
        RuleViolation,
        message,
        lambda: confirm(device, replacement=not_received, cause=cause(RELEASE_AT, ADMIN)),
    )
    refused(
        alone,
        RuleViolation,
        message,
        lambda: confirm(alone, replacement=None, cause=cause(RELEASE_AT, ADMIN)),
    )


def test_only_a_device_its_employee_chose_to_return_can_be_confirmed_returned() -> None:
    replacement = a_replacement(received=True)
    for device in (in_the_final_phase(), bought()):
        refused(
            device,
            RuleViolation,
            "chose to return it",
            lambda d=device: d.confirm_return(
                replacement=replacement, cause=cause(RELEASE_AT, ADMIN)
            ),
        )


def test_given_a_returned_device_when_an_admin_removes_it_then_it_is_gone_for_good() -> None:
    replacement = a_replacement(received=True)
    device = linked(returning(), replacement)
    device.confirm_return(replacement=replacement, cause=cause(RELEASE_AT, ADMIN))
    device.collect_events()

    device.remove(cause=cause(RELEASE_AT + US, ADMIN))

    [removed] = recorded(device)
    assert isinstance(removed, Device.Removed)
    assert device.status == DeviceStatus.REMOVED
    refused(
        device,
        RuleViolation,
        "Only a returned device",
        lambda: device.remove(cause=cause(RELEASE_AT, ADMIN)),
    )
    refused(
        device,
        RuleViolation,
        "whose status is 'removed'",
        lambda: device.unassign(cause=cause(RELEASE_AT, ADMIN)),
    )


def test_a_device_not_returned_cannot_be_removed() -> None:
    for device in (returning(), bought(), a_leased_device_held_by_ann()):
        refused(
            device,
            RuleViolation,
            "Only a returned device can be removed",
            lambda d=device: d.remove(cause=cause(RELEASE_AT, ADMIN)),
        )


# --- rentals: RMA swap and deactivation -------------------------------------------------------


def a_rental() -> Device:
    device = a_device(contract_type=ContractType.RENTAL, lease_start=None, renewal_date=None)
    device.assign(ANN, cause=cause(T_SETUP, ADMIN))
    device.collect_events()
    return device


def test_given_a_rental_when_it_is_swapped_then_the_old_unit_awaits_its_rma_without_a_rental() -> (
    None
):
    device = a_rental()

    device.swap_rental(NEW, cause=cause(RELEASE_AT, ADMIN))

    [swapped] = recorded(device)
    assert isinstance(swapped, Device.RmaSwapped)
    assert swapped.replacement_id == device.replacement_id == NEW
    assert device.status == DeviceStatus.RMA_PENDING
    assert device.rental_active is False


def test_a_device_without_an_active_rental_cannot_be_swapped_or_deactivated() -> None:
    swapped = a_rental()
    swapped.swap_rental(NEW, cause=cause(RELEASE_AT, ADMIN))
    swapped.collect_events()
    for device in (a_leased_device_held_by_ann(), swapped):
        refused(
            device,
            RuleViolation,
            "Only an active rental device can be swapped",
            lambda d=device: d.swap_rental(UUID(int=5), cause=cause(RELEASE_AT, ADMIN)),
        )
        refused(
            device,
            RuleViolation,
            "no active rental",
            lambda d=device: d.deactivate_rental(cause=cause(RELEASE_AT, ADMIN)),
        )


def test_given_a_rental_when_it_is_deactivated_then_it_has_no_rental_and_cannot_be_again() -> None:
    device = a_rental()

    device.deactivate_rental(cause=cause(RELEASE_AT, ADMIN))

    [deactivated] = recorded(device)
    assert isinstance(deactivated, Device.RentalDeactivated)
    assert device.rental_active is False
    refused(
        device,
        RuleViolation,
        "no active rental",
        lambda: device.deactivate_rental(cause=cause(RELEASE_AT, ADMIN)),
    )


# --- buyout price inputs ----------------------------------------------------------------------


def test_a_manual_price_is_recorded_with_its_source_and_when_and_clearing_forgets_it() -> None:
    device = a_leased_device_held_by_ann()

    device.set_buyout_price(Money.of("2500", "SEK"), source="csv", cause=cause(T_SETUP, ADMIN))
    device.set_buyout_price(None, source="api", cause=cause(PAID_AT, ADMIN))

    set_, cleared = recorded(device)
    assert isinstance(set_, Device.BuyoutPriceSet)
    assert (set_.amount, set_.source, set_.at) == (Money.of("2500", "SEK"), "csv", T_SETUP)
    assert (cleared.amount, cleared.source) == (None, "api")
    assert (device.manual_price, device.manual_price_set_at) == (None, None)


def test_a_manual_price_in_another_currency_or_not_positive_is_refused() -> None:
    device = a_leased_device_held_by_ann()
    for amount, message in (
        (Money.of("100", "EUR"), "must be in SEK"),
        (Money.zero("SEK"), "must be positive"),
        (Money.of("-1", "SEK"), "must be positive"),
    ):
        refused(
            device,
            InvalidValue,
            message,
            lambda a=amount: device.set_buyout_price(a, source="api", cause=cause(T_SETUP, ADMIN)),
        )


def test_buyout_availability_records_only_changes() -> None:
    device = a_leased_device_held_by_ann()

    device.set_buyout_availability(True, cause=cause(T_SETUP, ADMIN))  # already available
    device.set_buyout_availability(False, cause=cause(T_SETUP, ADMIN))
    device.set_buyout_availability(False, cause=cause(T_SETUP, ADMIN))

    [changed] = recorded(device)
    assert isinstance(changed, Device.BuyoutAvailabilitySet)
    assert changed.available is False
    assert device.buyout_available is False


# --- invariants -------------------------------------------------------------------------------

SESSIONS = ["cs_a", "cs_b", "cs_c"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.sampled_from(SESSIONS)),
        st.tuples(st.sampled_from(["failed", "expired", "cancelled"]), st.sampled_from(SESSIONS)),
        st.tuples(st.just("pay"), st.sampled_from(SESSIONS), st.booleans()),
        st.tuples(st.just("return")),
        st.tuples(st.just("overdue")),
    ),
    max_size=25,
)


@given(steps=steps)
def test_whatever_the_provider_says_a_buyout_is_paid_once_at_its_frozen_price_never_regressing(
    steps: list[tuple[Any, ...]],
) -> None:
    device = in_the_final_phase()
    at = CHECKOUT_AT
    paid_status: DeviceStatus | None = None

    for step in steps:
        at += timedelta(minutes=1)
        kind = step[0]
        try:
            if kind == "start":
                start(device, f"{step[1]}-{device.checkout_attempts + 1}", at)
            elif kind == "pay":
                session = device.checkout_session_id or step[1]
                amount = device.checkout_amount if step[2] else Money.of("1", "SEK")
                device.record_payment(session, "pi", amount, cause=cause(at, STRIPE))
            elif kind == "return":
                device.choose_return(cause=cause(at))
            elif kind == "overdue":
                device.mark_overdue(R, cause=cause(at, SCHEDULER))
            else:
                session = device.checkout_session_id or step[1]
                device.checkout_did_not_complete(session, kind, cause=cause(at, STRIPE))
        except RuleViolation:
            pass
        if paid_status is not None:
            assert device.status == paid_status  # never regresses
        if device.paid_amount is not None:
            paid_status = DeviceStatus(device.status)

    events = device.collect_events()
    started = [e for e in events if isinstance(e, Device.BuyoutCheckoutStarted)]
    paid = [e for e in events if isinstance(e, Device.BuyoutPaid)]
    returned = [e for e in events if isinstance(e, Device.ReturnChosen)]
    assert [e.attempt for e in started] == list(range(1, len(started) + 1))
    assert len(paid) + len(returned) <= 1
    for payment in paid:
        [its_checkout] = [e for e in started if e.session_id == payment.session_id]
        assert payment.amount == its_checkout.amount
    if paid or returned:
        assert device.phase == Phase.DECIDED


def test_replaying_a_whole_buyout_and_release_reproduces_the_live_device() -> None:
    replacement = a_replacement(serial="F2LZK0XYZ", received=True)
    device = Device.register(
        device_id=DEVICE,
        company_id=ACME,
        serial="SN-OLD",
        model="iPhone 15",
        category="phone",
        company_cost=Money.of("12000", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2024, 1, 15),
        renewal_date=R,
        cause=cause(T_SETUP, ADMIN),
    )
    device.assign(ANN, cause=cause(T_SETUP, ADMIN))
    device.open_end_of_lease(W, cause=cause(W.options_from, SCHEDULER))
    device.choose_preliminary(Choice.BUYOUT, W, cause=cause(W.options_from))
    device.request_final_decision(PRICE, "standard_curve", W, cause=cause(W.final_from, SCHEDULER))
    start(device, "cs_1", CHECKOUT_AT)
    device.checkout_did_not_complete("cs_1", "expired", cause=cause(PAID_AT, STRIPE))
    start(device, "cs_2", PAID_AT)
    device.record_payment("cs_1", "pi_0", PRICE, cause=cause(PAID_AT, STRIPE))
    device.record_payment("cs_2", "pi_2", PRICE, cause=cause(PAID_AT, STRIPE))
    device.mark_overdue(R, cause=cause(W.overdue_from, SCHEDULER))  # decided: nothing
    device.link_replacement(replacement.id, cause=cause(PAID_AT, ADMIN))
    release(device, replacement)
    history = device.collect_events()

    replayed = None
    for event in history:
        replayed = event.mutate(replayed)

    assert replayed is not None
    assert state(replayed) == state(device)
    assert replayed.status == DeviceStatus.BOUGHT_BY_EMPLOYEE
    assert (replayed.checkout_attempts, replayed.paid_session_id) == (2, "cs_2")
