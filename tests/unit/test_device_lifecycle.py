"""One source for the device's rules: the aggregate and the hardware overview agree.

Hypothesis drives command sequences on a few devices (refused commands record nothing); every
event recorded goes through the real mapper into the hardware overview on SQLite. Then the
view must say what the aggregates say: status, phase, received, final decision, overdue,
ready to release (the query the API answers with) and which devices are in the lease flow
(the scheduler's query). Replaying the stored events, or a snapshot, gives the same device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import pytest
from eventsourcing.domain import Snapshot
from hypothesis import example, given
from hypothesis import strategies as st

from adapters.sql import SqliteDatabase
from domain.model.actor import Actor, Caller, Role
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.device_events import DeviceEvent
from domain.model.device_lifecycle import (
    IN_LEASE_FLOW,
    LIFECYCLE_FIELDS,
    TRANSITIONS,
    holds,
    ready_to_release,
)
from domain.model.end_of_lease import Choice, offboarding_release_from, windows
from domain.model.errors import DomainError
from domain.model.events import Cause
from domain.model.member import Member
from domain.model.money import Money
from projections.hardware_overview import HardwareOverview
from projections.hardware_overview.queries import (
    HardwareFilter,
    leased_devices_in_use,
    query_hardware,
)
from tests.apps import in_memory_app

NS = UUID("00000000-0000-4000-8000-00000000f00d")
ACME = uuid5(NS, "acme")
ANN, BOB = uuid5(NS, "ann"), uuid5(NS, "bob")
STOCKHOLM = "Europe/Stockholm"
R = date(2026, 9, 15)
W = windows(R, STOCKHOLM)  # options from 14 Jun, final from 14 Aug (local midnight)
T = datetime(2026, 7, 1, 9, tzinfo=UTC)  # inside the preliminary window
LATER = datetime(2027, 1, 4, 9, tzinfo=UTC)  # after every last employment day drawn below
CAUSE = Cause(actor=Actor("tok-acme-admin", Role.ADMIN), at=T, correlation_id="req-1")
PRICE = Money.of("3420", "SEK")
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
MAPPER = in_memory_app().mapper

COMMANDS = (
    "assign",
    "unassign",
    "open",
    "final",
    "prelim",
    "return",
    "buyout",
    "fail",
    "pay",
    "overdue",
    "link",
    "deliver",
    "receive",
    "serial",
    "release",
    "confirm",
    "remove",
    "swap",
    "deactivate",
    "price",
    "available",
)
Step = tuple[str, int, int]  # command, device, argument


@dataclass
class World:
    """Acme, Ann and Bob, two leased devices, a replacement on order and a rental."""

    last_day: date | None
    events: list[Any] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)

    def __post_init__(self) -> None:
        company = Company.register(
            company_id=ACME, name="Acme", currency="SEK", time_zone=STOCKHOLM, cause=CAUSE
        )
        self.events += company.collect_events()
        for member_id, name, last_day in ((ANN, "Ann", self.last_day), (BOB, "Bob", None)):
            member = Member.register(
                member_id=member_id,
                company_id=ACME,
                email=f"{name.lower()}@acme.se",
                name=name,
                role=Role.EMPLOYEE,
                last_employment_day=last_day,
                cause=CAUSE,
            )
            self.events += member.collect_events()
        leased = {"contract_type": ContractType.LEASED, "lease_start": date(2024, 9, 15)}
        for n, serial, contract, replacement_for in (
            (0, "SN-0", leased, None),
            (1, "SN-1", leased, None),
            (2, "", leased, uuid5(NS, "device-0")),
            (3, "SN-3", {"contract_type": ContractType.RENTAL, "lease_start": None}, None),
        ):
            self.devices.append(
                Device.register(
                    device_id=uuid5(NS, f"device-{n}"),
                    company_id=ACME,
                    serial=serial,
                    model="iPhone 15",
                    category="phone",
                    company_cost=Money.of("12000", "SEK"),
                    renewal_date=R if contract["contract_type"] == ContractType.LEASED else None,
                    replacement_for=replacement_for,
                    cause=CAUSE,
                    **contract,
                )
            )
        self.collect()

    def collect(self) -> None:
        for device in self.devices:
            self.events += device.collect_events()

    def by_id(self, device_id: UUID | None) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def release_from(self, device: Device) -> datetime | None:
        """The buyer's offboarding release instant, as the application finds it."""
        if device.buyer_id != ANN or self.last_day is None:
            return None
        return offboarding_release_from(self.last_day, STOCKHOLM)

    def run(self, step: Step) -> None:
        command, n, arg = step
        device = self.devices[n]
        other = self.devices[arg % len(self.devices)]
        try:
            self._command(command, device, other, arg)(device)
        except DomainError:
            assert device.pending_events == []  # a refusal records nothing
        self.collect()

    def _command(
        self, command: str, device: Device, other: Device, arg: int
    ) -> Callable[[Device], Any]:
        c = CAUSE
        member = (ANN, BOB)[arg % 2]
        return {
            "assign": lambda d: d.assign(member, cause=c),
            "unassign": lambda d: d.unassign(cause=c),
            "open": lambda d: d.open_end_of_lease(W, cause=c),
            "final": lambda d: d.request_final_decision(PRICE, "manual", W, cause=c),
            "prelim": lambda d: d.choose_preliminary((None, *Choice)[arg % 3], W, cause=c),
            "return": lambda d: d.choose_return(cause=c),
            "buyout": lambda d: d.start_buyout(
                session_id=f"cs_{d.checkout_attempts + 1}",
                url="https://checkout.example/cs",
                amount=PRICE,
                price_source="manual",
                expires_at=T + timedelta(hours=1),
                cause=c,
            ),
            "fail": lambda d: d.checkout_did_not_complete(
                d.checkout_session_id or "cs_none", "expired", cause=c
            ),
            "pay": lambda d: d.record_payment(
                d.checkout_session_id or "cs_none",
                "pi_1",
                PRICE if arg % 3 else Money.of("1", "SEK"),
                cause=c,
            ),
            "overdue": lambda d: d.mark_overdue(R, cause=c),
            "link": lambda d: d.link_replacement(other.id, cause=c),
            "deliver": lambda d: d.report_delivered(auto_mark_received=bool(arg % 2), cause=c),
            "receive": lambda d: d.mark_received(cause=c),
            "serial": lambda d: d.record_serial(f"SN-NEW-{arg}", cause=c),
            "release": lambda d: d.release(
                replacement=self.by_id(d.replacement_id),
                offboarding_release_from=self.release_from(d),
                cause=c,
            ),
            "confirm": lambda d: d.confirm_return(
                replacement=self.by_id(d.replacement_id), cause=c
            ),
            "remove": lambda d: d.remove(cause=c),
            "swap": lambda d: d.swap_rental(other.id, cause=c),
            "deactivate": lambda d: d.deactivate_rental(cause=c),
            "price": lambda d: d.set_buyout_price(
                PRICE if arg % 2 else None, source="api", cause=c
            ),
            "available": lambda d: d.set_buyout_availability(bool(arg % 2), cause=c),
        }[command]


@contextmanager
def projected(events: list[Any]) -> Iterator[SqliteDatabase]:
    """The hardware overview of these events (stored and decoded as the projector does)."""
    projection = HardwareOverview()
    names = {table: table for table in projection.tables}
    db = SqliteDatabase(":memory:")  # one connection per thread: the same database throughout
    with db.transaction() as tx:
        view = tx.with_names(names)
        for table, body in projection.tables.items():
            view.execute(f"CREATE TABLE {{{table}}} ({body})")
        for position, event in enumerate(events, start=1):
            projection.apply(MAPPER.to_domain_event(MAPPER.to_stored_event(event)), position, view)
    try:
        yield db
    finally:
        db.close()


steps = st.lists(
    st.tuples(
        st.sampled_from(COMMANDS),
        st.integers(0, 3).map(lambda n: (0, 0, 1, 2, 3)[n]),  # the first leased device most
        st.integers(0, 5),
    ),
    max_size=40,
)
BUYOUT_AND_RELEASE: list[Step] = [
    ("assign", 0, 0),
    ("final", 0, 0),
    ("buyout", 0, 0),
    ("pay", 0, 1),
    ("link", 0, 2),
    ("assign", 2, 0),
    ("deliver", 2, 1),
    ("serial", 2, 0),
    ("release", 0, 0),
]
RETURN_AND_REMOVE: list[Step] = [
    ("assign", 1, 1),
    ("open", 1, 0),
    ("prelim", 1, 2),
    ("overdue", 1, 0),
    ("final", 1, 0),
    ("return", 1, 0),
    ("link", 1, 2),
    ("receive", 2, 0),
    ("confirm", 1, 0),
    ("remove", 1, 0),
]


@given(steps=steps, last_day=st.sampled_from([None, date(2026, 6, 30), date(2026, 12, 31)]))
@example(steps=BUYOUT_AND_RELEASE, last_day=None)
@example(steps=BUYOUT_AND_RELEASE[:7], last_day=None)  # the replacement has no serial yet
@example(steps=[s for s in BUYOUT_AND_RELEASE if s[0] != "assign" or s[1] != 2], last_day=None)
@example(steps=BUYOUT_AND_RELEASE[:5], last_day=date(2026, 6, 30))  # offboarded: ready
@example(steps=RETURN_AND_REMOVE, last_day=None)
def test_the_aggregate_and_the_hardware_overview_agree_on_every_sequence(
    steps: list[Step], last_day: date | None
) -> None:
    world = World(last_day)
    for step in steps:
        world.run(step)

    with projected(world.events) as db:
        rows = {
            item["device_id"]: item
            for item in query_hardware(
                db, OPERATOR, HardwareFilter(company_id=ACME, now=T, include_closed=True)
            ).items
        }
        later = query_hardware(
            db, OPERATOR, HardwareFilter(company_id=ACME, now=LATER, include_closed=True)
        ).items
        for device in world.devices:
            row = rows[str(device.id)]
            replacement = world.by_id(device.replacement_id)
            release_from = world.release_from(device)
            assert {
                "status": row["status"],
                "phase": row["end_of_lease"]["phase"],
                "received": row["received"],
                "final_decision": row["end_of_lease"]["final_decision"],
                "overdue": row["end_of_lease"]["overdue"],
                "ready_to_release": row["ready_to_release"],
                "version": row["version"],
            } == {
                "status": device.status,
                "phase": device.phase,
                "received": device.received,
                "final_decision": device.final_decision,
                "overdue": device.overdue,
                "ready_to_release": ready_to_release(device, replacement, release_from, T),
                "version": device.version,
            }
        assert [item["ready_to_release"] for item in later] == [
            ready_to_release(d, world.by_id(d.replacement_id), world.release_from(d), LATER)
            for d in world.devices
        ]
        assert leased_devices_in_use(db) == [d.id for d in world.devices if holds(IN_LEASE_FLOW, d)]
    for device in world.devices:
        assert replayed(world.events, device.id) == state(device)
        assert state(restored_from_snapshot(device)) == state(device)


def test_the_examples_reach_a_release_and_a_removal() -> None:
    """The explicit examples above do walk the whole lifecycle (else they would prove little)."""
    bought = World(None)
    for step in BUYOUT_AND_RELEASE:
        bought.run(step)
    returned = World(None)
    for step in RETURN_AND_REMOVE:
        returned.run(step)

    assert bought.devices[0].status == "bought_by_employee"
    assert returned.devices[1].status == "removed"
    assert returned.devices[1].overdue is False  # the return cleared the overdue flag


def replayed(events: list[Any], device_id: UUID) -> dict[str, Any]:
    device = None
    for event in events:
        if event.originator_id == device_id:
            device = MAPPER.to_domain_event(MAPPER.to_stored_event(event)).mutate(device)
    return state(device)


def restored_from_snapshot(device: Device) -> Device:
    snapshot = MAPPER.to_domain_event(MAPPER.to_stored_event(Snapshot.take(device)))
    restored: Device = snapshot.mutate(None)
    return restored


def state(device: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(device).items() if k != "_pending_events"}


# --- the declarations themselves --------------------------------------------------------------


def test_every_transition_names_an_event_class_of_the_device() -> None:
    device_events = {
        name for name, obj in vars(Device).items() if isinstance(obj, type) and obj is not Device
    }
    assert set(TRANSITIONS) <= device_events


def test_every_device_event_is_stored_under_the_device_topic() -> None:
    for name, obj in vars(Device).items():
        if isinstance(obj, type) and issubclass(obj, DeviceEvent):
            assert (obj.__module__, obj.__qualname__) == ("domain.model.device", f"Device.{name}")
            assert obj.class_version == 1


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_a_transition_touches_only_the_lifecycle_fields(name: str) -> None:
    transition = TRANSITIONS[name]
    before = World(None).devices[0]
    assert set(transition.changes(before)) <= set(LIFECYCLE_FIELDS)
