"""The console over a replay, read only (ADR 0054): `lessor replay` folds a seeded store to
a position into a fresh file, and the console app over that file shows the state as of
then (a device registered later is absent), names the position on every page, refuses
every state-changing form and every page that only the live log could answer, signs in
against the live tokens, and leaves the live views exactly as they were."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from adapters.projection_positions import TRACKING_TABLE
from adapters.replay import Cut, replay
from adapters.replay_cut import replayed_as_of
from adapters.settings_url import DatabaseUrl
from adapters.sql import Database, open_database
from api.bootstrap import Container
from api.cli.shared import operator_context
from api.http.replay_app import create_replay_app
from tests.e2e._cli import in_process_runner
from tests.e2e._console import csrf_of, is_sign_in_redirect, signed_in
from tests.e2e._http import TestClient, World, head
from tests.rental_devices import register_device


def _live_views(container: Container) -> dict[str, list[str]]:
    tables = [TRACKING_TABLE] + [
        table for p in container.projector.projections.values() for table in p.tables
    ]
    with container.db.transaction() as tx:
        return {t: sorted(map(repr, tx.fetchall(f"SELECT * FROM {t}"))) for t in tables}


@pytest.fixture
def replayed(
    world: World, container: Container, tmp_path: Path
) -> Iterator[tuple[Database, int, str]]:
    """The world replayed up to its last position; then a device registered after it."""
    position = head(container)
    ctx = operator_context(container)
    register_device(container.app, ctx, UUID(world.a.company_id), "LATER-1")
    container.projector.catch_up()
    target = open_database(DatabaseUrl(f"sqlite:///{tmp_path / 'replay.db'}"))
    projections = list(container.projector.projections.values())
    replay(container.app, container.db, target, projections, Cut(position=position))
    try:
        yield target, position, "LATER-1"
    finally:
        target.close()


def test_the_console_shows_a_replay_as_of_its_position_and_refuses_every_change(
    api: TestClient, world: World, container: Container, replayed: tuple[Database, int, str]
) -> None:
    views, position, later = replayed
    live = signed_in(api, world.a.admin)
    assert later in live.get("/console/hardware").text  # the live console has it

    as_of = replayed_as_of(views)
    assert as_of is not None
    assert as_of.position == position
    live_before = _live_views(container)
    app = create_replay_app(container, views, as_of)
    with TestClient(app, follow_redirects=False) as client:
        assert is_sign_in_redirect(client.get("/console/hardware"))
        console = signed_in(client, world.a.admin)  # the live token signs in
        page = console.get("/console/hardware")
        assert page.status_code == 200, page.text
        assert world.a.device_of_employee in page.text  # registered before the position
        assert later not in page.text
        banner = f"Replay as of position {position} / "
        assert banner in page.text
        assert "read only" in page.text
        assert banner in console.get("/console/audit-log").text
        missing = console.get("/console/no-such-page")
        assert missing.status_code == 404
        assert banner in missing.text

        token = csrf_of(page.text)
        form = {f"percent_{m}": "50" for m in (0, 12, 24, 36, 48, 60)}
        refused = console.post(
            "/console/valuation/phone/curve", data={"csrf_token": token, "floor": "10", **form}
        )
        assert refused.status_code == 403
        assert "read only, nothing was done" in refused.text
        device = console.get(f"/console/devices/{world.a.device_of_employee}")
        assert device.status_code == 403  # the device page reads the live aggregate
        assert "reads the live event log" in device.text
        assert console.post("/v1/devices", json={}).status_code == 404  # no API at all
        signed_out = console.post("/console/sign-out", data={"csrf_token": token})
        assert is_sign_in_redirect(signed_out)  # the session's own forms still work
    assert _live_views(container) == live_before


def test_serve_views_refuses_a_database_that_is_no_replay(
    container: Container,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del container  # the live database exists
    run = in_process_runner(database_url, monkeypatch, capsys)
    live = run("serve", "--views", database_url)
    assert (live.code, live.err.count("\n")) == (2, 1), live.err
    assert "live database" in live.err
    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as made:  # a database, but not one `lessor replay` made
        made.execute("CREATE TABLE t (x INTEGER)")
    not_replay = run("serve", "--views", f"sqlite:///{plain}")
    assert not_replay.code == 2, not_replay.err
    assert "is not a replay" in not_replay.err
    missing = run("serve", "--views", f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.code == 2
    assert "no such database file" in missing.err
    workers = run("serve", "--views", f"sqlite:///{plain}", "--workers", "2")
    assert (workers.code, "--workers" in workers.err) == (2, True)
