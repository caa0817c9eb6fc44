"""The console's Reconciliations page (ADR 0045, 0054): an operator sees the latest reports,
newest first, each check with its count and discrepancies; the button starts a run through
the same code as POST /v1/reconciliations and needs the session's CSRF token; a planted
discrepancy is shown with its ids; admins are refused."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.e2e._console import csrf_of, signed_in
from tests.e2e._http import TestClient, World, auth

PAGE = "/console/reconciliations"


def _finished(console: TestClient) -> str:
    for _ in range(600):
        page = console.get(PAGE).text
        if "running" not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def _start(console: TestClient) -> httpx.Response:
    return console.post(PAGE, data={"csrf_token": csrf_of(console.get(PAGE).text)})


def test_an_operator_runs_a_reconciliation_and_sees_its_report(
    api: TestClient, world: World, container: Container, clock: FixedClock
) -> None:
    console = signed_in(api, world.operator)
    empty = console.get(PAGE)
    assert empty.status_code == 200, empty.text
    assert "No reconciliation has run yet" in empty.text
    assert f'href="{PAGE}"' in empty.text  # in the operator's navigation

    forged = console.post(PAGE, data={"csrf_token": "not-the-session-s"})
    assert forged.status_code == 403
    assert "Form refused" in forged.text
    assert "No reconciliation has run yet" in console.get(PAGE).text  # nothing started

    started = _start(console)
    assert started.status_code == 303
    first = started.headers["location"].split("started=")[1]
    clean = _finished(console)
    assert "all agree" in clean
    assert "projections equal a rebuild" in clean
    assert "discrepancies found" not in clean

    # Planted: a device's serial in the hardware view, edited behind the projector's back.
    device = world.a.device_in_stock
    with container.db.transaction() as tx:
        tx.execute(
            "UPDATE hardware_overview SET serial = 'PLANTED-1' WHERE device_id = ?", (device,)
        )
    clock.advance(timedelta(minutes=5))  # the wall clock of the runs (a fixed one in tests)
    second = _start(console).headers["location"].split("started=")[1]
    page = _finished(console)
    assert page.index(f"run-{second}") < page.index(f"run-{first}")  # newest first
    newest = page[page.index(f"run-{second}") : page.index(f"run-{first}")]
    assert "discrepancies found" in newest, newest
    assert (
        "projection hardware_overview, table hardware_overview</strong>: 1 rows only in the"
        " live view, 1 only in a rebuild"
    ) in newest
    assert '"PLANTED-1"' in newest  # the rows that differ, as JSON
    # The API's own run: GET /v1/reconciliations/{id} answers for the console's button.
    by_api = api.get(f"/v1/reconciliations/{second}", headers=auth(world.operator)).json()
    assert (by_api["status"], by_api["agrees"]) == ("done", False)
    assert device in newest


def test_an_admin_is_refused_the_reconciliations_page(api: TestClient, world: World) -> None:
    console = signed_in(api, world.a.admin)
    assert console.get(PAGE).status_code == 403
    token = csrf_of(console.get("/console/audit-log").text)
    refused = console.post(PAGE, data={"csrf_token": token})
    assert refused.status_code == 403
    assert "Only operators" in refused.text
    assert f'href="{PAGE}"' not in console.get("/console/audit-log").text
