"""The console's overview pages in a real Chromium: a hardware filter narrows the list, the
valuation chart shows both curves and changes when a custom curve is saved, and every
overview page is screenshotted at 1280×800 (and the hardware list at phone width).

Writes go to a company of this module's own (made through the API on the live server),
so the demo company's audit log — which the journeys count by time range — stays as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from adapters.token_secrets import hash_token, new_token_secret
from api.cli.shared import cli_cause
from domain.model.actor import Role
from tests.browser.conftest import Demo, Tab

PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shop:
    admin: str
    company_id: str


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def shop(demo: Demo) -> Shop:
    """Nordlys AB: an admin, a leased laptop and a rental phone on 200 credits, usage."""
    operator = httpx.Client(
        base_url=demo.url, headers={"Authorization": f"Bearer {demo.tokens['operator']}"}
    )
    with operator:
        company = _ok(
            operator.post("/v1/companies", json={"name": "Nordlys AB", "currency": "SEK"})
        )
        member = _ok(
            operator.post(
                "/v1/members",
                json={
                    "company_id": company["id"],
                    "name": "Ingrid Berg",
                    "email": "ingrid@nordlys.example",
                    "role": "admin",
                },
            )
        )
        [code] = _ok(operator.post("/v1/activation-keys", json={"credits": 200, "count": 1}))[
            "codes"
        ]
    secret = new_token_secret()
    demo.container.app.tokens.issue(
        cli_cause(demo.container),
        token_hash=hash_token(secret),
        company_id=UUID(company["id"]),
        role=Role.ADMIN,
        member_id=UUID(member["id"]),
        label="nordlys admin",
    )
    admin = httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {secret}"})
    with admin:
        for serial, category, contract in (
            ("NL-0001", "laptop", "purchased"),
            ("NL-0002", "phone", "rental"),
        ):
            device = _ok(
                admin.post(
                    "/v1/devices",
                    json={
                        "serial": serial,
                        "model": f"Nordlys {category}",
                        "category": category,
                        "company_cost": {"amount": "9000.00", "currency": "SEK"},
                        "contract_type": contract,
                    },
                )
            )
        _ok(admin.post("/v1/rental-account/redemptions", json={"code": code}))
        _ok(admin.post(f"/v1/devices/{device['id']}/rental", json={"rate": 4}))
        now = demo.container.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        changes = [
            {
                "change_id": f"nl-{n}",
                "kind": kind,
                "entity_id": who,
                "action": "activated",
                "at": now,
            }
            for n, (kind, who) in enumerate(
                (("superuser", "ingrid"), ("portal_user", "olle"), ("portal_user", "sara"))
            )
        ]
        _ok(admin.post("/v1/usage/changes", json={"changes": changes}))
        position = int(demo.container.app.recorder.max_notification_id() or 0)
        _ok(admin.get("/v1/event-log", params={"min_position": position, "limit": 1}))
    return Shop(admin=secret, company_id=company["id"])


def shot(tab: Tab, folder: Path, name: str) -> None:
    tab.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def rows(tab: Tab) -> list[str]:
    return tab.page.locator("table.devices tbody tr td:first-child").all_inner_texts()


def test_a_hardware_filter_narrows_the_list(tab: Tab, demo: Demo, screenshots: Path) -> None:
    page = tab.page
    tab.sign_in(demo.tokens["admin"])
    page.wait_for_url("**/console/audit-log")
    page.get_by_role("link", name="Hardware", exact=True).click()
    page.wait_for_url("**/console/hardware")
    assert page.locator("h1").all_inner_texts() == ["Hardware"]
    everything = rows(tab)
    assert "C02-DEMO-001" in everything
    assert len(everything) >= 4
    shot(tab, screenshots, "console-hardware")

    page.get_by_label("End-of-lease phase").select_option("final")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*phase=final.*"))
    narrowed = rows(tab)
    assert narrowed == ["C02-DEMO-001"]  # the MacBook Air awaits its final decision
    assert page.get_by_label("End-of-lease phase").input_value() == "final"

    page.get_by_role("link", name="C02-DEMO-001").click()
    page.wait_for_url(f"**/console/devices/{demo.demo_device}")
    assert page.locator("h1").inner_text() == "MacBook Air 13"
    assert page.get_by_text("Price now").is_visible()
    shot(tab, screenshots, "console-device")

    page.set_viewport_size(PHONE)
    tab.go("/console/hardware")
    assert page.locator("h1").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # the table scrolls inside its box, not the page
    shot(tab, screenshots, "console-hardware-phone")


def test_the_valuation_chart_shows_both_curves_and_changes_when_saved(
    tab: Tab, shop: Shop, screenshots: Path
) -> None:
    page = tab.page
    tab.sign_in(shop.admin)
    page.wait_for_url("**/console/audit-log")
    page.get_by_role("link", name="Valuation", exact=True).click()
    page.wait_for_url("**/console/valuation/*")
    tab.go("/console/valuation/laptop")
    chart = page.locator("svg.valuation-chart")
    assert chart.is_visible()
    assert page.locator("polyline[data-curve=standard]").count() == 1
    assert page.locator("polyline[data-curve=custom]").count() == 0
    assert page.locator("svg.valuation-chart text", has_text="Age (months)").is_visible()

    for month, percent in ((0, "95"), (12, "75"), (24, "60"), (36, "45"), (48, "35"), (60, "30")):
        page.get_by_label(f"At {month} months", exact=True).fill(percent)
    page.get_by_label("Floor (never below)").fill("25")
    page.get_by_role("button", name="Save valuation").click()
    page.wait_for_url(re.compile(r".*done=saved.*"))
    assert page.get_by_role("status").inner_text().startswith("Custom curve saved")
    custom = page.locator("polyline[data-curve=custom]")
    assert custom.count() == 1
    assert page.locator("polyline[data-curve=standard]").count() == 1
    first = custom.get_attribute("points")
    box = custom.bounding_box()
    assert box is not None
    assert box["width"] > 100  # drawn across the chart, not a dot
    shot(tab, screenshots, "console-valuation")

    page.get_by_label("At 60 months", exact=True).fill("26")
    page.get_by_role("button", name="Save valuation").click()
    page.wait_for_url(re.compile(r".*done=saved.*"))
    assert page.locator("polyline[data-curve=custom]").get_attribute("points") != first


def test_the_other_overview_pages_render(tab: Tab, shop: Shop, screenshots: Path) -> None:
    page = tab.page
    tab.sign_in(shop.admin)
    page.wait_for_url("**/console/audit-log")
    for path, heading, name in (
        ("/console/rental-account", "Rental account", "console-rental-account"),
        ("/console/usage", None, "console-usage"),
        ("/console/subscriptions", "Subscriptions", None),
        ("/console/invoices", "Invoices", None),
    ):
        tab.go(path)
        titles = page.locator("h1").all_inner_texts()
        assert len(titles) == 1, path
        if heading:
            assert titles == [heading]
        if name:
            shot(tab, screenshots, name)
    tab.go("/console/rental-account")
    assert page.get_by_text("196 credits").is_visible()  # 200 redeemed, a day at 4 paid
    tab.go("/console/usage")
    assert page.get_by_role("row", name=re.compile("Portal user")).is_visible()


def test_the_subscription_status_shows_members_on_demand(
    tab: Tab, demo: Demo, screenshots: Path
) -> None:
    page = tab.page
    tab.sign_in(demo.tokens["admin"])
    page.wait_for_url("**/console/audit-log")
    tab.go("/console/subscriptions")
    members = page.get_by_text("Erik Employee")
    assert not members.is_visible()  # behind "Show members"
    page.get_by_text(re.compile(r"^Show members")).first.click()
    assert members.first.is_visible()
    shot(tab, screenshots, "console-subscriptions")


def test_markup_in_names_shows_as_text_on_the_overviews(tab: Tab, demo: Demo) -> None:
    page = tab.page
    tab.sign_in(demo.evil_admin)
    page.wait_for_url("**/console/audit-log")
    tab.go("/console/hardware")
    assert page.get_by_role("cell", name=demo.evil_model).is_visible()
    tab.go(f"/console/devices/{demo.evil_device}")
    assert page.locator("h1").inner_text() == demo.evil_model
    assert page.get_by_text(demo.evil_company).first.is_visible()
    tab.go("/console/valuation/laptop")
    assert page.locator("img[src=x]").count() == 0
    assert tab.dialogs == []  # no script ran
