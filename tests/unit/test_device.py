"""Device: registering hardware under its contract, and handing it to (and back from) members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import given
from hypothesis import strategies as st

from domain.application import LessorApplication
from domain.model.actor import Actor, Role
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from tests.apps import in_memory_app

ACME = UUID("00000000-0000-4000-8000-00000000acde")
DEVICE = UUID("00000000-0000-4000-8000-0000000de71c")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
BOB = UUID("00000000-0000-4000-8000-000000000b0b")
CAT = UUID("00000000-0000-4000-8000-000000000ca7")
ADMIN = Actor("acme-admin", Role.ADMIN)
T0 = datetime(2021, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 9, 16, 45, tzinfo=UTC)


def cause(at: datetime = T0, correlation_id: str = "req-1") -> Cause:
    return Cause(actor=ADMIN, at=at, correlation_id=correlation_id)


def register(**overrides: Any) -> Device:
    arguments: dict[str, Any] = {
        "device_id": DEVICE,
        "company_id": ACME,
        "serial": "C02XL0GHJGH5",
        "model": "MacBook Pro 14",
        "category": "laptop",
        "company_cost": Money(2_499_000, "SEK"),
        "contract_type": ContractType.LEASED,
        "lease_start": date(2026, 1, 1),
        "renewal_date": date(2029, 1, 1),
        "cause": cause(),
    }
    arguments.update(overrides)
    return Device.register(**arguments)


def a_device_in_stock(**overrides: Any) -> Device:
    device = register(**overrides)
    device.collect_events()
    return device


def a_device_assigned_to(member_id: UUID) -> Device:
    device = a_device_in_stock()
    device.assign(member_id, cause=cause())
    device.collect_events()
    return device


def state(aggregate: Aggregate) -> dict[str, Any]:
    """Everything an aggregate knows, except what it has not yet recorded."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


# --- registering --------------------------------------------------------------------------


def test_a_registered_device_is_in_stock_and_unassigned() -> None:
    device = register()

    assert device.status == DeviceStatus.IN_STOCK
    assert device.assignee_id is None
    assert device.company_id == ACME
    assert device.registered_at == T0


def test_registering_records_the_device_stamped_with_actor_business_time_and_company() -> None:
    device = register(serial="  C02XL0GHJGH5 ", model=" MacBook Pro 14 ", category=" Laptop ")

    [registered] = device.collect_events()

    assert isinstance(registered, Device.Registered)
    assert registered.originator_id == DEVICE
    assert registered.serial == "C02XL0GHJGH5"
    assert registered.model == "MacBook Pro 14"
    assert registered.category == "laptop"
    assert registered.company_cost == Money(2_499_000, "SEK")
    assert registered.contract_type == ContractType.LEASED
    assert registered.lease_start == date(2026, 1, 1)
    assert registered.renewal_date == date(2029, 1, 1)
    assert registered.replacement_for is None
    assert (registered.actor, registered.at, registered.correlation_id, registered.company_id) == (
        ADMIN,
        T0,
        "req-1",
        ACME,
    )
    assert registered.at != registered.timestamp


@pytest.mark.parametrize("category", ["LAPTOP", " Laptop ", "lapTop"])
def test_the_category_is_kept_in_lower_case(category: str) -> None:
    assert register(category=category).category == "laptop"


def test_the_serial_keeps_its_case_but_not_surrounding_blanks() -> None:
    assert register(serial=" sn-Ab1 ").serial == "sn-Ab1"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("serial", "serial number cannot be blank"),
        ("model", "needs a model"),
        ("category", "needs a category"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_device_with_a_blank_serial_model_or_category_is_refused(
    field: str, message: str, blank: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        register(**{field: blank})


def test_a_negative_company_cost_is_refused() -> None:
    with pytest.raises(InvalidValue, match="cannot be negative"):
        register(company_cost=Money(-1, "SEK"))


def test_a_device_that_cost_nothing_is_accepted() -> None:
    assert register(company_cost=Money(0, "SEK")).company_cost == Money.zero("SEK")


@pytest.mark.parametrize(
    ("lease_start", "renewal_date"),
    [(None, date(2029, 1, 1)), (date(2026, 1, 1), None), (None, None)],
    ids=["no-start", "no-renewal", "neither"],
)
def test_a_leased_device_needs_a_lease_start_and_a_renewal_date(
    lease_start: date | None, renewal_date: date | None
) -> None:
    with pytest.raises(InvalidValue, match="needs a lease start and a renewal date"):
        register(lease_start=lease_start, renewal_date=renewal_date)


@pytest.mark.parametrize("renewal_date", [date(2026, 1, 1), date(2025, 12, 31)])
def test_a_lease_renews_after_it_starts(renewal_date: date) -> None:
    with pytest.raises(InvalidValue, match="renewal date must come after the lease start"):
        register(lease_start=date(2026, 1, 1), renewal_date=renewal_date)


def test_a_lease_may_renew_the_day_after_it_starts() -> None:
    device = register(lease_start=date(2026, 1, 1), renewal_date=date(2026, 1, 2))

    assert device.renewal_date == date(2026, 1, 2)


@pytest.mark.parametrize("contract_type", [ContractType.PURCHASED, ContractType.RENTAL])
def test_only_a_leased_device_has_a_renewal_date(contract_type: ContractType) -> None:
    with pytest.raises(InvalidValue, match="Only leased devices have a renewal date"):
        register(contract_type=contract_type, lease_start=None, renewal_date=date(2029, 1, 1))


@pytest.mark.parametrize("contract_type", [ContractType.PURCHASED, ContractType.RENTAL])
def test_a_purchased_or_rented_device_needs_no_dates(contract_type: ContractType) -> None:
    device = register(contract_type=contract_type, lease_start=None, renewal_date=None)

    assert device.contract_type is contract_type
    assert device.renewal_date is None


# --- assigning ----------------------------------------------------------------------------


def test_assigning_a_device_in_stock_makes_it_active_with_the_member() -> None:
    device = a_device_in_stock()

    device.assign(ANN, cause=cause(T1, "req-2"))

    assert device.status == DeviceStatus.ACTIVE
    assert device.assignee_id == ANN
    [assigned] = device.collect_events()
    assert isinstance(assigned, Device.Assigned)
    assert assigned.member_id == ANN
    assert (assigned.actor, assigned.at, assigned.correlation_id, assigned.company_id) == (
        ADMIN,
        T1,
        "req-2",
        ACME,
    )


def test_assigning_a_device_to_its_holder_again_is_refused_and_changes_nothing() -> None:
    device = a_device_assigned_to(ANN)
    before = state(device)

    with pytest.raises(RuleViolation) as refused:
        device.assign(ANN, cause=cause(T1))

    assert refused.value.detail == "The device is already assigned to this member."
    assert device.collect_events() == []
    assert state(device) == before


def test_assigning_a_device_held_by_someone_else_is_refused_and_changes_nothing() -> None:
    device = a_device_assigned_to(ANN)
    before = state(device)

    with pytest.raises(RuleViolation) as refused:
        device.assign(BOB, cause=cause(T1))

    assert refused.value.detail == "The device is assigned to someone else: unassign it first."
    assert device.collect_events() == []
    assert state(device) == before


# --- unassigning --------------------------------------------------------------------------


def test_unassigning_puts_the_device_back_in_stock_and_records_who_had_it() -> None:
    device = a_device_assigned_to(ANN)

    device.unassign(cause=cause(T1, "req-3"))

    assert device.status == DeviceStatus.IN_STOCK
    assert device.assignee_id is None
    [unassigned] = device.collect_events()
    assert isinstance(unassigned, Device.Unassigned)
    assert unassigned.member_id == ANN
    assert (unassigned.actor, unassigned.at, unassigned.correlation_id) == (ADMIN, T1, "req-3")
    assert unassigned.company_id == ACME


def test_unassigning_a_device_nobody_holds_is_refused_and_changes_nothing() -> None:
    device = a_device_in_stock()
    before = state(device)

    with pytest.raises(RuleViolation) as refused:
        device.unassign(cause=cause(T1))

    assert refused.value.detail == "The device is not assigned to anyone."
    assert device.collect_events() == []
    assert state(device) == before


def test_a_device_handed_back_can_go_to_someone_else() -> None:
    device = a_device_assigned_to(ANN)

    device.unassign(cause=cause(T1))
    device.assign(BOB, cause=cause(T1))

    assert device.assignee_id == BOB
    assert device.status == DeviceStatus.ACTIVE
    assert [type(e) for e in device.collect_events()] == [Device.Unassigned, Device.Assigned]


# --- properties: replay reproduces state ---------------------------------------------------

Step = tuple[str, UUID | None]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.sampled_from([ANN, BOB, CAT])),
        st.tuples(st.just("unassign"), st.none()),
    ),
    max_size=30,
)


def act(device: Device, commands: Sequence[Step]) -> None:
    """Run the commands on the live device, checking each against a one-line model of it.

    Accepted steps stay pending on the device; a refused step raises and changes nothing.
    """
    for number, (command, member_id) in enumerate(commands, start=device.version):
        at = T0 + timedelta(hours=number)
        holder = device.assignee_id
        before = state(device)
        if command == "assign":
            assert member_id is not None
            if holder is None:
                device.assign(member_id, cause=cause(at, f"req-{number}"))
                holder = member_id
            else:
                with pytest.raises(RuleViolation):
                    device.assign(member_id, cause=cause(at))
        elif holder is not None:
            device.unassign(cause=cause(at, f"req-{number}"))
            holder = None
        else:
            with pytest.raises(RuleViolation):
                device.unassign(cause=cause(at))
        if holder == before["assignee_id"]:  # refused
            assert state(device) == before
        assert device.assignee_id == holder
        assert device.status == (DeviceStatus.ACTIVE if holder else DeviceStatus.IN_STOCK)


def fold(events: Sequence[Any]) -> Device:
    device: Any = None
    for recorded in events:
        device = recorded.mutate(device)
    assert isinstance(device, Device)
    return device


@given(commands=steps)
def test_replaying_a_devices_events_in_a_fresh_application_reproduces_the_live_device(
    commands: list[Step],
) -> None:
    live = register()
    act(live, commands)
    recorded = live.collect_events()

    app = in_memory_app()
    app.save(*recorded)

    stored = app.repository.get(DEVICE)
    assert state(stored) == state(live)
    assert state(fold(recorded)) == state(live)
    assert stored.version == len(recorded)


@cache
def snapshotting_every(interval: int) -> type[LessorApplication]:
    return type(
        f"LessorSnapshottingEvery{interval}",
        (LessorApplication,),
        {"snapshotting_intervals": {Device: interval}},
    )


@given(commands=steps, interval=st.integers(min_value=1, max_value=5))
def test_a_snapshot_plus_the_events_after_it_equals_replaying_every_event(
    commands: list[Step], interval: int
) -> None:
    app = in_memory_app(snapshotting_every(interval))
    live = register()
    app.save(live)
    for step in commands:  # one command, one save: snapshots are taken as events are saved
        act(live, [step])
        app.save(live)

    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(DEVICE))
    assert [s.originator_version for s in snapshots] == [
        v for v in range(1, live.version + 1) if v % interval == 0
    ]
    full_replay = fold(list(app.events.get(DEVICE)))
    from_snapshot = app.repository.get(DEVICE)
    assert state(from_snapshot) == state(full_replay) == state(live)
    for version in range(1, live.version + 1):
        at_version = app.repository.get(DEVICE, version=version)
        assert state(at_version) == state(fold(list(app.events.get(DEVICE, lte=version))))
