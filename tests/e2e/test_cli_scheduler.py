"""`lessor scheduler tick --at …` as an operator runs it: a real process on a real store.

The subscription is bought over HTTP (the real app, its projector running); the API is
then shut down and the CLI, a separate process on the same database, runs the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.e2e._cli import Run, cli_runner
from tests.e2e._http import auth, head, make_client, recorded_actor
from tests.e2e._subscriptions import (
    add_product,
    buy,
    charge_summary,
    charges,
    history,
    open_shop,
    read,
    term_minor,
)


@pytest.fixture
def lessor_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    run = cli_runner(database_url, tmp_path)

    return run


def test_a_tick_renews_a_due_subscription_once(
    container: Container, clock: FixedClock, lessor_cli: Callable[..., Run]
) -> None:
    with make_client(container) as api:
        shop = open_shop(api, container, name="Cli AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        # 1y from 2026-01-01 (backdated), renewed every time: due on 2027-01-01.
        sub_id = buy(
            api,
            shop.admin,
            [(plan, 5)],
            start_date="2026-01-01",
            term="1y",
            renewal_option="every_time",
            po_reference="PO-CLI",
        ).json()["id"]
        assert len(charges(api, container, shop.admin, subscription_id=sub_id)) == 1
    written = head(container)

    early = lessor_cli("scheduler", "tick", "--at", "2026-12-31T22:59:00Z")  # 23:59 local
    assert early.code == 0, early.err
    # Nothing of the subscription's; the company's monthly invoice run, overdue since April
    # (no tick ran since its first charge), catches up as December's.
    assert (
        "0 subscription(s) advanced, 0 event(s); 0 rental account(s) charged;"
        " 1 invoice run(s), 2 event(s)" in early.out
    )
    written = head(container)

    first = lessor_cli("scheduler", "tick", "--at", "2027-01-01T00:00:00Z")
    assert first.code == 0, first.err
    assert first.err == ""
    assert "tick at 2027-01-01T00:00:00+00:00" in first.out
    assert "1 subscription(s) advanced, 2 event(s)" in first.out  # Renewed, TermCharged
    assert "1 invoice run(s), 1 event(s)" in first.out  # January's, after the charge
    assert head(container) == written + 3

    second = lessor_cli("scheduler", "tick", "--at", "2027-01-01T00:00:00Z")
    assert second.code == 0, second.err
    assert (
        "0 subscription(s) advanced, 0 event(s); 0 rental account(s) charged; 0 invoice run(s)"
        in second.out
    )
    assert head(container) == written + 3

    # What the renewal did, read back over HTTP.
    with make_client(container) as api:
        renewed = read(api, shop.admin, sub_id)
        assert (renewed["status"], renewed["term_start"], renewed["term_end"]) == (
            "active",
            "2027-01-01",
            "2028-01-01",
        )
        lines = charges(api, container, shop.admin, subscription_id=sub_id)
        assert [charge_summary(c) for c in lines] == [
            ("term", 5, term_minor(4900, 5, "1y"), "2026-01-01", "2027-01-01", "PO-CLI"),
            ("term", 5, 294000, "2027-01-01", "2028-01-01", "PO-CLI"),
        ]
        items = history(api, container, shop.admin, sub_id)
        assert [(i["operation"], recorded_actor(i), i["occurred_at"]) for i in items[-2:]] == [
            (op, {"id": "scheduler", "role": "system"}, "2027-01-01T00:00:00.000000Z")
            for op in ("Subscription.Renewed", "Subscription.TermCharged")
        ]
        listed = api.get(
            "/v1/subscriptions", params={"min_position": head(container)}, headers=auth(shop.admin)
        ).json()["items"]
        assert [(i["term_start"], i["term_end"]) for i in listed] == [("2027-01-01", "2028-01-01")]
    assert clock.now().year == 2026  # the CLI ran on its own time, not the API's clock


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2027-01-01", "needs a time zone offset"),
        ("2027-01-01T00:00:00", "needs a time zone offset"),
        ("next tuesday", "is not an ISO 8601 instant"),
    ],
)
def test_an_instant_without_an_offset_is_one_line_and_exit_2(
    container: Container, lessor_cli: Callable[..., Run], at: str, message: str
) -> None:
    before = head(container)
    result = lessor_cli("scheduler", "tick", "--at", at)
    assert result.code == 2, (result.out, result.err)
    assert result.err.startswith("error: ")
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err + result.out
    assert result.out == ""
    assert head(container) == before
