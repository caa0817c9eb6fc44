"""The same bodies on SQLite and PostgreSQL: save/load, conflicts, atomicity, idempotency."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from api.bootstrap import Container
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.errors import AlreadyExists, IdempotencyKeyReused, VersionConflict
from domain.model.money import Money
from tests.integration import world


def test_a_saved_device_loads_with_the_same_state(container: Container) -> None:
    app = container.app
    company_id = world.company(app)
    device_id = world.device(app, company_id, "SN-1")
    employee = world.member(app, company_id, "eva@acme.example")
    app.devices.assign(world.ctx(), device_id, employee)

    loaded = app.repository.get(device_id)

    assert isinstance(loaded, Device)
    assert (loaded.serial, loaded.status, loaded.assignee_id) == ("SN-1", "active", employee)
    assert loaded.version == 2


def test_a_stale_expected_version_is_refused_and_nothing_is_written(container: Container) -> None:
    app = container.app
    company_id = world.company(app)
    device_id = world.device(app, company_id, "SN-1")
    employee = world.member(app, company_id, "eva@acme.example")
    head = app.recorder.max_notification_id()

    with pytest.raises(VersionConflict) as refused:
        app.devices.assign(world.ctx(expected_version=7), device_id, employee)

    assert refused.value.current_version == 1
    assert app.recorder.max_notification_id() == head


def test_two_writers_on_one_device_one_wins_the_other_conflicts(container: Container) -> None:
    app = container.app
    company_id = world.company(app)
    device_id = world.device(app, company_id, "SN-1")
    first, second = app.repository.get(device_id), app.repository.get(device_id)
    first.assign(uuid4(), cause=world.ctx().cause)
    second.assign(uuid4(), cause=world.ctx().cause)

    app.save(first)
    with pytest.raises(IntegrityError):
        app.save(second)

    assert app.repository.get(device_id).assignee_id == first.assignee_id


def test_a_command_commits_all_its_events_or_none(container: Container) -> None:
    """The device and its serial claim are one transaction: a taken serial leaves no device."""
    app = container.app
    company_id = world.company(app)
    world.device(app, company_id, "SN-1")
    head = app.recorder.max_notification_id()

    with pytest.raises(AlreadyExists):
        world.device(app, company_id, "sn-1")

    assert app.recorder.max_notification_id() == head


def test_concurrent_registrations_of_one_serial_create_exactly_one_device(
    container: Container,
) -> None:
    app = container.app
    company_id = world.company(app)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def register() -> None:
        barrier.wait()
        try:
            world.device(app, company_id, "RACE-1")
            results.append("created")
        except AlreadyExists:
            results.append("refused")

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["created"] + ["refused"] * 5
    container.projector.catch_up()
    with container.db.transaction() as tx:
        rows = tx.fetchall("SELECT serial FROM hardware_overview")
    assert rows == [("RACE-1",)]


def test_a_retried_command_with_the_same_key_is_applied_once(container: Container) -> None:
    app = container.app
    company_id = world.company(app)
    device_id = world.device(app, company_id, "SN-1")
    employee = world.member(app, company_id, "eva@acme.example")

    first = app.devices.assign(world.ctx(key="k-1"), device_id, employee)
    head = app.recorder.max_notification_id()
    again = app.devices.assign(world.ctx(key="k-1"), device_id, employee)

    assert (again.subject_id, again.version, again.replayed) == (device_id, first.version, True)
    assert app.recorder.max_notification_id() == head
    with pytest.raises(IdempotencyKeyReused):
        app.devices.assign(world.ctx(key="k-1", request_hash="other"), device_id, employee)


def test_concurrent_duplicates_of_one_keyed_request_make_one_device(container: Container) -> None:
    """Two deliveries of the same request race: the idempotency record collides, one wins."""
    app = container.app
    company_id = world.company(app)
    outcomes = []
    barrier = threading.Barrier(4)

    def register() -> None:
        barrier.wait()
        outcomes.append(
            app.devices.register(
                world.ctx(key="same-request"),
                company_id=company_id,
                serial="DUP-1",
                model="X",
                category="phone",
                company_cost=Money.of("100", "SEK"),
                contract_type=ContractType.PURCHASED,
                lease_start=None,
                renewal_date=None,
            )
        )

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len({o.subject_id for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1


def test_snapshots_and_replay_give_the_same_device(container: Container) -> None:
    app = container.app
    company_id = world.company(app)
    device_id = world.device(app, company_id, "SN-1")
    employee = world.member(app, company_id, "eva@acme.example")
    for _ in range(30):  # crosses the snapshot interval (50 events) of Device
        app.devices.assign(world.ctx(), device_id, employee)
        app.devices.unassign(world.ctx(), device_id)

    from_snapshot = app.repository.get(device_id)
    replayed = app.repository.get(device_id, version=from_snapshot.version)
    assert from_snapshot.version == 61
    assert app.snapshots is not None
    assert list(app.snapshots.get(device_id))  # a snapshot was taken
    assert vars(from_snapshot) == vars(replayed)
    assert from_snapshot.status == DeviceStatus.IN_STOCK
