"""The console's overview pages over HTTP (issue #14 item 3): what each page shows, that an
admin sees only their company (another tenant's entity answers like a missing one), that
user text renders as text, and that the valuation form saves through the application's
command behind a CSRF check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
from markupsafe import escape

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.usage_ledger import ledger_id
from tests.e2e._console import csrf_of
from tests.e2e._console_scene import (
    IMG,
    SCRIPT,
    Scene,
    browser,
    build_scene,
    page,
    pick_company,
    sign_in_as,
)
from tests.e2e._http import TestClient, World, auth, head

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def scene(api: TestClient, container: Container, clock: FixedClock, world: World) -> Scene:
    return build_scene(api, container, clock, world)


@pytest.fixture
def console(api: TestClient) -> Iterator[TestClient]:
    with browser(api) as client:
        yield client


def device_links(html: str) -> set[str]:
    return set(re.findall(r'href="/console/devices/([0-9a-f-]{36})"', html))


def curves(html: str) -> dict[str, str]:
    """The chart's polylines by curve, as drawn (their points)."""
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert svg, "no chart on the page"
    root = ET.fromstring(svg.group(0))
    return {p.attrib["data-curve"]: p.attrib["points"] for p in root.iter(f"{SVG}polyline")}


# ------------------------------------------------------------------------------ hardware


def test_the_hardware_overview_lists_own_devices_and_its_filters_narrow_it(
    console: TestClient, scene: Scene
) -> None:
    a, b = scene.world.a, scene.world.b
    sign_in_as(console, a.admin)
    html = page(console, "/console/hardware").text
    assert device_links(html) >= {*a.device_ids, scene.leased, scene.odd}
    assert device_links(html).isdisjoint(b.device_ids)
    for label in (
        "Status",
        "Preliminary choice",
        "End-of-lease phase",
        "Overdue",
        "Ready to release",
    ):
        assert f">{label}</label>" in html
    assert f'href="/console/audit-log?about=Device&amp;id={scene.leased}"' in html

    chosen = page(console, "/console/hardware", preliminary_choice="buyout").text
    assert device_links(chosen) == {scene.leased}
    assert '<option value="buyout" selected>' in chosen
    assert device_links(page(console, "/console/hardware", phase="preliminary").text) == {
        scene.leased
    }
    in_stock = device_links(page(console, "/console/hardware", status="in_stock").text)
    assert a.device_in_stock in in_stock
    assert in_stock.isdisjoint({a.device_of_employee, a.device_of_other_employee, scene.leased})
    assert device_links(page(console, "/console/hardware", overdue="yes").text) == set()


def test_the_hardware_overview_pages_with_a_cursor(console: TestClient, scene: Scene) -> None:
    sign_in_as(console, scene.world.a.admin)
    seen: list[str] = []
    path = "/console/hardware?limit=2"
    for _ in range(10):
        html = page(console, path).text
        found = re.findall(r'href="/console/devices/([0-9a-f-]{36})"', html)
        assert len(found) <= 2
        seen.extend(found)
        following = re.search(r'rel="next" href="([^"]+)"', html)
        if following is None:
            break
        path = "/console/hardware" + following.group(1).replace("&amp;", "&")
    everything = device_links(page(console, "/console/hardware").text)
    assert len(seen) == len(set(seen)) == len(everything)


def test_a_filter_value_the_form_does_not_offer_is_refused(
    console: TestClient, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    for params in ({"status": "stolen"}, {"overdue": "maybe"}, {"after": "-1"}, {"limit": "0"}):
        refused = console.get("/console/hardware", params=params)
        assert refused.status_code == 400, params
        assert "<h1" in refused.text


# -------------------------------------------------------------------------------- device


def test_a_device_page_shows_its_options_price_and_history(
    console: TestClient, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    html = page(console, f"/console/devices/{scene.leased}").text
    assert "<h1>Pixel 8</h1>" in html
    assert "Serial SN-LEASE" in html
    assert re.search(r"<dt>Phase</dt><dd>preliminary</dd>", html)
    assert re.search(r"<dt>Preliminary choice</dt><dd>buyout</dd>", html)
    # Phone, 12 000 SEK, 21 completed months (15 May 2024 → 2 March 2026): 55 − 20 × 9/12
    # = 40 % → 4 800 SEK, by the standard curve
    assert "<dt>Price now</dt><dd>4800.00 SEK (standard curve)</dd>" in html
    assert f'href="/console/audit-log?about=Device&amp;id={scene.leased}"' in html
    assert 'href="/console/valuation/phone"' in html


def test_another_tenants_device_answers_like_a_missing_one(
    console: TestClient, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    theirs = console.get(f"/console/devices/{scene.world.b.device_of_employee}")
    missing = console.get(f"/console/devices/{uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert "SN-0001" not in theirs.text


# ----------------------------------------------------------------------------- valuation


def test_the_valuation_chart_changes_when_a_custom_curve_is_saved(
    api: TestClient, console: TestClient, container: Container, scene: Scene
) -> None:
    a = scene.world.a
    sign_in_as(console, a.admin)
    before = page(console, "/console/valuation/phone").text
    assert set(curves(before)) == {"standard"}
    form = {
        f"percent_{m}": p
        for m, p in ((0, "90"), (12, "70"), (24, "50"), (36, "40"), (48, "30"), (60, "25"))
    } | {"floor": "20"}

    saved = console.post(
        "/console/valuation/phone/curve", data=form | {"csrf_token": csrf_of(before)}
    )
    assert saved.status_code == 303
    after = page(console, saved.headers["location"]).text
    drawn = curves(after)
    assert set(drawn) == {"standard", "custom"}
    assert drawn["standard"] == curves(before)["standard"]
    assert "Custom curve saved" in after
    # The same command the API runs: its chart has the curve too, and the price follows.
    chart = api.get(f"/v1/companies/{a.company_id}/valuation/phone", headers=auth(a.admin))
    assert chart.json()["custom"][60] == {"month": 60, "percent": "25.00"}

    changed = console.post(
        "/console/valuation/phone/curve",
        data=form | {"percent_60": "21", "csrf_token": csrf_of(after)},
    )
    assert changed.status_code == 303
    again = curves(page(console, changed.headers["location"]).text)
    assert again["custom"] != drawn["custom"]
    assert again["standard"] == drawn["standard"]


def test_the_curve_form_needs_its_csrf_token_and_a_valid_curve(
    console: TestClient, container: Container, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    html = page(console, "/console/valuation/laptop").text
    rising = {f"percent_{m}": "50" for m in (0, 12, 24, 36, 48)} | {
        "percent_60": "60",
        "floor": "10",
    }
    written = head(container)
    assert console.post("/console/valuation/laptop/curve", data=rising).status_code == 403
    forged = console.post(
        "/console/valuation/laptop/curve", data=rising | {"csrf_token": "not-the-session's"}
    )
    assert forged.status_code == 403
    refused = console.post(
        "/console/valuation/laptop/curve", data=rising | {"csrf_token": csrf_of(html)}
    )
    assert refused.status_code == 400
    assert "never rises" in refused.text
    assert 'value="60"' in refused.text  # the form keeps what was typed
    assert head(container) == written  # nothing was saved
    assert set(curves(page(console, "/console/valuation/laptop").text)) == {"standard"}


# ------------------------------------------------------------------------- subscriptions


def test_the_subscription_status_shows_seats_renewal_and_members(
    console: TestClient, scene: Scene
) -> None:
    a, b = scene.world.a, scene.world.b
    sign_in_as(console, a.admin)
    html = page(console, "/console/subscriptions").text
    plan_row = re.search(
        r"<th scope=\"row\">Basic plan</th><td>(\d+)</td><td>(\d+)</td>"
        r"<td>(\d+)</td>",
        html,
    )
    assert plan_row, html
    assert plan_row.groups() == ("10", "2", "8")  # Eva A and Mallory hold a licence
    assert "renews every time" in html
    assert "Show members (2)" in html
    assert "Eva A" in html
    assert "Eva B" not in html
    assert f'href="/console/audit-log?about=Subscription&amp;id={a.subscription}"' in html
    assert b.subscription not in html


def test_an_operator_picks_the_company_the_pages_show(console: TestClient, scene: Scene) -> None:
    world = scene.world
    sign_in_as(console, world.operator)
    asked = console.get("/console/subscriptions")
    assert asked.status_code == 400
    assert "Choose a company first" in asked.text
    pick_company(console, world.b.company_id)
    html = page(console, "/console/subscriptions").text
    assert "Eva B" in html
    assert "Eva A" not in html


# --------------------------------------------------------------- rentals, usage, invoices


def test_the_rental_account_shows_balance_runway_contract_and_history(
    console: TestClient, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    html = page(console, "/console/rental-account").text
    assert "<dd>97 credits</dd>" in html  # 100 redeemed, the first day at 3 charged at once
    assert "<dd>3 credits a day</dd>" in html
    assert "paid through" in html
    assert "SN-RENT" in html
    assert "/console/audit-log?about=RentalAccount&amp;id=" in html
    sign_in_as(console, scene.world.b.admin)
    assert "No rental account yet" in page(console, "/console/rental-account").text


def test_the_usage_page_shows_the_running_count_and_a_chosen_month(
    console: TestClient, scene: Scene
) -> None:
    sign_in_as(console, scene.world.a.admin)
    html = page(console, "/console/usage").text
    assert "<h1>Usage 2026-03</h1>" in html
    assert "running count" in html
    ledger = ledger_id(UUID(scene.world.a.company_id))
    assert f'href="/console/audit-log?about=UsageLedger&amp;id={ledger}"' in html
    assert re.search(r"Reporting – Superuser</th><td>2</td>", html)
    february = page(console, "/console/usage", month="2026-02").text
    assert "<h1>Usage 2026-02</h1>" in february
    assert "Nothing was active" in february
    assert console.get("/console/usage", params={"month": "2026-13"}).status_code == 400
    sign_in_as(console, scene.world.b.admin)
    assert "Nothing was active" in page(console, "/console/usage").text


def test_invoices_list_view_and_pdf_for_their_company_only(
    api: TestClient, console: TestClient, scene: Scene
) -> None:
    a, b = scene.world.a, scene.world.b
    sign_in_as(console, a.admin)
    listed = page(console, "/console/invoices").text
    assert f'href="/console/invoices/{scene.invoice}"' in listed
    assert "2026-000001" in listed
    shown = page(console, f"/console/invoices/{scene.invoice}").text
    assert "<h1>Invoice 2026-000001</h1>" in shown
    assert "Basic plan" in shown
    assert f'href="/console/audit-log?about=Invoice&amp;id={scene.invoice}"' in shown
    pdf = console.get(f"/console/invoices/{scene.invoice}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    same = api.get(f"/v1/invoices/{scene.invoice}.pdf", headers=auth(a.admin))
    assert pdf.content == same.content

    sign_in_as(console, b.admin)
    assert scene.invoice not in page(console, "/console/invoices").text
    for path in (f"/console/invoices/{scene.invoice}", f"/console/invoices/{scene.invoice}.pdf"):
        theirs, missing = console.get(path), console.get(path.replace(scene.invoice, str(uuid4())))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text == missing.text


# ------------------------------------------------------------------------------ escaping


def test_markup_in_names_and_models_renders_as_text(console: TestClient, scene: Scene) -> None:
    sign_in_as(console, scene.world.a.admin)
    for path in (
        "/console/hardware",
        f"/console/devices/{scene.odd}",
        "/console/subscriptions",
        "/console/valuation/phone",
    ):
        html = page(console, path).text
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
    hardware = page(console, "/console/hardware").text
    assert f"Model {escape(SCRIPT)}" in hardware  # the text, escaped once: shown as typed
    assert f"Mallory {escape(IMG)}" in hardware
    assert f"Acme {escape(SCRIPT)}" in page(console, f"/console/devices/{scene.odd}").text
    assert f"Mallory {escape(IMG)}" in page(console, "/console/subscriptions").text
