"""Invoices end to end over HTTP (SPEC §6): subscriptions through November, the scheduler's
run at 00:00 on 1 December Stockholm time, drafts, issue with numbers, an admin reading
their own issued invoices, adjustments and a credit note, refusals as problem+json."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.time import local_midnight
from tests.e2e._http import TestClient, assert_problem, auth, head
from tests.e2e._subscriptions import add_product, buy, command, open_shop, tick, utc

STOCKHOLM = "Europe/Stockholm"


def invoices(api: TestClient, container: Container, secret: str, **params: Any) -> list[Any]:
    response = api.get(
        "/v1/invoices",
        params={**params, "min_position": head(container)},
        headers=auth(secret),
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def detail(api: TestClient, container: Container, secret: str, invoice_id: str) -> dict[str, Any]:
    response = api.get(
        f"/v1/invoices/{invoice_id}",
        params={"min_position": head(container)},
        headers=auth(secret),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_december_run_drafts_issue_and_read(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    shop = open_shop(api, container, name="Acme AB")
    other = open_shop(api, container, name="Other AB", operator=shop.operator)
    plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
    clock.set(utc(2026, 10, 20))
    monthly = buy(
        api, shop.admin, [(plan, 5)], start_date="2026-11-01", term="monthly", po_reference="PO-11"
    ).json()["id"]
    buy(api, other.admin, [(plan, 1)], start_date="2026-11-01", term="monthly")
    tick(container, clock, local_midnight(date(2026, 11, 1), STOCKHOLM))
    clock.set(utc(2026, 11, 17))  # 2 seats added, 14 of 30 days left: 2 × 49 × 14/30 = 45.73
    added = command(api, shop.admin, monthly, "seats", {"product_id": plan, "seats": 2})
    assert added.status_code == 200, added.text
    command(api, shop.admin, monthly, "po-reference", {"po_reference": "PO-12"})

    december = local_midnight(date(2026, 12, 1), STOCKHOLM)
    tick(container, clock, december)

    [draft] = invoices(
        api, container, shop.operator, company_id=shop.company_id, status="draft", month="2026-12"
    )
    lines = detail(api, container, shop.operator, draft["invoice_id"])["lines"]
    assert [(li["kind"], li["amount"]["minor"], li["po_reference"]) for li in lines] == [
        ("monthly", 24500, "PO-11"),  # November's fee, charged at 00:00 on 1 November
        ("seats", 4573, "PO-11"),
        ("monthly", 34300, "PO-12"),  # December's, 7 seats, after the PO change
    ]
    assert draft["net"]["minor"] == 24500 + 4573 + 34300
    assert draft["vat"]["minor"] == 15843  # 25 % of 633.73 = 158.4325, once on the net
    assert invoices(api, container, shop.admin) == []  # an admin sees no drafts
    assert_problem(
        api.post(f"/v1/invoices/{draft['invoice_id']}/issue", json={}, headers=auth(shop.admin)),
        403,
    )

    clock.set(utc(2026, 12, 2))
    issued = api.post(
        f"/v1/invoices/{draft['invoice_id']}/issue", json={}, headers=auth(shop.operator)
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["number"] == "2026-000001"
    assert issued.headers["Location"] == f"/v1/invoices/{draft['invoice_id']}"
    [theirs] = invoices(api, container, other.operator, company_id=other.company_id, status="draft")
    second = api.post(
        f"/v1/invoices/{theirs['invoice_id']}/issue", json={}, headers=auth(shop.operator)
    )
    assert second.json()["number"] == "2026-000002"

    [mine] = invoices(api, container, shop.admin)
    assert (mine["number"], mine["status"]) == ("2026-000001", "issued")
    assert detail(api, container, shop.admin, draft["invoice_id"])["lines"] == lines
    assert_problem(api.get(f"/v1/invoices/{theirs['invoice_id']}", headers=auth(shop.admin)), 404)
    assert invoices(api, container, shop.operator, number="2026-000002")[0]["company_id"] == (
        other.company_id
    )

    # A correction goes on January's invoice; the issued one does not change.
    before = head(container)
    refused = api.post(
        f"/v1/invoices/{draft['invoice_id']}/adjustments",
        json={
            "line_no": 9,
            "amount": {"amount": "-10.00", "currency": "SEK"},
            "description": "Wrong",
        },
        headers=auth(shop.operator),
    )
    assert_problem(refused, 422)
    assert head(container) == before
    adjusted = api.post(
        f"/v1/invoices/{draft['invoice_id']}/adjustments",
        json={
            "line_no": 2,
            "amount": {"amount": "-45.73", "currency": "SEK"},
            "description": "Seats added by mistake",
        },
        headers=auth(shop.operator),
    )
    assert adjusted.status_code == 200, adjusted.text
    tick(container, clock, local_midnight(date(2027, 1, 1), STOCKHOLM))
    [january] = invoices(api, container, shop.operator, company_id=shop.company_id, status="draft")
    kinds = [
        (li["kind"], li["amount"]["minor"], li["reference"])
        for li in detail(api, container, shop.operator, january["invoice_id"])["lines"]
    ]
    assert kinds == [("adjustment", -4573, "2026-000001#2"), ("monthly", 34300, None)]

    note = api.post(
        f"/v1/invoices/{draft['invoice_id']}/credit-note", json={}, headers=auth(shop.operator)
    )
    assert note.status_code == 201, note.text
    assert (note.json()["number"], note.json()["gross"]["minor"]) == (
        "2027-000001",  # issued in 2027: the year's sequence starts again
        -issued.json()["gross"]["minor"],
    )
    assert (
        detail(api, container, shop.admin, draft["invoice_id"])["credited_by"]
        == note.json()["invoice_id"]
    )


def test_an_issued_invoice_as_pdf_and_html_whose_bytes_never_change(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    shop = open_shop(api, container, name="Pdf AB")
    plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
    clock.set(utc(2027, 2, 20))
    sub = buy(api, shop.admin, [(plan, 5)], start_date="2027-03-01", term="3y").json()["id"]
    tick(container, clock, local_midnight(date(2027, 3, 1), STOCKHOLM))
    [draft] = invoices(api, container, shop.operator, status="draft")
    path = f"/v1/invoices/{draft['invoice_id']}"
    assert_problem(api.get(path + ".pdf", headers=auth(shop.operator)), 404)  # a draft
    clock.set(utc(2027, 3, 2))
    issued = api.post(path + "/issue", json={}, headers=auth(shop.operator))
    assert issued.status_code == 201, issued.text

    first = api.get(path + ".pdf", headers=auth(shop.admin))
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(first.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "2027-000001" in text
    assert "7 938.00 SEK" in text
    assert "9 922.50 SEK" in text
    html = api.get(path + ".html", headers=auth(shop.admin))
    assert html.status_code == 200
    assert "5 × 49.00 × 36 months × (1 − 0.10)" in html.text

    # Later facts — seats added (pro rata), a new PO, a rename, a new run — change nothing.
    clock.set(utc(2028, 10, 17))
    command(api, shop.admin, sub, "seats", {"product_id": plan, "seats": 4})
    command(api, shop.admin, sub, "po-reference", {"po_reference": "PO-NEW"})
    api.patch(
        f"/v1/companies/{shop.company_id}", json={"name": "Renamed AB"}, headers=auth(shop.operator)
    )
    tick(container, clock, local_midnight(date(2028, 11, 1), STOCKHOLM))
    again = api.get(path + ".pdf", headers=auth(shop.admin))
    assert again.content == first.content

    # Factur-X needs what EN 16931 needs: a clear refusal, not a broken file.
    refused = api.get(path + "/facturx.pdf", headers=auth(shop.admin))
    body = assert_problem(refused, 409)
    assert "seller VAT id" in body["detail"]
    assert "buyer VAT id" in body["detail"]
    details = api.post(
        f"/v1/companies/{shop.company_id}/billing-details",
        json={"vat_id": "SE556000000001", "address": "Storgatan 1", "country": "SE"},
        headers=auth(shop.admin),
    )
    assert details.status_code == 200, details.text
    assert details.json()["billing"]["country"] == "SE"
    bad = api.post(
        f"/v1/companies/{shop.company_id}/billing-details",
        json={"vat_id": "SE 55", "country": "SE"},
        headers=auth(shop.admin),
    )
    assert_problem(bad, 422)

    other = open_shop(api, container, name="Nosy AB", operator=shop.operator)
    assert_problem(api.get(path + ".pdf", headers=auth(other.admin)), 404)
    [november] = invoices(api, container, shop.operator, status="draft")
    [seats] = detail(api, container, shop.operator, november["invoice_id"])["lines"]
    assert seats["amount"]["minor"] == 289708


def usage(api: TestClient, secret: str, *changes: tuple[str, str, str, str, str]) -> Any:
    return api.post(
        "/v1/usage/changes",
        json={
            "changes": [
                {"change_id": cid, "kind": kind, "entity_id": entity, "action": action, "at": at}
                for cid, kind, entity, action, at in changes
            ]
        },
        headers=auth(secret),
    )


def test_the_december_run_bills_novembers_usage_and_its_issue_closes_november(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    # Given a company with usage only: three superusers active at some time in November
    # (one added and removed mid-month) and one smart module without a price yet
    shop = open_shop(api, container, name="Reporting AB")
    set_price = api.post(
        "/v1/usage/prices/superuser",
        json={"prices": {"SEK": "149.00"}},
        headers=auth(shop.operator),
    )
    assert set_price.status_code == 200, set_price.text
    clock.set(utc(2026, 11, 20))
    recorded = usage(
        api,
        shop.service,
        ("u-1", "superuser", "ann", "activated", "2026-10-01T08:00:00Z"),
        ("u-2", "superuser", "bob", "activated", "2026-11-03T08:00:00Z"),
        ("u-3", "superuser", "eve", "activated", "2026-11-10T08:00:00Z"),
        ("u-4", "superuser", "eve", "deactivated", "2026-11-12T08:00:00Z"),
        ("u-5", "smart", "module-1", "activated", "2026-11-15T08:00:00Z"),
    )
    assert recorded.status_code == 200, recorded.text

    # When the scheduler reaches 00:00 on 1 December: the run is armed by the usage alone,
    # and refused while a used kind has no price (nothing written, the failure reported)
    december = local_midnight(date(2026, 12, 1), STOCKHOLM)
    clock.set(december)
    before = head(container)
    report = container.scheduler.tick(december)
    assert [f for f in report.failures if f.startswith("invoice run")] != []
    assert head(container) == before
    # ... and once the operator sets it, the run on demand bills November's usage
    priced = api.post(
        "/v1/usage/prices/smart", json={"prices": {"SEK": "990.00"}}, headers=auth(shop.operator)
    )
    assert priced.status_code == 200, priced.text
    ran = api.post(
        "/v1/invoice-runs",
        json={"company_id": shop.company_id, "month": "2026-12"},
        headers=auth(shop.operator),
    )
    assert ran.status_code == 201, ran.text  # the company's invoice book starts with it

    # Then the draft has one line per kind: count × the price list's price
    [draft] = invoices(api, container, shop.operator, company_id=shop.company_id, status="draft")
    lines = detail(api, container, shop.operator, draft["invoice_id"])["lines"]
    assert [(li["kind"], li["quantity"], li["amount"]["minor"]) for li in lines] == [
        ("usage", 3, 3 * 14900),
        ("usage", 1, 99000),
    ]
    assert draft["net"]["minor"] == 3 * 14900 + 99000

    # And once issued, a change dated in November is refused; December stays open
    clock.set(utc(2026, 12, 2))
    issued = api.post(
        f"/v1/invoices/{draft['invoice_id']}/issue", json={}, headers=auth(shop.operator)
    )
    assert issued.status_code == 201, issued.text
    before = head(container)
    late = usage(
        api, shop.service, ("u-6", "superuser", "bob", "deactivated", "2026-11-30T08:00:00Z")
    )
    assert_problem(late, 409)
    assert "2026-11" in late.text
    assert head(container) == before
    on_time = usage(
        api, shop.service, ("u-7", "superuser", "bob", "deactivated", "2026-12-01T08:00:00Z")
    )
    assert on_time.status_code == 200, on_time.text


def test_a_key_sale_is_a_line_on_the_next_invoice_and_an_unpriced_batch_is_not(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    # Given a batch of keys sold to a company in November, and a free batch
    shop = open_shop(api, container, name="Rental AB")
    clock.set(utc(2026, 11, 10))
    for extra in ({"price": {"amount": "1200.00", "currency": "SEK"}, "label": "Spring"}, {}):
        sold = api.post(
            "/v1/activation-keys",
            json={"credits": 20, "count": 2, "company_id": shop.company_id, **extra},
            headers=auth(shop.operator),
        )
        assert sold.status_code == 201, sold.text

    # When the December run comes
    tick(container, clock, local_midnight(date(2026, 12, 1), STOCKHOLM))

    # Then the draft bills the sale once, at the batch's price, and nothing for the free one
    [draft] = invoices(api, container, shop.operator, company_id=shop.company_id, status="draft")
    lines = detail(api, container, shop.operator, draft["invoice_id"])["lines"]
    assert [(li["kind"], li["description"], li["amount"]["minor"]) for li in lines] == [
        ("activation_keys", "Activation keys: 2 × 20 credits (Spring)", 120000),
    ]
    assert (draft["net"]["minor"], draft["vat"]["minor"]) == (120000, 30000)
