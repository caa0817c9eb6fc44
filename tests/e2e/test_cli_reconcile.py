"""`lessor reconcile` finds what it claims to check: a clean store agrees (exit 0); a
hand-tampered read-model row, or a charge written through the library around the command,
is named with its ids and amounts (exit 1). The clean run and the last planted one run every
check; the others `--check` only the one they plant for (a projection verify per run is the
cost). Bad input, an unknown `--check` among it, is one line and exit 2."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.clock import FixedClock
from adapters.reconcile import CHECKS
from api.bootstrap import Container
from api.cli.shared import operator_context
from domain.model.invoice import Invoice
from domain.model.money import Money
from domain.model.rental_account import RentalAccount, account_id_for
from tests.e2e._cli import Run, cli_runner, in_process_runner
from tests.e2e._http import head, make_client
from tests.e2e._subscriptions import add_product, buy, open_shop
from tests.e2e.test_cli_credits import redeem_and_rent
from tests.rental_devices import register_device


@pytest.fixture
def lessor_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    return cli_runner(database_url, tmp_path)


BALANCES, INVOICES = "rental credit balances", "issued invoices"


def _report(lessor_cli: Callable[..., Run], *args: str) -> tuple[int, dict[str, Any]]:
    done = lessor_cli("reconcile", "--json", *args)
    assert done.code in (0, 1), done.err
    return done.code, {c["name"]: c for c in json.loads(done.out)["checks"]}


def _only(lessor_cli: Callable[..., Run], check: str, *args: str) -> tuple[int, dict[str, Any]]:
    """The report of `--check check` alone, which holds that check and no other."""
    code, report = _report(lessor_cli, "--check", check, *args)
    assert list(report) == [check], report
    return code, report


def _problems(report: dict[str, Any], check: str) -> list[str]:
    return [f"{d['subject']}: {d['problem']}" for d in report[check]["discrepancies"]]


def test_reconcile_agrees_on_a_clean_store_and_names_each_planted_discrepancy(
    container: Container,
    clock: FixedClock,
    lessor_cli: Callable[..., Run],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del clock
    with make_client(container) as api:
        shop = open_shop(api, container, name="Reconcile AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        buy(api, shop.admin, [(plan, 5)], start_date="2026-03-01", term="monthly")
    company = shop.company_id
    ctx = operator_context(container)  # in process: every `lessor` start costs an import
    container.app.invoicing.run(ctx, UUID(company), "2026-03")
    container.projector.catch_up("invoices")
    [draft] = _column(container, "SELECT invoice_id FROM invoices WHERE status = 'draft'")
    container.app.invoicing.issue(ctx, UUID(draft))
    phone = register_device(container.app, ctx, UUID(company), "PH-1")
    keys = container.app.credits.issue_keys(ctx, credits=50, count=1, company_id=UUID(company))
    [code] = keys.codes
    redeem_and_rent(database_url, UUID(company), phone, code)  # 50 in, 7 charged at once

    agreed, report = _report(lessor_cli)
    assert agreed == 0, report
    assert list(report) == list(CHECKS)
    assert report[BALANCES]["checked"] == 1
    assert report[INVOICES]["checked"] == 1
    table = lessor_cli("reconcile", "--check", BALANCES, "--check", INVOICES)
    assert table.code == 0, table.err
    assert BALANCES in table.out
    assert INVOICES in table.out
    assert "projections equal a rebuild" not in table.out
    # A company with no paid buyout is still known to a check that reads only buyouts.
    assert _only(lessor_cli, "buyouts paid at Stripe", "--company", company)[0] == 0

    account = str(account_id_for(UUID(company)))
    [invoice_id] = _column(container, "SELECT invoice_id FROM invoices WHERE status = 'issued'")

    # 1. A read-model balance edited by hand.
    _execute(container, "UPDATE rental_accounts SET balance = balance + 5")
    code_1, report = _only(lessor_cli, BALANCES)
    assert code_1 == 1
    assert _problems(report, BALANCES) == [
        f"account {account}: the read model shows a balance of 48; the facts 43"
    ]
    _execute(container, "UPDATE rental_accounts SET balance = balance - 5")

    # 2. An issued invoice's stored row edited by hand.
    _execute(container, "UPDATE invoices SET gross_minor = gross_minor + 100")
    code_2, report = _only(lessor_cli, INVOICES, "--company", company)
    assert code_2 == 1
    [problem] = _problems(report, INVOICES)
    assert problem.startswith(f"invoice {invoice_id} (")
    assert "30725" in problem  # the edited row
    assert "30625" in problem  # the facts: 245.00 + 25 % VAT = 306.25 SEK
    _execute(container, "UPDATE invoices SET gross_minor = gross_minor - 100")  # 4. sees it

    # 3. The same rental day charged again, written through the library around the command.
    time.sleep(0.05)
    before_the_charge = datetime.now(UTC)
    time.sleep(0.05)
    rented = container.app.repository.get(account_id_for(UUID(company)))
    day = rented.rentals[str(phone)]["paid_through"]
    rented.trigger_event(
        RentalAccount.DayCharged,
        day=day,
        lines={str(phone): 7},
        total=7,
        balance=rented.balance - 7,
        runway=None,
        **ctx.cause.stamp(UUID(company)),
    )
    container.app.save(rented)
    code_3, report = _only(lessor_cli, BALANCES)
    assert code_3 == 1
    charged_twice = [
        f"account {account}, device {phone}: the rental day {day} is charged a second time"
    ]
    assert _problems(report, BALANCES) == charged_twice
    assert report[BALANCES]["discrepancies"][0]["amounts"] == {"credits": 7}
    # The facts as recorded before the second charge still agree.
    assert _only(lessor_cli, BALANCES, "--at", before_the_charge.isoformat())[0] == 0

    # 4. An invoice written through the library around the command: a number already
    #    taken, and VAT that is not its lines' VAT rounded once.
    original = container.app.repository.get(UUID(invoice_id))
    forged_id = uuid4()
    forged = Invoice._create(
        Invoice.Issued,
        id=forged_id,
        kind=original.kind,
        number=original.number,
        issue_date=original.issue_date,
        month=original.month,
        currency=original.currency,
        subscription_id=original.subscription_id,
        lines=original.lines,
        vat_rate=original.vat_rate,
        net=original.net,
        vat=original.vat + Money(1, "SEK"),
        gross=original.gross + Money(1, "SEK"),
        credits=None,
        seller=original.seller,
        buyer=original.buyer,
        **ctx.cause.stamp(UUID(company)),
    )
    container.app.save(forged)
    code_4, report = _report(lessor_cli)  # every check: each names only what was planted
    assert code_4 == 1
    assert [name for name in CHECKS if report[name]["discrepancies"]] == [BALANCES, INVOICES]
    assert _problems(report, BALANCES) == charged_twice
    assert _problems(report, INVOICES) == [
        f"number {original.number}: two issued invoices carry this number",
        f"invoice {forged_id} ({original.number}): the facts as of its issue hold no draft"
        " of this id to issue",
    ]

    written, refuse = head(container), in_process_runner(database_url, monkeypatch, capsys)
    for bad in (
        ["--company", "not-an-id"],
        ["--company", "00000000-0000-4000-8000-000000000000"],  # unknown
        ["--at", (datetime.now(UTC) + timedelta(days=1)).isoformat()],  # the future
        ["--at", "2026-03-02T12:00:00"],  # naive
        ["--check", "projections equal a rebuild", "--company", company],  # all companies only
        ["--check", "buyouts paid at Stripe", "--at", before_the_charge.isoformat()],  # head
    ):
        refused = refuse("reconcile", *bad)
        assert refused.code == 2, (bad, refused.out, refused.err)
        assert refused.err.startswith("error: "), refused.err
        assert refused.err.count("\n") == 1, refused.err
    assert head(container) == written


def test_an_unknown_check_is_one_line_and_exit_2(
    container: Container, lessor_cli: Callable[..., Run]
) -> None:
    written = head(container)
    refused = lessor_cli("reconcile", "--check", BALANCES, "--check", "invoices")
    assert refused.code == 2, (refused.out, refused.err)
    assert refused.err.startswith("error: --check 'invoices': not a check; one of: "), refused.err
    assert all(name in refused.err for name in CHECKS), refused.err
    assert refused.err.count("\n") == 1, refused.err
    assert refused.out == ""
    assert head(container) == written


def _execute(container: Container, sql: str) -> None:
    with container.db.transaction() as tx:
        tx.execute(sql)


def _column(container: Container, sql: str) -> list[str]:
    with container.db.transaction() as tx:
        return [str(r[0]) for r in tx.fetchall(sql)]
