"""`lessor audit verify` finds what was done to the events table behind the application's
back (ADR 0044): an untouched log verifies (exit 0); an event whose stored bytes were
edited, one deleted and two swapped by raw SQL are each named by position, the first one
first (exit 1); a forged checkpoint signature is reported; bad input is exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.signing import SigningKey, b64, unb64
from api.bootstrap import Container
from tests.e2e._cli import Run, cli_runner


@pytest.fixture
def lessor_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    return cli_runner(database_url, tmp_path)


class EventsTable:
    """The event store's table, reached by raw SQL: the test-only path an intruder takes."""

    def __init__(self, container: Container) -> None:
        recorder = container.app.recorder
        self.db = container.db
        table: str = recorder.events_table_name  # type: ignore[attr-defined]
        if self.db.dialect == "postgresql":
            schema = recorder.datastore.schema  # type: ignore[attr-defined]
            self.table, self.position = f'"{schema}"."{table}"', "notification_id"
        else:
            self.table, self.position = table, "rowid"

    def edit_one_byte(self, position: int) -> None:
        with self.db.transaction() as tx:
            row = tx.fetchone(
                f"SELECT state FROM {self.table} WHERE {self.position} = ?", (position,)
            )
            assert row is not None
            state = bytearray(bytes(row[0]))
            state[len(state) // 2] ^= 0x01
            tx.execute(
                f"UPDATE {self.table} SET state = ? WHERE {self.position} = ?",
                (bytes(state), position),
            )

    def delete(self, position: int) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"DELETE FROM {self.table} WHERE {self.position} = ?", (position,))

    def swap(self, a: int, b: int) -> None:
        with self.db.transaction() as tx:
            for old, new in ((a, -1), (b, a), (-1, b)):
                tx.execute(
                    f"UPDATE {self.table} SET {self.position} = ? WHERE {self.position} = ?",
                    (new, old),
                )


def _verify(lessor_cli: Callable[..., Run]) -> Run:
    done = lessor_cli("audit", "verify")
    assert done.code in (0, 1), done.err
    return done


def _named(done: Run) -> list[str]:
    return [line for line in done.out.splitlines() if line.startswith("position ")]


def test_an_untouched_log_verifies_and_each_tampering_is_named_first_one_first(
    container: Container, lessor_cli: Callable[..., Run]
) -> None:
    assert lessor_cli("demo", "seed").code == 0
    signed = lessor_cli("audit", "checkpoint")
    assert signed.code == 0, signed.err
    head = json.loads(signed.out.splitlines()[-1])["payload"]["position"]
    assert head >= 30  # the demo's events, every one chained

    intact = _verify(lessor_cli)
    assert intact.code == 0, intact.out
    assert f"{head} event(s) checked" in intact.out
    assert "signature valid, head matches the log" in intact.out
    assert "the log is intact" in intact.out

    events = EventsTable(container)
    events.swap(25, 26)
    swapped = _verify(lessor_cli)
    assert swapped.code == 1
    assert "the log was altered: first at position 25" in swapped.out
    assert _named(swapped) == [
        "position 25: event moved (events reordered): it was chained at position 26",
        "position 26: event moved (events reordered): it was chained at position 25",
    ]
    assert "head DIFFERS from the log" in swapped.out

    events.delete(12)
    deleted = _verify(lessor_cli)
    assert deleted.code == 1
    assert "the log was altered: first at position 12" in deleted.out
    assert _named(deleted)[0] == "position 12: event removed"
    assert len(_named(deleted)) == 3

    events.edit_one_byte(5)
    edited = _verify(lessor_cli)
    assert edited.code == 1
    assert "the log was altered: first at position 5" in edited.out
    assert _named(edited) == [
        "position 5: event changed (its stored bytes differ from those chained)",
        "position 12: event removed",
        "position 25: event moved (events reordered): it was chained at position 26",
        "position 26: event moved (events reordered): it was chained at position 25",
    ]


def test_a_forged_checkpoint_signature_is_reported(
    container: Container, lessor_cli: Callable[..., Run]
) -> None:
    assert lessor_cli("demo", "seed").code == 0
    assert lessor_cli("audit", "checkpoint").code == 0
    with container.db.transaction() as tx:
        [(signed_at, signature)] = tx.fetchall(
            "SELECT signed_at, signature FROM audit_checkpoints ORDER BY signed_at DESC LIMIT 1"
        )
    forged = bytearray(unb64(signature))
    forged[0] ^= 0x01  # one bit of the signature itself, not of base64's padding bits
    with container.db.transaction() as tx:
        tx.execute(
            "UPDATE audit_checkpoints SET signature = ? WHERE signed_at = ?",
            (b64(bytes(forged)), signed_at),
        )
    done = _verify(lessor_cli)
    assert done.code == 1
    assert _named(done) == []  # the events are intact
    assert "signature INVALID (forged?), head matches the log" in done.out
    assert "the log is intact" not in done.out


def test_a_checkpoint_signed_by_another_key_is_reported(
    container: Container, lessor_cli: Callable[..., Run]
) -> None:
    assert lessor_cli("demo", "seed").code == 0
    signed = json.loads(lessor_cli("audit", "checkpoint").out.splitlines()[-1])
    intruder = SigningKey(bytes(range(32)), "audit")
    payload = json.dumps(
        {**signed["payload"], "signed_at": "2099-01-01T00:00:00.000000Z"},
        sort_keys=True,
        separators=(",", ":"),
    )
    with container.db.transaction() as tx:
        tx.execute(
            "INSERT INTO audit_checkpoints (signed_at, position, payload, signature)"
            " VALUES (?, ?, ?, ?)",
            (
                "2099-01-01T00:00:00.000000Z",
                signed["payload"]["position"],
                payload,
                b64(intruder.sign(payload.encode())),
            ),
        )
    done = _verify(lessor_cli)
    assert done.code == 1
    assert "last checkpoint: position" in done.out
    assert "signature INVALID (forged?)" in done.out


def test_bad_input_is_one_line_and_exit_2(
    container: Container, lessor_cli: Callable[..., Run], tmp_path: Path
) -> None:
    del container
    missing = lessor_cli("audit", "verify", "--views", f"sqlite:///{tmp_path}/none.db")
    assert (missing.code, missing.err.count("\n")) == (2, 1), missing
    assert "no such database file" in missing.err
    bad_url = lessor_cli("audit", "verify", "--views", "mysql://somewhere/db")
    assert (bad_url.code, bad_url.err.count("\n")) == (2, 1), bad_url
    empty = tmp_path / "empty.db"
    empty.touch()
    no_chain = lessor_cli("audit", "verify", "--views", f"sqlite:///{empty}")
    assert no_chain.code == 2, no_chain  # not a views database
    assert no_chain.err.count("\n") == 1, no_chain.err


def test_the_scheduler_signs_a_checkpoint_once_a_day_on_the_sandbox_clock(
    database_url: str, tmp_path: Path
) -> None:
    sandbox_cli = cli_runner(database_url, tmp_path, {"LESSOR_MODE": "sandbox"})
    assert sandbox_cli("db", "init").code == 0
    assert sandbox_cli("clock", "set", "2040-01-01T10:00:00Z").code == 0
    assert sandbox_cli("demo", "seed").code == 0  # its tick signs the day's checkpoint

    same_day = sandbox_cli("scheduler", "tick")
    assert same_day.code == 0, same_day.err
    assert "0 audit checkpoint(s)" in same_day.out
    assert sandbox_cli("clock", "advance", "23h").code == 0  # 09:00 on the 2nd: a new day
    next_day = sandbox_cli("scheduler", "tick")
    assert "1 audit checkpoint(s)" in next_day.out, next_day.out
    assert "0 audit checkpoint(s)" in sandbox_cli("scheduler", "tick").out

    done = sandbox_cli("audit", "verify")
    assert done.code == 0, done.out
    assert "last checkpoint: position" in done.out
    assert "signed 2040-01-02T" in done.out  # the sandbox day (its clock runs on meanwhile)
    assert "signature valid, head matches the log" in done.out
