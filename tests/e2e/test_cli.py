"""The `lessor` CLI as an operator uses it: real processes against a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.token_secrets import TOKEN_PREFIX
from api.bootstrap import build
from api.http.app import create_app
from api.settings import Settings
from projections.registry import all_projections
from tests.e2e._cli import cli_runner


@pytest.fixture
def lessor(database_url: str, tmp_path: Path):
    run = cli_runner(database_url, tmp_path)

    assert run("db", "init").code == 0
    return run


def _events(database_url: str) -> int:
    container = build(Settings(database_url=database_url))
    try:
        return int(container.app.recorder.max_notification_id() or 0)
    finally:
        container.close()


def test_demo_seed_is_idempotent_and_its_tokens_work_over_http(lessor, database_url: str) -> None:
    first = lessor("demo", "seed")
    seeded = _events(database_url)
    second = lessor("demo", "seed")

    assert first.code == second.code == 0
    assert first.out == second.out  # the same tokens, printed again
    assert _events(database_url) == seeded  # and nothing new written
    tokens = dict(line.split() for line in first.out.splitlines()[1:])
    assert set(tokens) == {"operator", "admin", "employee", "service"}

    container = build(Settings(database_url=database_url))
    try:
        with TestClient(create_app(container, start_projector=True)) as http:
            admin = {"Authorization": f"Bearer {tokens['admin']}"}
            employee = {"Authorization": f"Bearer {tokens['employee']}"}
            head = http.get("/healthz").json()
            mine = http.get(
                "/v1/devices", headers=employee, params={"min_position": seeded}
            ).json()["items"]
            everything = http.get("/v1/devices", headers=admin).json()["items"]
    finally:
        container.close()
    assert head["status"] == "ok"
    assert len(everything) == 5
    # The employee sees their own: the three leased devices.
    assert [d["serial"] for d in mine] == ["C02-DEMO-001", "F2L-DEMO-002", "C02-DEMO-005"]


def test_the_demo_is_dated_from_the_business_clock(database_url: str, tmp_path: Path) -> None:
    """Seeded on whatever day the sandbox clock shows, the demo has a device in its options
    window, one awaiting the final decision, one bought out, and a running subscription."""
    sandbox = cli_runner(database_url, tmp_path, {"LESSOR_MODE": "sandbox"})
    assert sandbox("db", "init").code == 0
    moved = sandbox("clock", "set", "2031-01-10T09:00:00Z")
    assert moved.code == 0, moved.err
    seeded = sandbox("demo", "seed")
    assert seeded.code == 0, seeded.err
    tokens = dict(line.split() for line in seeded.out.splitlines()[1:])
    reached = _events(database_url)

    container = build(Settings(database_url=database_url, mode="sandbox"))
    try:
        with TestClient(create_app(container, start_projector=True)) as http:
            admin = {"Authorization": f"Bearer {tokens['admin']}"}
            devices = http.get(
                "/v1/devices", headers=admin, params={"min_position": reached}
            ).json()["items"]
            subscriptions = http.get(
                "/v1/subscriptions", headers=admin, params={"min_position": reached}
            ).json()["items"]
            members = http.get(
                "/v1/members", headers=admin, params={"min_position": reached}
            ).json()["items"]
    finally:
        container.close()
    by_serial = {d["serial"]: d for d in devices}
    stages = {
        serial: (d["status"], d["renewal_date"], d["end_of_lease"]["phase"])
        for serial, d in by_serial.items()
        if d["contract_type"] == "leased"
    }
    assert stages == {
        "F2L-DEMO-002": ("active", "2031-03-11", "preliminary"),  # the options window
        "C02-DEMO-001": ("active", "2031-01-24", "final"),  # awaiting the final decision
        "C02-DEMO-005": ("active_bought_by_employee", "2031-01-31", "decided"),  # bought
    }
    assert not any(d["end_of_lease"]["overdue"] for d in devices)
    assert by_serial["C02-DEMO-005"]["end_of_lease"]["final_decision"] == "buyout"
    assert [(s["status"], s["term_start"]) for s in subscriptions] == [("active", "2031-01-10")]
    assert {m["name"] for m in members} == {"Astrid Admin", "Erik Employee"}


def test_tokens_are_created_once_listed_and_revoked(lessor, database_url: str) -> None:
    created = lessor("tokens", "create", "--role", "operator", "--label", "ops laptop")
    assert created.code == 0, created.err
    secret = created.out.strip().splitlines()[-1]
    token_id = created.out.split("token id:")[1].split()[0]
    assert secret.startswith(TOKEN_PREFIX)

    listed = lessor("tokens", "list")
    assert token_id[:8] in listed.out
    assert "yes" in listed.out
    assert secret not in listed.out  # shown once, never again

    assert lessor("tokens", "revoke", token_id).code == 0
    container = build(Settings(database_url=database_url))
    try:
        with TestClient(create_app(container, start_projector=False)) as http:
            refused = http.get("/v1/devices", headers={"Authorization": f"Bearer {secret}"})
    finally:
        container.close()
    assert refused.status_code == 401
    assert "revoked" in lessor("tokens", "list").out


def test_status_run_rebuild_and_verify(lessor, database_url: str) -> None:
    lessor("demo", "seed")
    status = lessor("projections", "status")
    assert status.code == 0
    assert "event_log" in status.out
    assert "hardware_overview" in status.out

    assert lessor("projections", "run", "--once").code == 0
    caught_up = lessor("projections", "status").out
    incremental = _table(database_url, "hardware_overview"), _table(database_url, "event_log")

    rebuilt = lessor("projections", "rebuild", "--all")
    assert rebuilt.code == 0, rebuilt.err
    assert "rebuilt to position" in rebuilt.out
    assert (_table(database_url, "hardware_overview"), _table(database_url, "event_log")) == (
        incremental
    )
    assert lessor("projections", "status").out == caught_up
    verified = lessor("projections", "verify")
    assert verified.code == 0
    assert verified.out.count("OK") == len(all_projections())


def test_verify_detects_a_hand_tampered_row_and_rebuild_repairs_it(
    lessor, database_url: str
) -> None:
    lessor("demo", "seed")
    lessor("projections", "run", "--once")
    _execute(
        database_url,
        "UPDATE hardware_overview SET status = 'removed' WHERE serial = 'F2L-DEMO-002'",
    )

    tampered = lessor("projections", "verify")

    assert tampered.code == 1
    assert "hardware_overview: table hardware_overview differs" in tampered.out
    assert "removed" in tampered.out
    assert "event_log: OK" in tampered.out

    assert lessor("projections", "rebuild", "hardware_overview").code == 0
    assert lessor("projections", "verify", "hardware_overview").code == 0


def test_verify_reports_a_live_view_that_cannot_fold_the_log_without_changing_it(
    lessor, database_url: str
) -> None:
    # Given a due view whose company rows are gone and whose position was set back
    lessor("demo", "seed")
    lessor("projections", "run", "--once")
    _execute(database_url, "DELETE FROM due_companies")
    _execute(database_url, "UPDATE projection_positions SET position = 0 WHERE name = 'due'")

    # When it is verified
    verified = lessor("projections", "verify")

    # Then that view is reported as differing, in one line and without a traceback
    assert verified.code == 1
    assert "due: the live view cannot fold the log after position 0" in verified.out
    assert "lessor projections rebuild due" in verified.out
    assert "Traceback" not in verified.out + verified.err
    assert "event_log: OK" in verified.out
    # And nothing moved: the broken view is left for the rebuild to replace
    assert _table(database_url, "due_companies") == []
    assert lessor("projections", "rebuild", "due").code == 0
    assert lessor("projections", "verify", "due").code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tokens", "create", "--role", "bogus"), "Invalid value for '--role'"),
        (
            (
                "tokens",
                "create",
                "--role",
                "admin",
                "--company",
                "00000000-0000-0000-0000-000000000000",
            ),
            "Company not found.",
        ),
        (("tokens", "create", "--role", "employee", "--company", "not-a-uuid"), "--company"),
        (("tokens", "revoke", "00000000-0000-0000-0000-000000000000"), "Token not found."),
        (("projections", "rebuild", "nope"), "Unknown projection 'nope'"),
        (("projections", "rebuild"), "Name a projection or pass --all."),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    lessor, database_url: str, args: tuple[str, ...], message: str
) -> None:
    before = _events(database_url)

    result = lessor(*args)

    assert result.code == 2
    assert result.err.startswith("error: ")
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err + result.out
    assert _events(database_url) == before


def _table(database_url: str, table: str) -> list[tuple[object, ...]]:
    container = build(Settings(database_url=database_url))
    try:
        with container.db.transaction() as tx:
            return sorted(tx.fetchall(f"SELECT * FROM {table}"), key=repr)
    finally:
        container.close()


def _execute(database_url: str, sql: str) -> None:
    container = build(Settings(database_url=database_url))
    try:
        with container.db.transaction() as tx:
            tx.execute(sql)
    finally:
        container.close()
