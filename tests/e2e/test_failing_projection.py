"""Read models that cannot fold an event stop nobody else (issue 9, finding 1's stall).

The hardware overview and the scheduler's `due` read model are replaced, in this test's
projector only, by ones that cannot fold the registration of one serial until fixed — the
way an out-of-range amount stalled the hardware overview. Everything else is the real app:
HTTP, the CLI, the scheduler.
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
from projections.due import DueProjection
from projections.hardware_overview import HardwareOverview
from projections.registry import all_projections
from tests.conftest import T0, issue_token
from tests.e2e._cli import cli_runner
from tests.e2e._http import (
    TestClient,
    assert_problem,
    assign,
    auth,
    device_body,
    head,
    make_client,
    position,
    register_member,
)

BAD = "SN-CANNOT-FOLD"


class CannotFold:
    """The real read model, except that it cannot fold one serial's registration."""

    fixed = False

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Device.Registered) and event.serial == BAD and not self.fixed:
            raise OverflowError("this amount does not fit the view")
        super().apply(event, position, view)  # type: ignore[misc]


class HardwareOverviewThatCannotFold(CannotFold, HardwareOverview):
    pass


class DueThatCannotFold(CannotFold, DueProjection):
    pass


@pytest.fixture
def broken(container: Container) -> list[CannotFold]:
    """Wire the failing read models into the container's projector (and its scheduler)."""
    failing = {"hardware_overview": HardwareOverviewThatCannotFold(), "due": DueThatCannotFold()}
    projections = [failing.get(p.name, p) for p in all_projections()]
    container.projector = Projector(container.app, container.db, projections)  # type: ignore[arg-type]
    container.scheduler = Scheduler(container.app, container.db, container.projector)
    return list(failing.values())


@pytest.fixture
def api(container: Container, broken: list[CannotFold]) -> Iterator[TestClient]:
    with make_client(container) as client:
        yield client


def _leased(api: TestClient, operator: dict[str, str], company: str, serial: str) -> Any:
    """A leased device in use whose options window (R − 3 months) is open at T0."""
    body = device_body(
        serial,
        company_id=company,
        contract_type="leased",
        lease_start="2024-05-15",
        renewal_date="2026-05-15",
    )
    registered = api.post("/v1/devices", json=body, headers=operator)
    assert registered.status_code == 201, registered.text
    return registered


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds (a guard against hanging, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_read_models_that_cannot_fold_an_event_are_isolated_reported_and_recover(
    api: TestClient,
    container: Container,
    broken: list[CannotFold],
    database_url: str,
    tmp_path: Path,
) -> None:
    operator_secret = issue_token(container, Role.OPERATOR)
    operator = auth(operator_secret)
    bad_company, other_company = (
        api.post("/v1/companies", json={"name": n, "currency": "SEK"}, headers=operator).json()[
            "id"
        ]
        for n in ("Bad AB", "Other AB")
    )
    eva = register_member(
        api, operator_secret, other_company, "Eva", "eva@other.example", "employee"
    )
    first = _leased(api, operator, other_company, "SN-OTHER-1")
    assert assign(api, operator_secret, first.json()["id"], eva).status_code == 200
    before_bad = head(container)
    bad = api.post("/v1/devices", json=device_body(BAD, company_id=bad_company), headers=operator)
    assert bad.status_code == 201, bad.text  # the write itself is fine: only the views fail
    second = _leased(api, operator, other_company, "SN-OTHER-2")
    later = assign(api, operator_secret, second.json()["id"], eva)
    at = position(later)
    names = sorted(p.name for p in broken)  # type: ignore[attr-defined]

    # The other read models reach the head; /readyz is 503 and names the parked ones
    def health() -> dict[str, Any]:
        response = api.get("/readyz")
        assert response.status_code in (200, 503), response.text
        assert api.get("/healthz").status_code == 200  # alive all the while
        return dict(response.json())

    def failing() -> list[str]:
        return sorted(n for n, p in health()["projections"].items() if "failure" in p)

    _until(lambda: failing() == names, "/readyz reports both failures")
    _until(
        lambda: all(p["lag"] == 0 for n, p in health()["projections"].items() if n not in names),
        "the other read models reach the head",
    )
    report = health()
    assert report["status"] == 503
    assert report["type"].endswith("/not-ready")
    for name in names:
        assert f"{name} is parked at event" in report["detail"]
        parked = report["projections"][name]
        assert parked["failure"]["error"] == "OverflowError"
        assert before_bad < parked["failure"]["position"] <= position(bad)
        assert parked["position"] < parked["failure"]["position"]

    # Reads of the healthy read models wait and answer; a parked one answers 503 at once
    log = api.get("/v1/event-log", params={"min_position": at}, headers=operator)
    assert log.status_code == 200, log.text
    stale = api.get("/v1/devices", params={"min_position": at}, headers=operator)
    assert "cannot fold" in assert_problem(stale, 503)["detail"]
    assert stale.headers["Retry-After"] == "1"
    # The other tenant's device registered before the bad event still shows
    listed = api.get("/v1/devices", params={"company_id": other_company}, headers=operator)
    assert [d["serial"] for d in listed.json()["items"]] == ["SN-OTHER-1"]

    # The operator's status shows them (and exits 1)
    status = cli_runner(database_url, tmp_path)("projections", "status")
    assert status.code == 1, status.err
    for name in names:
        row = next(line for line in status.out.splitlines() if line.split()[1:2] == [name])
        assert f"parked at {report['projections'][name]['failure']['position']}" in row
        assert "OverflowError: this amount does not fit the view" in row
    # The scheduler ticks on what its read model folded: the first device, not yet the second
    tick = container.scheduler.tick(T0)
    assert (tick.failures, tick.devices_advanced) == ([], 1)
    assert sorted(f.name for f in container.projector.failures()) == names

    # Once the cause is gone, they fold that event and catch up
    for projection in broken:
        projection.fixed = True
    assert container.projector.catch_up() == []
    assert health()["status"] == "ready"
    fixed = api.get("/v1/devices", params={"min_position": head(container)}, headers=operator)
    assert fixed.status_code == 200, fixed.text
    assert sorted(d["serial"] for d in fixed.json()["items"]) == [BAD, "SN-OTHER-1", "SN-OTHER-2"]
    assert cli_runner(database_url, tmp_path)("projections", "status").code == 0
    assert container.scheduler.tick(T0).devices_advanced == 1  # now the second one
