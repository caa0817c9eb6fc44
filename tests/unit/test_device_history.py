"""Devices stored by earlier code still load: snapshots before v2 are upcast, events unchanged.

The snapshot below is what the code before v2 wrote for an assigned leased device (no
`class_version`, no `checkout_expires_at` until a checkout started). The first slice's
snapshots knew only the registration fields, the assignee and the status.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from domain.model.actor import Actor, Role
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.device_lifecycle import IN_LEASE_FLOW, holds
from domain.model.end_of_lease import Phase, windows
from domain.model.events import Cause
from domain.model.money import Money
from tests.apps import in_memory_app

DEVICE = UUID("00000000-0000-4000-8000-0000000de71c")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
BOB = UUID("00000000-0000-4000-8000-000000000b0b")
CAUSE = Cause(
    actor=Actor("tok-acme-admin", Role.ADMIN),
    at=datetime(2026, 7, 1, 9, tzinfo=UTC),
    correlation_id="req-1",
)
MAPPER = in_memory_app().mapper


def _t(text: str) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": text}


BEFORE_V2: dict[str, Any] = {
    "_created_on": _t("2026-03-02T09:00:00.100000+00:00"),
    "_modified_on": _t("2026-03-02T09:00:00.200000+00:00"),
    "company_id": {"_type_": "uuid_hex", "_data_": "0000000000004000800000000000acde"},
    "serial": "SN-1",
    "model": "iPhone 15",
    "category": "phone",
    "company_cost": {"_type_": "money", "_data_": {"minor": 1200000, "currency": "SEK"}},
    "contract_type": "leased",
    "lease_start": {"_type_": "date_iso", "_data_": "2024-09-15"},
    "renewal_date": {"_type_": "date_iso", "_data_": "2026-09-15"},
    "replacement_for": None,
    "assignee_id": {"_type_": "uuid_hex", "_data_": "00000000000040008000000000000a11"},
    "status": "active",
    "registered_at": _t("2026-03-02T09:00:00+00:00"),
    "received": True,
    "delivered": False,
    "replacement_id": None,
    "phase": "none",
    "overdue": False,
    "preliminary_choice": None,
    "final_decision": None,
    "checkout_attempts": 0,
    "checkout_session_id": None,
    "checkout_amount": None,
    "checkout_url": None,
    "paid_amount": None,
    "paid_session_id": None,
    "buyer_id": None,
    "manual_price": None,
    "manual_price_set_at": None,
    "buyout_available": True,
    "rental_active": False,
}
FIRST_SLICE_FIELDS = (
    "_created_on",
    "_modified_on",
    "company_id",
    "serial",
    "model",
    "category",
    "company_cost",
    "contract_type",
    "lease_start",
    "renewal_date",
    "replacement_for",
    "assignee_id",
    "status",
    "registered_at",
)


def stored_snapshot(state: dict[str, Any]) -> StoredEvent:
    body = {
        "timestamp": _t("2026-03-02T09:00:01+00:00"),
        "topic": "domain.model.device:Device",
        "state": state,
    }
    return StoredEvent(
        originator_id=DEVICE,
        originator_version=2,
        topic="eventsourcing.domain:Snapshot",
        state=json.dumps(body).encode(),
    )


def loaded(state: dict[str, Any]) -> Device:
    snapshot = MAPPER.to_domain_event(stored_snapshot(state))
    device: Device = snapshot.mutate(None)
    return device


def test_a_snapshot_from_before_v2_loads_with_no_checkout_expiry() -> None:
    device = loaded(BEFORE_V2)

    assert device.checkout_expires_at is None
    assert (device.status, device.assignee_id, device.received) == (DeviceStatus.ACTIVE, ANN, True)
    assert device.version == 2


def test_a_snapshot_from_the_first_slice_loads_as_a_device_at_hand_outside_the_lease_flow() -> None:
    device = loaded({k: v for k, v in BEFORE_V2.items() if k in FIRST_SLICE_FIELDS})

    assert set(vars(device)) == set(vars(loaded(BEFORE_V2)))
    assert (device.received, device.phase, device.overdue, device.final_decision) == (
        True,
        Phase.NONE,
        False,
        None,
    )
    assert (device.checkout_attempts, device.buyout_available, device.rental_active) == (
        0,
        True,
        False,
    )


def test_an_upcast_device_carries_on_where_it_left_off() -> None:
    device = loaded({k: v for k, v in BEFORE_V2.items() if k in FIRST_SLICE_FIELDS})
    assert holds(IN_LEASE_FLOW, device)

    device.unassign(cause=CAUSE)
    device.assign(BOB, cause=CAUSE)  # received (upcast): active again at once
    device.request_final_decision(
        None, None, windows(date(2026, 9, 15), "Europe/Stockholm"), cause=CAUSE
    )

    assert (device.status, device.assignee_id, device.phase) == (
        DeviceStatus.ACTIVE,
        BOB,
        Phase.FINAL,
    )
    assert device.version == 6  # unassigned, assigned, opened, final decision requested


def test_a_device_snapshot_now_names_its_class_version() -> None:
    device = Device.register(
        device_id=DEVICE,
        company_id=UUID("00000000-0000-4000-8000-00000000acde"),
        serial="SN-1",
        model="iPhone 15",
        category="phone",
        company_cost=Money.of("12000", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2024, 9, 15),
        renewal_date=date(2026, 9, 15),
        cause=CAUSE,
    )
    stored = MAPPER.to_stored_event(Snapshot.take(device))

    assert json.loads(stored.state)["state"]["class_version"] == 2
    assert MAPPER.to_domain_event(stored).mutate(None).checkout_expires_at is None


def test_device_events_are_stored_in_the_shape_they_always_had() -> None:
    """Events stay at class_version 1: nothing is added to what is stored."""
    device = loaded(BEFORE_V2)
    device.unassign(cause=CAUSE)
    device.assign(BOB, cause=CAUSE)
    [unassigned, assigned] = device.collect_events()

    stored = MAPPER.to_stored_event(assigned)

    assert stored.topic == "domain.model.device:Device.Assigned"
    assert set(json.loads(stored.state)) == {
        "timestamp",
        "member_id",
        "actor",
        "at",
        "correlation_id",
        "company_id",
    }
    assert MAPPER.to_domain_event(MAPPER.to_stored_event(unassigned)) == unassigned
