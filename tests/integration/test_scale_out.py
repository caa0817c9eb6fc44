"""Scale-out (SPEC §8, docs/adr/0052-scale-out.md): two schedulers and two projectors, real
processes, on one PostgreSQL store. Business time comes from the sandbox clock, which the
test moves; every process reads it from the database. Afterwards each due job's events are
in the log once (a rental day charged once per account) and every view equals a rebuild of
the log (each row folded once)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.clock import SystemClock
from adapters.sandbox_clock import SandboxClock
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from domain.model.rental_account import RentalAccount
from domain.model.time import local_midnight
from tests.rental_devices import register_device

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
SINCE = datetime(2040, 3, 2, 9, tzinfo=UTC)  # beyond any wall clock: only the sandbox gets there
ACCOUNTS = 6


def _ctx(caller: Caller) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, SINCE, "test"))


def _midnight(day: date) -> datetime:
    return local_midnight(day, "Europe/Stockholm")


@pytest.fixture
def container(postgres_url: str) -> Iterator[Container]:
    settings = Settings(database_url=postgres_url, mode="sandbox")
    init_database(settings)
    built = build(settings)
    try:
        yield built
    finally:
        built.close()


def _renting_accounts(container: Container) -> list[UUID]:
    """ACCOUNTS companies, each renting two phones from SINCE; their account ids."""
    app, accounts = container.app, []
    for n in range(ACCOUNTS):
        company = app.companies.register(_ctx(OPERATOR), name=f"Rent {n} AB", currency="SEK")
        admin = Caller(actor=Actor(f"tok-admin-{n}", Role.ADMIN), company_id=company.subject_id)
        [code] = app.credits.issue_keys(_ctx(OPERATOR), credits=1000, count=1).codes
        app.credits.redeem(_ctx(admin), company_id=company.subject_id, code=code)
        for serial in (f"PH-{n}-1", f"PH-{n}-2"):
            phone = register_device(app, _ctx(OPERATOR), company.subject_id, serial)
            account = app.credits.activate(_ctx(admin), phone, rate=3).subject_id
        accounts.append(account)
    return accounts


@pytest.fixture
def workers(postgres_url: str) -> Iterator[list[subprocess.Popen[str]]]:
    """Two `lessor scheduler run` and two `lessor projections run` processes."""
    env = {
        **os.environ,
        "LESSOR_DATABASE_URL": postgres_url,
        "LESSOR_MODE": "sandbox",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    commands = 2 * [["scheduler", "run", "--interval", "1"], ["projections", "run"]]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        for process in processes:  # each says so once it is working
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "running" in line, process.stderr.read() if process.stderr else ""
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _days_charged(container: Container) -> Counter[tuple[UUID, date]]:
    """(account, day) → how many DayCharged events the log holds for it."""
    app, counts = container.app, Counter[tuple[UUID, date]]()
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        if notification.topic.endswith("RentalAccount.DayCharged"):
            event = app.mapper.to_domain_event(notification)
            assert isinstance(event, RentalAccount.DayCharged)
            counts[(event.originator_id, event.day)] += 1
    return counts


def _wait_until(condition_met: object, what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition_met():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_two_schedulers_and_two_projectors_do_every_job_once(
    container: Container, workers: list[subprocess.Popen[str]]
) -> None:
    accounts = _renting_accounts(container)
    sandbox = SandboxClock(container.db, SystemClock())
    expected: set[tuple[UUID, date]] = set()
    for today in (date(2040, 3, 5), date(2040, 3, 7)):  # 3 days due, then 2 more
        sandbox.set(_midnight(today) + timedelta(minutes=30))
        expected |= {
            (a, SINCE.date() + timedelta(days=d))
            for a in accounts
            for d in range(1, (today - SINCE.date()).days + 1)  # a day is charged at its 00:00
        }
        _wait_until(
            lambda due=expected: set(_days_charged(container)) >= due, f"the days to {today}"
        )
    time.sleep(3)  # room for a second scheduler to charge a day again, had it the chance

    charged = _days_charged(container)
    assert set(charged) == expected
    assert set(charged.values()) == {1}, [k for k, n in charged.items() if n > 1]

    head = container.projector.head()
    _wait_until(
        lambda: all(s.position >= head for s in container.projector.status()),
        "the projector processes to reach the head",
    )
    assert [s.name for s in container.projector.status() if s.failure] == []
    for process in workers:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
    for name in container.projector.projections:  # a row folded twice would differ here
        assert container.projector.verify(name) == [], name
