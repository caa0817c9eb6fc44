"""`lessor clock …` as an operator runs it: real processes sharing one sandbox clock.

The lease is set up over HTTP (a production container: it never reads the offset); then
separate `lessor` processes, whose wall clock is the real one, move business time and run
the scheduler without `--at`. The renewal lies in 2040, far beyond any wall clock these
tests run under, so only the sandbox clock can make it due.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from api.bootstrap import Container, build
from api.settings import Settings
from tests.e2e._cli import Run, cli_runner
from tests.e2e._end_of_lease import add_months, leased_device, local, ok, open_shop, options_of
from tests.e2e._http import auth, head, make_client

RENEWAL = date(2040, 6, 15)
OPTIONS_FROM = local(add_months(RENEWAL, -3))  # 2040-03-15 00:00 Stockholm
GENEROUS = timedelta(hours=1)  # how long the CLI runs may take, at most, between set and tick


@pytest.fixture
def sandbox_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    return cli_runner(database_url, tmp_path, {"LESSOR_MODE": "sandbox"})


def _events(database_url: str) -> int:
    container = build(Settings(database_url=database_url))
    try:
        return head(container)
    finally:
        container.close()


def _instant_in(text: str, prefix: str) -> datetime:
    found = re.search(prefix + r"(\d{4}-\S+?[+-]\d\d:\d\d)", text)
    assert found, text
    return datetime.fromisoformat(found[1])


def test_the_scheduler_without_at_runs_on_the_sandbox_clock(
    container: Container, sandbox_cli: Callable[..., Run]
) -> None:
    with make_client(container) as api:
        shop = open_shop(api, container, name="Clock AB", settings={"device_buyout": True})
        eva = shop.employees[0]
        phone = leased_device(
            api, shop, "PH-2040", holder=eva, lease_start=date(2037, 6, 15), renewal_date=RENEWAL
        )
    written = head(container)

    idle = sandbox_cli("scheduler", "tick")  # the wall clock: nothing is due before 2040
    assert idle.code == 0, idle.err
    assert "0 subscription(s) advanced, 0 event(s)" in idle.out
    assert head(container) == written

    moved = sandbox_cli("clock", "set", OPTIONS_FROM.isoformat())
    assert moved.code == 0, moved.err
    assert _instant_in(moved.out, "business time: ") == OPTIONS_FROM

    tick = sandbox_cli("scheduler", "tick")
    assert tick.code == 0, tick.err
    ticked_at = _instant_in(tick.out, "tick at ")
    assert OPTIONS_FROM <= ticked_at < OPTIONS_FROM + GENEROUS
    assert re.search(r"[1-9]\d* event\(s\)", tick.out), tick.out
    assert head(container) > written

    shown = sandbox_cli("clock", "show")
    assert shown.code == 0, shown.err
    assert ticked_at <= _instant_in(shown.out, "business time: ") < OPTIONS_FROM + GENEROUS

    # What the tick did, read over HTTP: the options opened at R − 3 months.
    with make_client(container) as api:
        events = api.get(
            f"/v1/devices/{phone}/events",
            params={"min_position": head(container), "limit": 500},
            headers=auth(shop.admin),
        )
        newest = ok(events)["items"][-1]
        assert datetime.fromisoformat(newest["occurred_at"].replace("Z", "+00:00")) >= OPTIONS_FROM
        assert options_of(api, eva.token, phone)["renewal_date"] == RENEWAL.isoformat()


def test_a_cli_command_records_the_sandbox_time(
    database_url: str, sandbox_cli: Callable[..., Run]
) -> None:
    assert sandbox_cli("db", "init").code == 0
    target = datetime(2040, 1, 1, tzinfo=UTC)
    assert sandbox_cli("clock", "set", "2040-01-01T00:00:00Z").code == 0
    created = sandbox_cli("tokens", "create", "--role", "operator", "--label", "later")
    assert created.code == 0, created.err
    token = created.out.strip().splitlines()[-1]
    advanced = sandbox_cli("clock", "advance", "1d12h")
    assert advanced.code == 0, advanced.err
    assert target + timedelta(days=1, hours=12) <= _instant_in(advanced.out, "business time: ")

    seeded = sandbox_cli("demo", "seed")  # the demo runs in sandbox mode too
    assert seeded.code == 0, seeded.err

    reader = build(Settings(database_url=database_url))
    try:
        with make_client(reader) as api:
            log = api.get(
                "/v1/event-log",
                params={"limit": 500, "min_position": head(reader)},
                headers=auth(token),
            )
            times = [
                datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00"))
                for item in ok(log)["items"]
            ]
    finally:
        reader.close()
    assert times  # the token's issue and the whole demo
    assert all(target <= t < target + timedelta(days=1, hours=12) + GENEROUS for t in times)
    assert max(times) >= target + timedelta(days=1, hours=12)  # the demo, after the advance


REFUSED = [  # (LESSOR_MODE, arguments, part of the one-line message)
    (None, ("clock", "set", "2040-01-01T00:00:00Z"), "production mode"),
    ("production", ("clock", "advance", "30d"), "production mode"),
    ("production", ("demo", "seed"), "sandbox mode"),
    ("sandbox", ("clock", "set", "tomorrow"), "not an ISO 8601 instant"),
    ("sandbox", ("clock", "set", "2040-01-01T00:00:00"), "time zone offset"),
    ("sandbox", ("clock", "set", "2020-01-01T00:00:00Z"), "cannot go back"),
    ("sandbox", ("clock", "advance", "soon"), "not a duration"),
    ("sandbox", ("clock", "advance", "0h"), "more than zero"),
]


def test_refusals_are_one_line_exit_2_and_move_nothing(
    database_url: str, tmp_path: Path, sandbox_cli: Callable[..., Run]
) -> None:
    assert sandbox_cli("db", "init").code == 0
    assert sandbox_cli("clock", "set", "2039-01-01T00:00:00Z").code == 0
    before = _instant_in(sandbox_cli("clock", "show").out, "business time: ")
    written = _events(database_url)
    for mode, args, message in REFUSED:
        run = cli_runner(database_url, tmp_path, {} if mode is None else {"LESSOR_MODE": mode})
        refused = run(*args)
        where = f"LESSOR_MODE={mode} lessor {' '.join(args)}"
        assert refused.code == 2, (where, refused.out, refused.err)
        assert refused.err.startswith("error: "), where
        assert message in refused.err, (where, refused.err)
        assert len(refused.err.strip().splitlines()) == 1, (where, refused.err)
    after = _instant_in(sandbox_cli("clock", "show").out, "business time: ")
    assert before <= after < before + GENEROUS  # only the wall clock moved it
    assert _events(database_url) == written


def test_show_in_production_names_the_wall_clock(
    database_url: str, tmp_path: Path, container: Container
) -> None:
    shown = cli_runner(database_url, tmp_path, {"LESSOR_MODE": "production"})("clock", "show")
    assert shown.code == 0, shown.err
    assert "production mode: the wall clock" in shown.out
