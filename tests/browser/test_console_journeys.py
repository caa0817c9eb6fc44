"""The console in a real Chromium (issue #14): the journeys a person takes.

Kept to a handful: the console's logic is tested with the TestClient
(tests/e2e/test_console_*.py); these prove it works in a browser — forms, links, cookies,
escaping as rendered, and how the pages look (screenshots).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.browser.conftest import ATTRIBUTE, SCRIPT, Demo, Tab


def shot(tab: Tab, folder: Path, name: str) -> None:
    tab.page.screenshot(path=str(folder / f"{name}.png"))


def test_an_admin_filters_opens_an_event_follows_its_device_and_signs_out(
    tab: Tab, demo: Demo, screenshots: Path
) -> None:
    page = tab.page
    tab.go("/console/audit-log")
    assert page.url.endswith("/console/sign-in")  # not signed in yet
    shot(tab, screenshots, "console-sign-in")
    tab.sign_in(demo.tokens["admin"])
    page.wait_for_url("**/console/audit-log")
    assert page.locator("h1").all_inner_texts() == ["Audit log"]
    assert page.get_by_text("Astrid Admin").first.is_visible()
    shot(tab, screenshots, "console-audit-log")

    # By device: the MacBook Air's own history only.
    page.get_by_label("About").select_option("Device")
    page.get_by_label("Its id").fill(demo.demo_device)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*about=Device.*"))
    summaries = page.locator("a.summary").all_inner_texts()
    assert summaries[0].startswith("operator registered MacBook Air 13 (C02-DEMO-001, leased)")
    assert "Astrid Admin made buyout unavailable for the device" in summaries
    assert not any("iPhone" in s for s in summaries)

    # By time range, in the company's zone: only what happened a month on.
    page.get_by_label("About").select_option("")
    page.get_by_label("Its id").fill("")
    page.get_by_label(re.compile(r"^From")).fill(demo.later_from)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*from=.*"))
    assert page.locator("a.summary").all_inner_texts() == [
        "Astrid Admin made buyout unavailable for the device"
    ]
    time = page.locator("tbody time").first
    assert time.get_attribute("title").endswith(" UTC")  # UTC on hover
    shot(tab, screenshots, "console-audit-log-filtered")

    # The event's details, its device, and back to the device's history.
    page.locator("a.summary").first.click()
    page.wait_for_url("**/console/events/*")
    assert page.locator("h1").inner_text() == "Astrid Admin made buyout unavailable for the device"
    assert page.locator("#event-details").get_by_text("available").first.is_visible()
    shot(tab, screenshots, "console-event")
    page.locator("#entity-link").click()
    page.wait_for_url(f"**/console/devices/{demo.demo_device}")
    assert page.locator("h1").inner_text() == "MacBook Air 13"
    page.locator("#device-history").click()
    page.wait_for_url(re.compile(r".*about=Device.*"))
    assert page.locator("#back-to-entity").is_visible()
    page.go_back()
    page.wait_for_url(f"**/console/devices/{demo.demo_device}")

    # Signed out, every page answers with the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    for path in ("/console/audit-log", f"/console/devices/{demo.demo_device}", "/console/events/1"):
        tab.go(path)
        assert page.locator("h1").inner_text() == "Sign in", path


def test_another_companys_urls_look_missing_and_an_employee_cannot_sign_in(
    tab: Tab, demo: Demo
) -> None:
    page = tab.page
    tab.sign_in(demo.tokens["employee"])
    assert page.locator("#sign-in-error").inner_text().startswith("Only operators and company")
    tab.sign_in(demo.tokens["admin"])
    page.wait_for_url("**/console/audit-log")
    missing = "00000000-0000-4000-8000-000000000000"
    tab.go(f"/console/devices/{missing}")
    expected = page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "Not found"
    answer = tab.go(f"/console/devices/{demo.evil_device}")  # the other company's
    assert answer.status == 404
    assert page.locator("main").inner_text() == expected
    with httpx.Client(
        base_url=demo.url, headers={"Authorization": f"Bearer {demo.evil_admin}"}
    ) as api:
        theirs = api.get("/v1/event-log").json()["items"][-1]["position"]
    tab.go("/console/events/999999999")
    expected = page.locator("main").inner_text()
    answer = tab.go(f"/console/events/{theirs}")
    assert answer.status == 404
    assert page.locator("main").inner_text() == expected


def test_names_with_markup_show_as_text(tab: Tab, demo: Demo, screenshots: Path) -> None:
    page = tab.page
    tab.sign_in(demo.evil_admin)
    page.wait_for_url("**/console/audit-log")
    for text in (demo.evil_company, demo.evil_member, demo.evil_model):
        assert page.get_by_text(text, exact=False).first.is_visible(), text
    tab.go(f"/console/devices/{demo.evil_device}")
    assert page.locator("h1").inner_text() == demo.evil_model
    assert page.locator("main img, main script").count() == 0  # text, not elements
    assert page.locator("script").count() == 0  # the console runs no script at all here
    assert tab.dialogs == []
    assert SCRIPT in page.locator("h1").inner_text()
    assert ATTRIBUTE in page.locator("h1").inner_text()
    shot(tab, screenshots, "console-escaping")


def test_a_form_posted_without_its_csrf_token_is_refused(tab: Tab, demo: Demo) -> None:
    page = tab.page
    tab.sign_in(demo.tokens["admin"])
    page.wait_for_url("**/console/audit-log")
    # The sign-out form, as another page would post it: the token field taken out.
    page.locator("form[action='/console/sign-out'] input[name=csrf_token]").evaluate(
        "field => field.remove()"
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Form refused"
    tab.go("/console/audit-log")
    assert page.locator("h1").inner_text() == "Audit log"  # still signed in: nothing done


def test_the_audit_log_reads_at_phone_width(tab: Tab, demo: Demo, screenshots: Path) -> None:
    page = tab.page
    page.set_viewport_size({"width": 390, "height": 844})
    tab.sign_in(demo.tokens["operator"])
    page.wait_for_url("**/console/audit-log")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces a sideways scroll
    # Keyboard: the skip link comes first, then the console's own links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")  # and it leads to the page's content
    assert page.evaluate("document.activeElement.id") == "main"
    page.locator("#events-heading").scroll_into_view_if_needed()
    assert page.locator("td[data-label='What happened']").first.is_visible()
    shot(tab, screenshots, "console-audit-log-phone")
    # The operator's navigation leads to the reconciliation reports; the button starts one.
    page.get_by_role("link", name="Reconciliations").click()
    page.wait_for_url("**/console/reconciliations")
    page.get_by_role("button", name="Run a reconciliation now").click()
    page.wait_for_url("**/console/reconciliations?started=*")
    assert page.locator("[role=status]").inner_text().startswith("Started: run ")
    assert page.locator("section.run").count() >= 1
