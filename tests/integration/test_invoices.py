"""The invoice run, drafts and issuing on the real store (SPEC §6, docs/adr/0035).

Given/when/then on SQLite and PostgreSQL: what a run collects, one invoice per currency and
per separate-invoice subscription, VAT once on the net total, gapless numbers, a charge
recorded after an issue on the next invoice, an issued invoice that never changes."""

from __future__ import annotations

from datetime import date

import pytest

from api.bootstrap import Container
from domain.model.errors import AlreadyExists, RuleViolation
from domain.model.pricing import Term
from tests.integration.invoice_world import Shop, at, first_local, minor, sek, utc


@pytest.fixture
def shop(container: Container) -> Shop:
    return Shop(container)


def test_a_3_year_term_starting_in_the_month_is_one_line_with_vat_on_the_net(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.THREE_YEARS, utc(2027, 2, 20))
    assert shop.tick(first_local(2027, 3)) == 1
    assert shop.tick(first_local(2027, 3)) == 0  # once a month
    [draft] = shop.drafts(acme)
    detail = shop.detail(draft["invoice_id"])
    [line] = detail["lines"]
    assert (line["kind"], line["quantity"], line["months"], line["discount"]) == (
        "term",
        5,
        36,
        "0.10",
    )
    assert minor(line, "amount") == sek("7938.00")
    assert (minor(detail, "net"), minor(detail, "vat"), minor(detail, "gross")) == (
        sek("7938.00"),
        sek("1984.50"),
        sek("9922.50"),
    )


def test_issuing_numbers_gaplessly_and_later_charges_go_on_the_next_invoice(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    sub = shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.THREE_YEARS, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    assert shop.issue(march["invoice_id"], utc(2027, 3, 2)) == "2027-000001"
    before = shop.detail(march["invoice_id"])
    shop.c.app.subscriptions.add_seats(
        at(utc(2028, 10, 17)),
        sub,
        plan,
        4,
    )
    shop.run(acme, "2028-11", utc(2028, 11, 1))
    [november] = shop.drafts(acme)
    [line] = shop.detail(november["invoice_id"])["lines"]
    assert (line["kind"], line["days"], line["days_in_term"]) == ("seats", 500, 1096)
    assert minor(line, "amount") == sek("2897.08")
    assert shop.issue(november["invoice_id"], utc(2028, 11, 2)) == "2028-000001"
    assert shop.detail(march["invoice_id"]) == before  # the issued one never changed


def test_one_invoice_per_currency_and_per_separate_invoice_subscription(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    option = shop.product("EXTRA", 1000, "Extra")
    shop.subscribe(acme, plan, 2, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.subscribe(acme, option, 1, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    separate = shop.subscribe(
        acme, plan, 3, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20), separate=True, po="PO-9"
    )
    shop.tick(first_local(2027, 3))
    drafts = shop.drafts(acme)
    assert {d["subscription_id"]: minor(d, "net") for d in drafts} == {
        None: sek("98.00") + sek("10.00"),
        str(separate): sek("147.00"),
    }
    [own] = [d for d in drafts if d["subscription_id"]]
    assert [line["po_reference"] for line in shop.detail(own["invoice_id"])["lines"]] == ["PO-9"]


def test_a_company_at_zero_vat_pays_no_vat(shop: Shop) -> None:
    acme, plan = shop.company(vat="0"), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [draft] = shop.drafts(acme)
    assert (minor(draft, "net"), minor(draft, "vat"), minor(draft, "gross")) == (
        sek("245.00"),
        0,
        sek("245.00"),
    )


def test_a_second_run_supersedes_the_open_draft_and_an_issue_is_once(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [first] = shop.drafts(acme)
    shop.run(acme, "2027-03", utc(2027, 3, 1, 10))  # on demand, again
    [second] = shop.drafts(acme)
    assert second["invoice_id"] != first["invoice_id"]
    assert minor(second, "net") == minor(first, "net")
    with pytest.raises(RuleViolation):
        shop.issue(first["invoice_id"], utc(2027, 3, 2))
    number = shop.issue(second["invoice_id"], utc(2027, 3, 2))
    with pytest.raises(AlreadyExists):
        shop.issue(second["invoice_id"], utc(2027, 3, 2))
    shop.tick(first_local(2027, 4))  # April's fee only: March's is issued
    [april] = shop.drafts(acme)
    assert minor(april, "net") == sek("245.00")
    assert number == "2027-000001"
