"""One read model that cannot fold an event stops nobody else (issue 9, finding 1's stall).

The hardware overview is replaced, in this test's projector only, by one that cannot fold
the registration of one serial until it is fixed — the way an out-of-range amount stalled
the real one. Everything else is the real app: HTTP, the CLI, the scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.projector import Projector
from adapters.scheduler import Scheduler
from api.bootstrap import Container
from domain.model.actor import Role
from domain.model.device import Device
from projections.base import ViewSession
from projections.hardware_overview import HardwareOverview
from projections.registry import all_projections
from tests.conftest import T0, issue_token
from tests.e2e._cli import cli_runner
from tests.e2e._http import (
    TestClient,
    assert_problem,
    auth,
    device_body,
    head,
    make_client,
    position,
)

BAD = "SN-CANNOT-FOLD"


class HardwareOverviewThatCannotFold(HardwareOverview):
    """The real hardware overview, except that it cannot fold one serial's registration."""

    def __init__(self) -> None:
        self.fixed = False

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Device.Registered) and event.serial == BAD and not self.fixed:
            raise OverflowError("this amount does not fit the view")
        super().apply(event, position, view)


@pytest.fixture
def broken(container: Container) -> HardwareOverviewThatCannotFold:
    """Wire the failing read model into the container's projector (and its scheduler)."""
    overview = HardwareOverviewThatCannotFold()
    projections = [overview if p.name == overview.name else p for p in all_projections()]
    container.projector = Projector(container.app, container.db, projections)
    container.scheduler = Scheduler(container.app, container.db, container.projector)
    return overview


@pytest.fixture
def api(container: Container, broken: HardwareOverviewThatCannotFold) -> Iterator[TestClient]:
    with make_client(container) as client:
        yield client


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds (a guard against hanging, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_a_read_model_that_cannot_fold_an_event_is_isolated_reported_and_recovers(
    api: TestClient,
    container: Container,
    broken: HardwareOverviewThatCannotFold,
    database_url: str,
    tmp_path: Path,
) -> None:
    operator = auth(issue_token(container, Role.OPERATOR))
    companies = [
        api.post("/v1/companies", json={"name": n, "currency": "SEK"}, headers=operator).json()[
            "id"
        ]
        for n in ("Bad AB", "Other AB")
    ]
    bad_company, other_company = companies
    other_before = api.post(
        "/v1/devices", json=device_body("SN-OTHER-1", company_id=other_company), headers=operator
    )
    before_bad = position(other_before)
    bad = api.post("/v1/devices", json=device_body(BAD, company_id=bad_company), headers=operator)
    assert bad.status_code == 201, bad.text  # the write itself is fine: only the view fails
    later = api.post(
        "/v1/devices", json=device_body("SN-OTHER-2", company_id=other_company), headers=operator
    )
    at = position(later)

    # The other read models reach the head; /healthz names the one that is parked
    def health() -> dict[str, Any]:
        response = api.get("/healthz")
        assert response.status_code == 200
        return dict(response.json())

    _until(lambda: health()["status"] == "degraded", "/healthz reports the failure")
    _until(
        lambda: all(
            p["lag"] == 0 for name, p in health()["projections"].items() if name != broken.name
        ),
        "the other read models reach the head",
    )
    report = health()
    parked = report["projections"][broken.name]
    assert parked["failure"]["error"] == "OverflowError"
    assert before_bad < parked["failure"]["position"] <= position(bad)
    assert parked["position"] < parked["failure"]["position"]
    assert [n for n, p in report["projections"].items() if "failure" in p] == [broken.name]

    # Reads of the healthy read models wait and answer; the parked one answers 503 at once
    log = api.get("/v1/event-log", params={"min_position": at}, headers=operator)
    assert log.status_code == 200, log.text
    stale = api.get("/v1/devices", params={"min_position": at}, headers=operator)
    assert "cannot fold" in assert_problem(stale, 503)["detail"]
    assert stale.headers["Retry-After"] == "1"
    # The other tenant's device registered before the bad event still shows
    listed = api.get("/v1/devices", params={"company_id": other_company}, headers=operator)
    assert [d["serial"] for d in listed.json()["items"]] == ["SN-OTHER-1"]

    # The operator's status shows it (and exits 1); the scheduler still ticks
    status = cli_runner(database_url, tmp_path)("projections", "status")
    assert status.code == 1, status.err
    row = next(line for line in status.out.splitlines() if broken.name in line)
    assert f"parked at {parked['failure']['position']}" in row
    assert "OverflowError: this amount does not fit the view" in row
    tick = container.scheduler.tick(T0)
    assert tick.failures == []
    assert container.projector.failures()[0].name == broken.name

    # Once the cause is gone, it folds that event and catches up
    broken.fixed = True
    assert container.projector.catch_up() == []
    assert health()["status"] == "ok"
    fixed = api.get("/v1/devices", params={"min_position": head(container)}, headers=operator)
    assert fixed.status_code == 200, fixed.text
    assert sorted(d["serial"] for d in fixed.json()["items"]) == sorted(
        [BAD, "SN-OTHER-1", "SN-OTHER-2"]
    )
    assert cli_runner(database_url, tmp_path)("projections", "status").code == 0
