"""A command's path runs one way: the device applies its own time rules given `now` and its
company's terms, and the due read model names what is due by the same function.

- The device alone (`Device.apply_due_rules`) records exactly what the application's catch-up
  recorded before it moved into the aggregate — that catch-up and its price assembly are
  kept below, verbatim in meaning, as the reference — and leaves nothing due at `now`.
- Through the application, a command and the scheduler's tick record what the device alone
  records: load, the device's time rules, the command, save.
- The due read model, folded from the same events, holds for every device the rule and
  instant `due.next_due` gives for the aggregate.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from adapters.sql import SqliteDatabase
from domain.application import LessorApplication
from domain.model.actor import Actor, Role
from domain.model.buyout_price import (
    BuyoutTerms,
    CategoryValuation,
    ManualPrice,
    Quote,
    resolve_price,
)
from domain.model.device import ContractType, Device
from domain.model.due import DEVICE_RULES, next_due
from domain.model.end_of_lease import Phase, windows
from domain.model.events import Cause
from domain.model.time import local_date
from projections.due import DueProjection
from projections.jsonable import utc_text
from tests.apps import in_memory_app
from tests.unit.test_device_lifecycle import (
    BUYOUT_AND_RELEASE,
    MAPPER,
    RETURN_AND_REMOVE,
    STOCKHOLM,
    Step,
    W,
    World,
    steps,
)
from tests.unit.test_end_of_lease_application import FakePaymentGateway, a_company, at
from tests.unit.test_end_of_lease_application import W as ACME_W

US = timedelta(microseconds=1)
CHECKOUT_EXPIRES = datetime(2026, 7, 1, 10, tzinfo=UTC)  # the World's buyout: T + 1 h
INSTANTS = (
    W.options_from - US,
    W.options_from,
    CHECKOUT_EXPIRES + timedelta(hours=1) - US,
    CHECKOUT_EXPIRES + timedelta(hours=1),
    W.final_from - US,
    W.final_from,
    W.overdue_from - US,
    W.overdue_from,
    W.overdue_from + timedelta(days=40),
)
PHONES = {"phone": CategoryValuation(enabled=True, enabled_at=W.options_from, custom_curve=None)}


# --- the reference: the application's catch-up before the device applied its own rules ------


def price_as_before(device: Device, terms: BuyoutTerms, at: datetime) -> Quote | None:
    """`Valuation.price_of` as it was: the application assembling the price's inputs."""
    manual = None
    if device.manual_price is not None and device.manual_price_set_at is not None:
        manual = ManualPrice(device.manual_price, device.manual_price_set_at)
    return resolve_price(
        buyout_enabled=terms.buyout_enabled,
        available=device.buyout_available,
        company_cost=device.company_cost,
        category=device.category,
        valued_from=device.lease_start or device.registered_at.date(),
        manual=manual,
        valuation=terms.valuations.get(device.category),
        on=local_date(at, terms.time_zone),
    )


def catch_up_as_before(device: Device, terms: BuyoutTerms, now: datetime) -> None:
    """`EndOfLeaseCommands._catch_up` as it was, in the application."""
    if device.contract_type != ContractType.LEASED or device.renewal_date is None:
        return
    w = windows(device.renewal_date, terms.time_zone)
    cause = Cause(Actor("scheduler", Role.SYSTEM), now, f"schedule-{device.id}")
    if now >= w.options_from:
        device.open_end_of_lease(w, cause=cause)
    if now >= w.final_from and Phase(device.phase) in (Phase.NONE, Phase.PRELIMINARY):
        quote = price_as_before(device, terms, now)
        device.request_final_decision(
            quote.amount if quote else None, quote.source if quote else None, w, cause=cause
        )
    expires_at, session_id = device.checkout_expires_at, device.checkout_session_id
    if session_id and expires_at and now >= expires_at + timedelta(hours=1):
        device.checkout_did_not_complete(session_id, "expired", cause=cause)
    if now >= w.overdue_from:
        device.mark_overdue(w.renewal_date, cause=cause)


def facts(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """What events say, without the recording time (the library's timestamp)."""
    return [
        (type(e).__name__, {k: v for k, v in vars(e).items() if k != "timestamp"}) for e in events
    ]


# --- the device alone ------------------------------------------------------------------------


@given(
    steps=steps,
    now=st.sampled_from(INSTANTS),
    zone=st.sampled_from([STOCKHOLM, "America/New_York"]),
    buyout_enabled=st.booleans(),
    valued=st.booleans(),
)
@example(BUYOUT_AND_RELEASE[:3], W.overdue_from, STOCKHOLM, True, True)  # lapse, then overdue
@example(BUYOUT_AND_RELEASE[:1], W.overdue_from, STOCKHOLM, True, True)  # all three windows
@example(RETURN_AND_REMOVE[:3], W.final_from, STOCKHOLM, True, False)  # final, no price
def test_the_device_alone_records_what_the_applications_catch_up_did(
    steps: list[Step], now: datetime, zone: str, buyout_enabled: bool, valued: bool
) -> None:
    world = World(last_day=None)
    for step in steps:
        world.run(step)
    terms = BuyoutTerms(zone, buyout_enabled, PHONES if valued else {})

    for device in world.devices:
        before, alone = copy.deepcopy(device), copy.deepcopy(device)
        catch_up_as_before(before, terms, now)
        alone.apply_due_rules(now, terms)

        assert facts(alone.collect_events()) == facts(before.collect_events())
        due = next_due(alone, zone)
        assert due is None or due.at > now  # nothing it would act on is left due
        alone.apply_due_rules(now, terms)
        assert alone.pending_events == []  # again at the same instant: nothing more


def test_the_examples_reach_every_time_rule() -> None:
    """The explicit examples do exercise each rule (else the equivalence would prove little)."""
    world = World(last_day=None)
    for step in BUYOUT_AND_RELEASE[:3]:  # assign, final decision requested, checkout open
        world.run(step)
    fresh = World(last_day=None)
    fresh.run(BUYOUT_AND_RELEASE[0])
    terms = BuyoutTerms(STOCKHOLM, True, PHONES)

    world.devices[0].apply_due_rules(W.overdue_from, terms)
    fresh.devices[0].apply_due_rules(W.overdue_from, terms)

    assert [name for name, _ in facts(world.devices[0].collect_events())] == [
        "BuyoutCheckoutFailed",
        "MarkedOverdue",
    ]
    recorded = facts(fresh.devices[0].collect_events())
    assert [name for name, _ in recorded] == [
        "EndOfLeaseOpened",
        "FinalDecisionRequested",
        "MarkedOverdue",
    ]
    assert recorded[1][1]["price"] is not None  # priced by the company's terms
    assert {fields["actor"] for _, fields in recorded} == {Actor("scheduler", Role.SYSTEM)}


# --- through the application -----------------------------------------------------------------


def stored_after(app: LessorApplication, device: Device) -> list[Any]:
    return list(app.events.get(device.id, gt=device.version))


def test_a_command_records_the_devices_own_time_rules_then_its_own_fact() -> None:
    app = in_memory_app(payment_gateway=FakePaymentGateway())
    acme = a_company(app, "Acme AB")
    when = ACME_W.final_from + timedelta(days=1)  # no tick has run: the options are not even open
    device = acme.device()
    alone = copy.deepcopy(device)
    alone.apply_due_rules(when, app.valuation.terms(acme.company()))
    alone.choose_return(cause=Cause(acme.ann.actor, when, "req-1"))

    app.end_of_lease.choose_return(at(acme.ann, when), acme.phone_id)

    recorded = facts(stored_after(app, device))
    assert recorded == facts(alone.collect_events())
    assert [name for name, _ in recorded] == [
        "EndOfLeaseOpened",
        "FinalDecisionRequested",
        "ReturnChosen",
    ]


def test_the_schedulers_tick_records_what_the_device_alone_records() -> None:
    app = in_memory_app(payment_gateway=FakePaymentGateway())
    acme = a_company(app, "Acme AB")
    device = acme.device()
    alone = copy.deepcopy(device)
    alone.apply_due_rules(ACME_W.overdue_from, app.valuation.terms(acme.company()))

    assert app.end_of_lease.advance(acme.phone_id, ACME_W.overdue_from) == 3
    assert facts(stored_after(app, device)) == facts(alone.collect_events())


# --- the due read model ----------------------------------------------------------------------


@contextmanager
def due_view(events: list[Any]) -> Iterator[Any]:
    """The due read model of these events (stored and decoded as the projector does)."""
    projection = DueProjection()
    db = SqliteDatabase(":memory:")
    with db.transaction() as tx:
        view = tx.with_names({table: table for table in projection.tables})
        for table, body in projection.tables.items():
            view.execute(f"CREATE TABLE {{{table}}} ({body})")
        for position, event in enumerate(events, start=1):
            projection.apply(MAPPER.to_domain_event(MAPPER.to_stored_event(event)), position, view)
        yield view
    db.close()


@given(steps=steps)
@example(BUYOUT_AND_RELEASE[:3])  # a checkout open: its lapse
@example(RETURN_AND_REMOVE[:4])  # overdue: nothing more
def test_the_due_read_model_names_the_rule_the_device_applies_next(steps: list[Step]) -> None:
    world = World(last_day=None)
    for step in steps:
        world.run(step)

    with due_view(world.events) as view:
        marks = ", ".join("?" for _ in DEVICE_RULES)
        rows = view.fetchall(
            f"SELECT aggregate_id, rule, due_at FROM {{due}} WHERE rule IN ({marks})",
            tuple(rule.value for rule in DEVICE_RULES),
        )
        bought = view.fetchall(
            "SELECT device_id, bought FROM {due_devices} ORDER BY registered_position"
        )
    expected = {}
    for device in world.devices:
        due = next_due(device, STOCKHOLM)
        if due is not None:
            expected[str(device.id)] = (due.rule.value, utc_text(due.at))
    assert {aggregate: (rule, at) for aggregate, rule, at in rows} == expected
    assert [(d, bool(b)) for d, b in bought] == [
        (str(d.id), d.status == "active_bought_by_employee") for d in world.devices
    ]
