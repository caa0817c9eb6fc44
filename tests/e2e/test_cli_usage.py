"""`lessor usage import` and `lessor usage month`: real processes against a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from api.bootstrap import build
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from tests.e2e._cli import Run, cli_runner

HEADER = "change_id,kind,entity_id,action,at\n"
OCTOBER = (
    "c-1,superuser,anna@example.com,activated,2026-10-03T09:00:00+02:00\n"
    "c-2,smart,module,activated,2026-10-01T00:00:00+02:00\n"
    "c-3,superuser,bert@example.com,activated,2026-10-31T23:30:00+01:00\n"
    "c-4,superuser,bert@example.com,deactivated,2026-11-01T00:10:00+01:00\n"
    '"c-5",superuser,"anna@example.com",deactivated,2026-10-20T17:00:00+02:00\n'
)


def head(database_url: str) -> int:
    container = build(Settings(database_url=database_url))
    try:
        return int(container.app.recorder.max_notification_id() or 0)
    finally:
        container.close()


def register_company(database_url: str) -> UUID:
    container = build(Settings(database_url=database_url))
    operator = Caller(actor=Actor("test-operator", Role.OPERATOR), company_id=None)
    cause = Cause(actor=operator.actor, at=datetime(2026, 9, 1, tzinfo=UTC), correlation_id="t")
    try:
        return container.app.companies.register(
            CommandContext(caller=operator, cause=cause),
            name="Reporting AB",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal(25),
            settings={},
        ).subject_id
    finally:
        container.close()


def counts(printed: str) -> dict[str, str]:
    """The kinds with a count in `usage month`'s table."""
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in printed.splitlines()]
    return {row[0]: row[1] for row in cells if len(row) == 3 and row[1] not in ("0", "count")}


@pytest.fixture
def lessor(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    run = cli_runner(database_url, tmp_path)
    assert run("db", "init").code == 0
    return run


def test_a_dry_run_then_an_import_in_batches_then_the_month(
    lessor: Callable[..., Run], database_url: str, tmp_path: Path
) -> None:
    company = str(register_company(database_url))
    file = tmp_path / "october.csv"
    file.write_text(HEADER + OCTOBER, encoding="utf-8")
    before = head(database_url)

    dry = lessor("usage", "import", str(file), "--company", company, "--dry-run")
    assert dry.code == 0, dry.err
    assert "5 changes, 5 new; nothing recorded" in dry.out
    assert head(database_url) == before

    done = lessor("usage", "import", str(file), "--company", company, "--batch-size", "2")
    assert done.code == 0, done.err
    assert "recorded 5 changes in 3 batches" in done.out
    assert head(database_url) == before + 4  # the ledger opened, then one event per batch

    again = lessor("usage", "import", str(file), "--company", company)
    assert again.code == 0, again.err
    assert head(database_url) == before + 4  # every change id seen before: a no-op

    october = lessor("usage", "month", "--company", company, "2026-10")
    assert october.code == 0, october.err
    assert counts(october.out) == {"superuser": "2", "smart": "1"}
    november = lessor("usage", "month", "--company", company, "2026-11")
    assert counts(november.out) == {"superuser": "1", "smart": "1"}  # bert: 23:30–00:10


def test_bad_files_and_refused_batches_are_one_line_and_exit_2(
    lessor: Callable[..., Run], database_url: str, tmp_path: Path
) -> None:
    company = str(register_company(database_url))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "k-1,superuser,anna,activated,2026-10-03T09:00:00+02:00\n"
        + "k-2,admin_user,anna,activated,2026-10-03T09:00:00+02:00\n"
        + "k-3,superuser,bert,activated,2026-10-03T09:00:00\n",
        encoding="utf-8",
    )
    before = head(database_url)
    refused = lessor("usage", "import", str(bad), "--company", company)
    assert refused.code == 2
    assert len(refused.err.strip().splitlines()) == 1
    assert "line 3: Change 'k-2': unknown kind 'admin_user'" in refused.err
    assert "line 4" in refused.err  # the naive instant
    assert head(database_url) == before

    contradicting = tmp_path / "contradicting.csv"
    contradicting.write_text(
        HEADER
        + "m-1,smart,module,activated,2026-10-01T00:00:00+02:00\n"
        + "m-2,smart,module,activated,2026-10-05T00:00:00+02:00\n",
        encoding="utf-8",
    )
    run = lessor("usage", "import", str(contradicting), "--company", company, "--batch-size", "1")
    assert run.code == 2
    assert "batch 2 refused" in run.err
    assert "line 3" in run.err
    assert "'m-2'" in run.err
    assert head(database_url) == before + 2  # batch 1 (the ledger opened with it) stays

    assert lessor("usage", "month", "--company", company, "2026-13").code == 2
    assert lessor("usage", "import", str(tmp_path / "none.csv"), "--company", company).code == 2
