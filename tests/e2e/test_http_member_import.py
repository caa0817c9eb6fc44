"""Bulk provisioning end to end (SPEC §3, seed 004, ADR 0033): an admin dry-runs and applies
a member file over HTTP, a bad file is 422 with every error and writes nothing, a repeat
writes nothing, the export reads back as the same file; the CLI does the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx import Response

from api.bootstrap import Container
from tests.e2e._cli import cli_runner
from tests.e2e._http import TestClient, assert_problem, auth, head
from tests.e2e._subscriptions import Shop, add_product, buy, open_shop

HEADER = "email,name,role,plan,options,last_employment_day\r\n"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def shop(api: TestClient, container: Container) -> Shop:
    shop = open_shop(api, container, employees=0)
    plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
    backup = add_product(api, shop.operator, "BK", "Backup", "option", {"SEK": "15.00"})
    buy(api, shop.admin, [(plan, 2), (backup, 1)], start_date="2026-03-02", term="monthly")
    return shop


def upload(
    api: TestClient, container: Container, shop: Shop, text: str, *, apply: bool
) -> Response:
    """The file, once the read models name every subscription bought (min_position)."""
    reached = head(container)
    return api.post(
        "/v1/members/import",
        params={"dry_run": str(not apply).lower(), "min_position": reached},
        content=text.encode(),
        headers={**auth(shop.admin), **CSV},
    )


def test_an_admin_provisions_members_by_file_and_the_export_reads_back_the_same(
    api: TestClient, container: Container, shop: Shop
) -> None:
    text = HEADER + (
        "ann@shop.example,Ann,employee,WP,BK,2026-12-31\r\nbo@shop.example,Bo,employee,WP,,\r\n"
    )
    before = head(container)
    checked = upload(api, container, shop, text, apply=False)
    assert checked.status_code == 200, checked.text
    assert (checked.json()["valid"], checked.json()["applied"]) == (True, False)
    assert head(container) == before

    applied = upload(api, container, shop, text, apply=True)
    assert applied.status_code == 200, applied.text
    assert applied.json()["counts"] == {"rows": 2, "errors": 0, "created": 2, "changed": 2}
    reached = head(container)
    again = upload(api, container, shop, text, apply=True)
    assert again.json()["applied"] is False
    assert head(container) == reached

    exported = api.get(
        "/v1/members.csv", params={"min_position": reached}, headers=auth(shop.admin)
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == HEADER.strip()
    assert set(lines[1:]) >= set(text.splitlines()[1:])  # the shop's admin is listed too


def test_a_file_with_a_bad_row_or_too_few_seats_is_refused_whole(
    api: TestClient, container: Container, shop: Shop
) -> None:
    text = HEADER + (
        "a@shop.example,A,employee,WP,BK,\r\n"
        "b@shop.example,B,employee,WP,BK,\r\n"  # one Backup seat only
        "c@shop.example,C,manager,,,\r\n"
    )
    before = head(container)

    refused = upload(api, container, shop, text, apply=True)

    problem = assert_problem(refused, 422, "invalid-value")
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [(3, "options"), (4, "role")]
    assert head(container) == before
    assert_problem(api.post("/v1/members/import", json={"a": 1}, headers=auth(shop.admin)), 422)
    assert_problem(api.get("/v1/members.csv", headers=auth(shop.service)), 403, "forbidden")


def test_the_cli_exports_and_imports_a_member_file(
    api: TestClient, container: Container, shop: Shop, database_url: str, tmp_path: Path
) -> None:
    lessor = cli_runner(database_url, tmp_path)
    file = tmp_path / "members.csv"
    file.write_text(HEADER + "ann@shop.example,Ann,employee,WP,BK,\r\n", encoding="utf-8")

    checked = lessor("members", "import", str(file), "--company", shop.company_id)
    assert checked.code == 0, checked.err
    assert "would change: 1 members" in checked.out
    applied = lessor("members", "import", str(file), "--company", shop.company_id, "--apply")
    assert applied.code == 0, applied.err
    assert "applied: 1 members" in applied.out
    exported = lessor("members", "export", "--company", shop.company_id)
    assert exported.code == 0, exported.err
    assert "ann@shop.example,Ann,employee,WP,BK," in exported.out.splitlines()

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "x@shop.example,X,employee,NOPE,,\r\n", encoding="utf-8")
    before = head(container)
    refused = lessor("members", "import", str(bad), "--company", shop.company_id, "--apply")
    assert refused.code == 2
    assert "line 2, plan" in refused.out
    assert len(refused.err.strip().splitlines()) == 1, refused.err
    assert head(container) == before
