"""`lessor invoices run|list|issue|export` as an operator runs them: real processes on a real
store, after a subscription bought over HTTP. Bad input is one line and exit 2, writing
nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.e2e._cli import Run, cli_runner
from tests.e2e._http import head, make_client
from tests.e2e._subscriptions import add_product, buy, open_shop


@pytest.fixture
def lessor_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    return cli_runner(database_url, tmp_path)


def test_run_list_issue_and_export_from_the_command_line(
    container: Container, clock: FixedClock, lessor_cli: Callable[..., Run]
) -> None:
    del clock  # T0, 2 March 2026: the monthly subscription from 1 March is charged at once
    with make_client(container) as api:
        shop = open_shop(api, container, name="Cli AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        buy(api, shop.admin, [(plan, 5)], start_date="2026-03-01", term="monthly")
    written = head(container)

    for bad in (
        ["run", "--month", "2026-13"],
        ["run", "--month", "2026-03", "--company", "x"],
        ["issue"],
        ["issue", "--all", "--batch", "0"],
        ["export", "not-an-id"],
    ):
        refused = lessor_cli("invoices", *bad)
        assert refused.code == 2, (bad, refused.out, refused.err)
        assert refused.err.startswith("error: "), refused.err
        assert refused.err.count("\n") == 1, refused.err
    assert head(container) == written

    ran = lessor_cli("invoices", "run", "--month", "2026-03", "--company", shop.company_id)
    assert ran.code == 0, ran.err
    assert "run of 2026-03: 1 draft(s)" in ran.out
    assert "306.25 SEK" in ran.out  # 5 × 49.00 = 245.00, + 25 % VAT

    listed = lessor_cli("invoices", "list", "--status", "draft")
    assert listed.code == 0, listed.err
    [line] = listed.out.strip().splitlines()
    draft_id = line.split()[0]

    issued = lessor_cli("invoices", "issue", "--all", "--batch", "2")
    assert issued.code == 0, issued.err
    assert re.search(rf"{draft_id}  issued as \d{{4}}-000001", issued.out), issued.out
    again = lessor_cli("invoices", "issue", draft_id)
    assert again.code == 2, again.err
    assert "already issued" in again.err, again.err

    exported = lessor_cli("invoices", "export", draft_id)
    assert exported.code == 0, exported.err
    body = json.loads(exported.out)
    assert (body["status"], body["gross"]["minor"], len(body["lines"])) == ("issued", 30625, 1)
