"""`lessor replay` as an operator runs it: the read models as they were at an instant or a
log position, in a fresh SQLite file that `lessor invoices list --views` reads, while the
live views stay exactly as they were. Bad input is one line and exit 2, writing nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.projection_positions import TRACKING_TABLE
from adapters.replay_cut import replayed_as_of
from adapters.settings_url import DatabaseUrl
from adapters.sql import open_database
from api.bootstrap import Container
from tests.conftest import fresh_postgres_database, postgres_server
from tests.e2e._cli import Run, cli_runner
from tests.e2e._http import head, make_client
from tests.e2e._subscriptions import add_product, buy, open_shop


@pytest.fixture
def lessor_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    return cli_runner(database_url, tmp_path)


def _live_views(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    """Every live view table's rows, and the tracking rows, in a stable order."""
    tables = [TRACKING_TABLE] + [
        table for p in container.projector.projections.values() for table in p.tables
    ]
    with container.db.transaction() as tx:
        return {t: sorted(map(repr, tx.fetchall(f"SELECT * FROM {t}"))) for t in tables}


def _replayed(run: Run) -> str:
    assert run.code == 0, run.err
    found = re.search(r"read models: (\S+)", run.out)
    assert found, run.out
    return found.group(1)


def _statuses(lessor_cli: Callable[..., Run], *views: str) -> list[str]:
    listed = lessor_cli("invoices", "list", *views)
    assert listed.code == 0, listed.err
    return [line.split()[1] for line in listed.out.strip().splitlines()]


def test_replay_shows_the_views_as_they_were_and_leaves_the_live_ones_alone(
    container: Container, clock: FixedClock, lessor_cli: Callable[..., Run], tmp_path: Path
) -> None:
    del clock  # T0, March 2026: the subscription is bought then (business time)
    with make_client(container) as api:
        shop = open_shop(api, container, name="Replay AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        buy(api, shop.admin, [(plan, 5)], start_date="2026-03-01", term="monthly")
    bought = head(container)
    ran = lessor_cli("invoices", "run", "--month", "2026-03", "--company", shop.company_id)
    assert ran.code == 0, ran.err
    drafted = head(container)
    time.sleep(0.05)
    between = datetime.now(UTC)  # recorded after the draft, before the issue
    time.sleep(0.05)
    assert lessor_cli("invoices", "issue", "--all").code == 0
    assert _statuses(lessor_cli) == ["issued"]
    live_before, written = _live_views(container), head(container)

    at_instant = _replayed(lessor_cli("replay", "--at", between.isoformat()))
    assert _statuses(lessor_cli, "--views", at_instant) == ["draft"]
    at_position = _replayed(lessor_cli("replay", "--position", str(drafted)))
    assert f"up to position {drafted}" in lessor_cli("replay", "--position", str(drafted)).out
    assert _statuses(lessor_cli, "--views", at_position) == ["draft"]
    before_run = _replayed(lessor_cli("replay", "--position", str(bought)))
    assert _statuses(lessor_cli, "--views", before_run) == []
    empty = _replayed(lessor_cli("replay", "--position", "0"))
    assert _statuses(lessor_cli, "--views", empty) == []
    now = _replayed(lessor_cli("replay", "--at", datetime.now(UTC).isoformat()))
    assert _statuses(lessor_cli, "--views", now) == ["issued"]

    # By business time: the purchase is dated T0 (March 2026), the run and the issue today,
    # so a cut in June folds the purchase but not the invoice.
    by_business = lessor_cli("replay", "--at", "2026-06-01T00:00:00+00:00", "--business-time")
    assert _statuses(lessor_cli, "--views", _replayed(by_business)) == []
    folded = int(re.search(r"replayed (\d+) event", by_business.out).group(1))  # type: ignore[union-attr]
    assert 0 < folded < written

    into = tmp_path / "chosen" / "views.db"
    chosen = _replayed(
        lessor_cli("replay", "--position", str(drafted), "--into", f"sqlite:///{into}")
    )
    assert chosen == f"sqlite:///{into}"
    assert _statuses(lessor_cli, "--views", chosen) == ["draft"]

    assert _live_views(container) == live_before
    assert head(container) == written
    assert _statuses(lessor_cli) == ["issued"]


def test_bad_replay_input_is_one_line_and_exit_2_writing_nothing(
    container: Container, lessor_cli: Callable[..., Run], tmp_path: Path, database_url: str
) -> None:
    written, live_before = head(container), _live_views(container)
    for bad in (
        ["--at", "2026-03-02T12:00:00"],  # naive: which instant?
        ["--at", "yesterday"],
        ["--position", str(written + 1)],  # beyond the head
        ["--position", "-1"],
        ["--position", "0", "--at", "2026-03-02T12:00:00Z"],
        [],
        ["--position", "0", "--business-time"],
        ["--position", "0", "--into", "sqlite:////proc/lessor-replay/views.db"],  # unwritable
        ["--position", "0", "--into", database_url],  # the live database itself
        ["--position", "0", "--into", "mysql://somewhere/db"],
    ):
        refused = lessor_cli("replay", *bad)
        assert refused.code == 2, (bad, refused.out, refused.err)
        assert refused.err.startswith("error: "), refused.err
        assert refused.err.count("\n") == 1, refused.err
    missing = lessor_cli("invoices", "list", "--views", f"sqlite:///{tmp_path}/nothing.db")
    assert missing.code == 2, missing.err
    assert not (tmp_path / "var").exists()  # no replay file was left behind
    assert not (tmp_path / "nothing.db").exists()
    assert head(container) == written
    assert _live_views(container) == live_before


@pytest.fixture
def target_postgres_url() -> Iterator[str]:
    """A second, empty PostgreSQL database beside the live store's: the replay's target."""
    found = postgres_server()
    assert found is not None, "run through ./scripts/test: it provides PostgreSQL"
    with fresh_postgres_database(*found, "replay_into") as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_replay_into_postgres_equals_the_live_views_at_that_position(
    container: Container, lessor_cli: Callable[..., Run], target_postgres_url: str
) -> None:
    with make_client(container) as api:
        shop = open_shop(api, container, name="Replay Into AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        buy(api, shop.admin, [(plan, 5)], start_date="2026-03-01", term="monthly")
    assert (
        lessor_cli("invoices", "run", "--month", "2026-03", "--company", shop.company_id).code == 0
    )
    drafted = head(container)
    container.projector.catch_up()
    assert container.projector.position("invoices") == drafted
    live_then = _live_views(container)  # every view and its position, at `drafted`
    assert lessor_cli("invoices", "issue", "--all").code == 0  # the live views move on
    assert head(container) > drafted

    into = lessor_cli("replay", "--position", str(drafted), "--into", target_postgres_url)
    assert _replayed(into) == target_postgres_url
    replayed = open_database(DatabaseUrl(target_postgres_url))
    try:
        tables = list(live_then)
        with replayed.transaction() as tx:
            rows: dict[str, list[Any]] = {
                t: sorted(map(repr, tx.fetchall(f"SELECT * FROM {t}"))) for t in tables
            }
        as_of = replayed_as_of(replayed)  # what the console's banner says (ADR 0054)
    finally:
        replayed.close()
    assert as_of is not None
    assert (as_of.position, as_of.business_time) == (drafted, False)
    assert rows == live_then
    assert any(rows[t] for t in tables if t != TRACKING_TABLE)  # not two empty sets of views
    assert _statuses(lessor_cli, "--views", target_postgres_url) == ["draft"]
    assert _statuses(lessor_cli) == ["issued"]
