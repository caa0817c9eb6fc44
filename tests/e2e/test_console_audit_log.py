"""The console's audit log (issue #14): filters, pagination, summaries, details, isolation.

Most of the console's logic is tested here, with the TestClient; the browser tier
(tests/browser) walks a few journeys in a real Chromium on top.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from uuid import uuid4

import pytest

from api.bootstrap import Container
from api.console.pages.audit_log import PAGE_SIZE
from tests.conftest import T0
from tests.e2e._console import signed_in
from tests.e2e._http import TestClient, World, auth, collect_pages, head

EVENT_LINK = re.compile(r'href="/console/events/(\d+)" class="summary">([^<]*)</a>')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def listed(html: str) -> list[tuple[int, str]]:
    """(position, summary) of each event row on an audit log page."""
    return [(int(p), unescape(s)) for p, s in EVENT_LINK.findall(html)]


def every_row(client: TestClient, url: str) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []
    for _ in range(100):
        page = client.get(url)
        assert page.status_code == 200, page.text
        rows += listed(page.text)
        more = NEXT.search(page.text)
        if more is None:
            return rows
        url = unescape(more.group(1))
    raise AssertionError("pagination did not end")


def api_log(api: TestClient, secret: str, **params: Any) -> list[dict[str, Any]]:
    return collect_pages(api, "/v1/event-log", secret, params)


def test_an_admin_sees_the_companys_whole_log_page_by_page(api: TestClient, world: World) -> None:
    client = signed_in(api, world.a.admin)
    rows = every_row(client, "/console/audit-log")
    expected = api_log(api, world.a.admin)
    assert len(expected) > PAGE_SIZE or len(rows) == len(expected)
    assert [p for p, _ in rows] == [e["position"] for e in expected]
    html = client.get("/console/audit-log").text
    assert world.b.company_id not in html
    assert "Admin A added Eva A &lt;eva@a.example&gt; as employee" in html
    assert "ApiToken.Issued" not in html.split("<tbody>")[1]  # lines, not class names


def test_pagination_follows_the_cursor_with_the_filters_kept(
    api: TestClient, world: World, container: Container
) -> None:
    admin = world.a.admin
    device = world.a.device_in_stock
    for _ in range(PAGE_SIZE // 2):  # with its registration: more than one page holds
        for action, body in (("assign", {"member_id": world.a.admin_member}), ("unassign", {})):
            response = api.post(f"/v1/devices/{device}/{action}", json=body, headers=auth(admin))
            assert response.status_code == 200, response.text
    api_log(api, admin, min_position=head(container))  # folded
    client = signed_in(api, admin)
    url = f"/console/audit-log?about=Device&id={world.a.device_in_stock}"
    first = client.get(url).text
    assert len(listed(first)) == PAGE_SIZE
    assert "about=Device" in unescape(NEXT.search(first).group(1))
    rows = every_row(client, url)
    expected = api_log(api, admin, aggregate_id=world.a.device_in_stock)
    assert [p for p, _ in rows] == [e["position"] for e in expected]
    assert len(rows) > PAGE_SIZE


def test_filter_by_device_subscription_actor_and_event_type(api: TestClient, world: World) -> None:
    a = world.a
    client = signed_in(api, a.admin)
    device = every_row(client, f"/console/audit-log?about=Device&id={a.device_of_employee}")
    expected = api_log(api, a.admin, aggregate_id=a.device_of_employee)
    assert [p for p, _ in device] == [e["position"] for e in expected]
    assert [s for _, s in device] == [
        "Admin A registered ThinkPad T14 (SN-0001, purchased)",
        "Admin A assigned the device to a member",
    ]
    subscription = every_row(client, f"/console/audit-log?about=Subscription&id={a.subscription}")
    assert {p for p, _ in subscription} == {
        e["position"] for e in api_log(api, a.admin, aggregate_id=a.subscription)
    }
    service_id = api_log(api, a.admin, operation="Device.Assigned")[1]["actor"]["id"]
    by_service = every_row(client, f"/console/audit-log?actor={service_id}")
    assert by_service
    assert {p for p, _ in by_service} == {
        e["position"] for e in api_log(api, a.admin, actor_id=service_id)
    }
    assigned = every_row(client, "/console/audit-log?event_type=Device.Assigned")
    assert len(assigned) == 2
    # Another company's device: nothing, exactly as for an id never used.
    assert every_row(client, f"/console/audit-log?about=Device&id={world.b.device_in_stock}") == []
    assert every_row(client, f"/console/audit-log?about=Device&id={uuid4()}") == []


def test_the_rental_account_filter_needs_no_id(api: TestClient, world: World) -> None:
    client = signed_in(api, world.a.admin)
    page = client.get("/console/audit-log?about=RentalAccount")
    assert page.status_code == 200  # the company's own account (no events yet)
    assert listed(page.text) == []


def test_the_time_range_is_read_in_the_companys_time_zone(api: TestClient, world: World) -> None:
    client = signed_in(api, world.a.admin)
    # The world is built at T0 = 09:00 UTC = 10:00 in Stockholm (CET).
    local = T0 + timedelta(hours=1)
    at = local.strftime("%Y-%m-%dT%H:%M")
    before = (local - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    after = (local + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    everything = every_row(client, "/console/audit-log")
    assert every_row(client, f"/console/audit-log?from={at}&to={after}") == everything
    assert every_row(client, f"/console/audit-log?from={before}&to={at}") == []
    assert every_row(client, f"/console/audit-log?from={after}") == []
    html = client.get("/console/audit-log").text
    assert '<time datetime="2026-03-02T09:00:00Z" title="2026-03-02 09:00:00 UTC">' in html
    assert "2026-03-02 10:00 CET</time>" in html


@pytest.mark.parametrize(
    "query",
    [
        "about=Device&id=not-a-uuid",
        "id=6f7b1d2e-0000-4000-8000-000000000000",
        "about=device%3Cscript%3E&id=6f7b1d2e-0000-4000-8000-000000000000",
        "event_type=Device.Exploded",
        "from=yesterday",
        "from=0001-01-01T00:00",
        "cursor=-1",
        "cursor=99999999999999999999",
    ],
)
def test_bad_filters_answer_a_readable_page(api: TestClient, world: World, query: str) -> None:
    client = signed_in(api, world.a.admin)
    page = client.get(f"/console/audit-log?{query}")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Bad request</h1>" in page.text
    assert "<script>" not in page.text


def test_an_events_details_and_the_links_to_its_entity_and_back(
    api: TestClient, world: World
) -> None:
    a = world.a
    client = signed_in(api, a.admin)
    [(position, line), _] = every_row(
        client, f"/console/audit-log?about=Device&id={a.device_of_employee}"
    )
    page = client.get(f"/console/events/{position}")
    assert page.status_code == 200
    assert f"<h1>{line}</h1>" in page.text
    assert "ThinkPad T14" in page.text
    assert "SN-0001" in page.text
    assert "Admin A" in page.text
    assert "admin@a.example" in page.text
    history = f"/console/audit-log?about=Device&amp;id={a.device_of_employee}"
    assert f'href="{history}" id="history-link"' in page.text
    assert f'href="/console/devices/{a.device_of_employee}" id="entity-link"' in page.text
    device = client.get(f"/console/devices/{a.device_of_employee}")
    assert device.status_code == 200
    assert f'href="{history}" id="device-history"' in device.text
    back = client.get(unescape(history))
    assert f'href="/console/devices/{a.device_of_employee}" id="back-to-entity"' in back.text


def test_another_companys_event_and_device_look_exactly_missing(
    api: TestClient, world: World, container: Container
) -> None:
    client = signed_in(api, world.a.admin)
    of_b = api_log(api, world.b.admin)[-1]["position"]
    foreign = client.get(f"/console/events/{of_b}")
    missing = client.get(f"/console/events/{head(container) + 1000}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text
    device_b = client.get(f"/console/devices/{world.b.device_in_stock}")
    unknown = client.get(f"/console/devices/{uuid4()}")
    assert device_b.status_code == unknown.status_code == 404
    assert device_b.text == unknown.text


def test_names_with_markup_are_escaped(api: TestClient, world: World, container: Container) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    renamed = api.patch(
        f"/v1/companies/{world.a.company_id}",
        json={"name": f"Acme {evil}"},
        headers=auth(world.a.admin),
    )
    assert renamed.status_code == 200, renamed.text
    api_log(api, world.a.admin, min_position=head(container))
    client = signed_in(api, world.a.admin)
    html = client.get("/console/audit-log").text
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert (
        "Acme &lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"
        in html
    )
    assert (
        "script-src 'self'" in client.get("/console/audit-log").headers["content-security-policy"]
    )
