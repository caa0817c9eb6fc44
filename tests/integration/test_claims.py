"""Database claims (adapters/claims.py): one holder at a time, across connections and
processes; what the scheduler's tick holds so that two schedulers never overlap."""

from __future__ import annotations

import threading

from adapters.claims import claim_key, claimed
from adapters.settings_url import DatabaseUrl
from adapters.sql import open_database
from api.bootstrap import Container


def test_a_claim_waits_for_its_holder_and_others_do_not(
    container: Container, database_url: str
) -> None:
    other = open_database(DatabaseUrl(database_url))  # a second pool, as another process has
    order: list[str] = []
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with claimed(container.db, "job"):
            order.append("first in")
            held.set()
            release.wait(timeout=30)
            order.append("first out")

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(timeout=30)
    with claimed(other, "another job"):  # a different name is not held
        order.append("another job")
    waiter = threading.Thread(target=lambda: _enter(other, order))
    waiter.start()
    waiter.join(timeout=0.5)  # it cannot get in while the claim is held
    assert waiter.is_alive()
    release.set()
    thread.join(timeout=30)
    waiter.join(timeout=30)
    other.close()
    assert order == ["first in", "another job", "first out", "second in"]


def _enter(db: object, order: list[str]) -> None:
    with claimed(db, "job"):  # type: ignore[arg-type]
        order.append("second in")


def test_claim_keys_are_stable_and_distinct() -> None:
    assert claim_key("scheduler-tick") == claim_key("scheduler-tick")
    assert claim_key("scheduler-tick") != claim_key("job")
    assert -(1 << 63) <= claim_key("job") < 1 << 63
