"""Projector behaviour beyond crashes: concurrency, rebuild equivalence, read-your-writes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.projector import Projector
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.model.device import ContractType, Device
from domain.model.money import Money
from projections.base import Projection, ViewSession
from projections.event_log import EventLog
from tests.integration import world

ROOT = Path(__file__).resolve().parents[2]


def _rows(container: Container, table: str) -> list[tuple[object, ...]]:
    with container.db.transaction() as tx:
        return sorted(tx.fetchall(f"SELECT * FROM {table}"), key=repr)


def _world(container: Container, devices: int) -> None:
    app = container.app
    company_id = world.company(app)
    employee = world.member(app, company_id, "eva@acme.example")
    for n in range(devices):
        device_id = world.device(app, company_id, f"SN-{n}")
        if n % 3 == 0:
            app.devices.assign(world.ctx(), device_id, employee)


def test_two_projectors_on_one_projection_never_apply_an_event_twice(
    container: Container,
) -> None:
    _world(container, devices=60)
    container.projector.batch_size = 5
    errors: list[BaseException] = []

    def project() -> None:
        try:
            container.projector.catch_up()
        except BaseException as error:  # surfaced below, with the test's assertion
            errors.append(error)

    threads = [threading.Thread(target=project) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert {s.lag for s in container.projector.status()} == {0}
    assert all(container.projector.verify(name) == [] for name in container.projector.projections)


def test_rebuild_from_zero_equals_the_incrementally_maintained_view(container: Container) -> None:
    _world(container, devices=25)
    container.projector.batch_size = 3  # many small incremental batches
    container.projector.catch_up()
    incremental = {t: _rows(container, t) for t in ("event_log", "hardware_overview")}

    reached = container.projector.rebuild("event_log")
    container.projector.rebuild("hardware_overview")

    assert reached == container.projector.head()
    assert {t: _rows(container, t) for t in incremental} == incremental


def test_rebuilding_every_projection_in_one_pass_equals_the_incremental_views(
    container: Container,
) -> None:
    _world(container, devices=40)  # long enough runs of inserts to go out as COPY
    projector = container.projector
    projector.batch_size = 7
    projector.catch_up()
    tables = [t for p in projector.projections.values() for t in p.tables]
    incremental = {t: _rows(container, t) for t in tables}

    reached = projector.rebuild_many(list(projector.projections))

    assert set(reached.values()) == {projector.head()}
    assert {s.lag for s in projector.status()} == {0}
    assert {t: _rows(container, t) for t in tables} == incremental
    assert len(incremental["event_log"]) > 40


def test_a_query_can_wait_for_its_own_write(container: Container) -> None:
    container.start_projector()  # stopped by the fixture's close()
    company_id = world.company(container.app)
    outcome = container.app.devices.register(
        world.ctx(),
        company_id=company_id,
        serial="RYW-1",
        model="X",
        category="phone",
        company_cost=Money.of("10", "SEK"),
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
    )
    assert container.projector.wait_for("hardware_overview", outcome.position, 10)
    assert [r[3] for r in _rows(container, "hardware_overview")] == ["RYW-1"]
    # A position nobody has written yet is not reached: the wait is bounded.
    assert not container.projector.wait_for("event_log", outcome.position + 1000, 0.2)


@pytest.mark.postgres
def test_a_worker_process_is_woken_by_notify_not_by_polling(postgres_url: str) -> None:
    """With a 60 s poll interval, only LISTEN/NOTIFY can make the worker catch up in seconds."""
    settings = Settings(database_url=postgres_url)
    init_database(settings)
    container = build(settings)
    env = {
        **os.environ,
        "LESSOR_DATABASE_URL": postgres_url,
        "LESSOR_PROJECTOR_POLL_S": "60",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "projections", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert "projector running" in worker.stdout.readline()
        time.sleep(0.5)  # let it finish its first (empty) pass and go to sleep
        company_id = world.company(container.app)
        outcome = container.app.devices.register(
            world.ctx(),
            company_id=company_id,
            serial="WAKE-1",
            model="X",
            category="phone",
            company_cost=Money.of("10", "SEK"),
            contract_type=ContractType.PURCHASED,
            lease_start=None,
            renewal_date=None,
        )
        deadline = time.monotonic() + 10
        while container.projector.position("hardware_overview") < outcome.position:
            assert time.monotonic() < deadline, "the worker was not woken by NOTIFY"
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        container.close()
    assert worker.returncode == 0  # SIGTERM is a clean stop


class SerialsUntilBad(Projection):
    """A test read model that cannot fold the device with serial SN-BAD."""

    name = "serials_until_bad"
    tables = {"serials_until_bad": "position BIGINT PRIMARY KEY, serial TEXT NOT NULL"}  # noqa: RUF012
    handles = (Device.Registered,)

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if event.serial == "SN-BAD":
            raise RuntimeError("cannot fold SN-BAD")
        view.execute(
            "INSERT INTO {serials_until_bad} (position, serial) VALUES (?, ?)",
            (position, event.serial),
        )


def test_a_failing_projection_is_reported_and_does_not_hold_the_others_back(
    container: Container,
) -> None:
    # Given a projector running the event log beside a projection that fails on one event
    projector = Projector(
        container.app, container.db, [EventLog(), SerialsUntilBad()], batch_size=4
    )
    projector.create_schema()
    company_id = world.company(container.app)
    for serial in ("SN-1", "SN-2", "SN-BAD", "SN-3"):
        world.device(container.app, company_id, serial)
    # When it runs for a while
    stop = threading.Event()
    runner = threading.Thread(
        target=projector.run_forever, args=(stop,), kwargs={"poll_interval_s": 0.01}
    )
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while projector.position("event_log") < projector.head() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        runner.join()
    # Then the healthy projection reached the head, and the failure is reported
    assert projector.position("event_log") == projector.head()
    failures = {f.name: f for f in projector.failures()}
    assert "cannot fold SN-BAD" in failures["serials_until_bad"].error
    assert "event_log" not in failures
    # And the failing one kept what it folded before the bad event, and nothing after it
    with container.db.transaction() as tx:
        serials = [
            r[0] for r in tx.fetchall("SELECT serial FROM serials_until_bad ORDER BY position")
        ]
    assert serials == ["SN-1", "SN-2"]
    assert 0 < projector.position("serials_until_bad") < projector.head()
