"""A read model that cannot fold an event is parked there; the others keep their pace.

The failing read model is test-only: it writes a cost too large for its BIGINT column for
one serial, so the error comes from the database when the queued writes are sent (as an
out-of-range amount did in issue 9), not from Python code the projector could blame.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.projector import Projector
from api.bootstrap import Container
from domain.model.device import Device
from projections.base import Projection, ViewSession
from projections.event_log import EventLog
from tests.integration import world

BAD = "SN-BAD"
TOO_BIG = 10**25  # no BIGINT holds it, on either store


class SerialCosts(Projection):
    """A cost per registered serial; for SN-BAD it writes one no BIGINT holds, until fixed."""

    name = "serial_costs"
    tables = {  # noqa: RUF012 (declarative table spec)
        "serial_costs": "position BIGINT PRIMARY KEY, serial TEXT NOT NULL, cost BIGINT NOT NULL"
    }
    handles = (Device.Registered,)

    def __init__(self) -> None:
        self.fixed = False

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        cost = TOO_BIG if event.serial == BAD and not self.fixed else 1
        view.execute(
            "INSERT INTO {serial_costs} (position, serial, cost) VALUES (?, ?, ?)",
            (position, event.serial, cost),
        )


def _projector(container: Container, batch_size: int) -> tuple[Projector, SerialCosts]:
    costs = SerialCosts()
    projector = Projector(container.app, container.db, [EventLog(), costs], batch_size=batch_size)
    projector.create_schema()
    return projector, costs


def _register(container: Container, serials: list[str]) -> None:
    company_id = world.company(container.app)
    for serial in serials:
        world.device(container.app, company_id, serial)


def _serials(container: Container) -> list[tuple[int, str]]:
    with container.db.transaction() as tx:
        rows = tx.fetchall("SELECT position, serial FROM serial_costs ORDER BY position")
    return [(int(at), str(serial)) for at, serial in rows]


def _events_in_log(projector: Projector) -> list[int]:
    with projector.db.transaction() as tx:
        return [e.position for e in projector.log.after(tx, 0, 10**6)]


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds (a guard against hanging, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_the_others_move_a_batch_every_round_and_the_failing_one_is_parked_at_its_event(
    container: Container,
) -> None:
    # Given a log with an event one projection cannot fold, early on
    batch = 4
    projector, costs = _projector(container, batch)
    _register(container, ["SN-1", "SN-2", BAD, *(f"SN-{n}" for n in range(3, 15))])
    events = _events_in_log(projector)
    head = projector.head()
    # When the projector runs round by round
    rounds = 0
    while projector.position("event_log") < head:
        assert projector.run_round() > 0
        rounds += 1
        assert rounds <= len(events), "the event log stopped moving"
    # Then the healthy projection moved a full batch every round: the failure cost it nothing
    assert rounds == math.ceil(len(events) / batch)
    # And the failing one is parked just before the event it cannot fold, with the error
    [failure] = projector.failures()
    assert failure.name == "serial_costs"
    assert failure.attempts == 1
    assert failure.error.startswith(failure.error_type)
    assert projector.position("serial_costs") == max(e for e in events if e < failure.position)
    assert [serial for _, serial in _serials(container)] == ["SN-1", "SN-2"]
    # And it stays parked (nothing is written past its failure) while the others run
    assert projector.run_round() == 0
    [again] = projector.catch_up()  # retried once: the same event, the same error
    assert (again.position, again.error, again.attempts) == (failure.position, failure.error, 2)
    assert [serial for _, serial in _serials(container)] == ["SN-1", "SN-2"]

    # When the cause is removed, it folds that very event and catches up
    costs.fixed = True
    assert projector.catch_up() == []
    assert projector.failures() == []
    assert {s.lag for s in projector.status()} == {0}
    folded = _serials(container)
    assert [serial for _, serial in folded][:4] == ["SN-1", "SN-2", BAD, "SN-3"]
    assert {serial: at for at, serial in folded}[BAD] == failure.position
    assert projector.verify("serial_costs") == []


def test_the_live_loop_retries_a_parked_projection_on_its_own_until_it_recovers(
    container: Container,
) -> None:
    projector, costs = _projector(container, batch_size=50)
    _register(container, ["SN-1", BAD, "SN-2"])
    stop = threading.Event()
    runner = threading.Thread(
        target=projector.run_forever, args=(stop,), kwargs={"poll_interval_s": 0.01}
    )
    runner.start()
    try:
        _until(lambda: projector.failures() != [], "the failing projection is parked")
        _until(lambda: projector.failures()[0].attempts >= 3, "it is retried")
        # Later events reach the healthy projection while the failing one waits.
        _register(container, ["SN-LATER"])
        _until(lambda: projector.position("event_log") == projector.head(), "event log at head")
        assert [serial for _, serial in _serials(container)] == ["SN-1"]

        costs.fixed = True
        _until(lambda: projector.failures() == [], "the parked projection recovers")
        _until(lambda: projector.position("serial_costs") == projector.head(), "it catches up")
    finally:
        stop.set()
        projector.wake()
        runner.join()
    assert [serial for _, serial in _serials(container)] == ["SN-1", BAD, "SN-2", "SN-LATER"]


def test_a_projection_is_unparked_in_the_transaction_that_folds_its_event(
    container: Container,
) -> None:
    projector, costs = _projector(container, batch_size=10)
    _register(container, [BAD])
    projector.catch_up()
    [failure] = projector.failures()
    costs.fixed = True

    assert projector.retry("serial_costs")

    assert projector.failures() == []
    assert projector.position("serial_costs") >= failure.position
    assert [serial for _, serial in _serials(container)] == [BAD]
