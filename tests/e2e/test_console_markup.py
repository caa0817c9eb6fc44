"""Every console page is plain, accessible HTML: one <h1>, a label for every control, a
language, and no script or stylesheet from anywhere but the console itself (issue #14)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.e2e._console import console_client, signed_in
from tests.e2e._http import TestClient, World


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.controls: list[str] = []  # ids of visible inputs, selects and textareas
        self.labelled: set[str] = set()
        self.sources: list[str] = []  # every src= and stylesheet href=
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "h1":
            self.h1 += 1
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.controls.append(a.get("id", f"<{tag} name={a.get('name')} without id>"))
        if tag == "label" and "for" in a:
            self.labelled.add(a["for"])
        if "src" in a:
            self.sources.append(a["src"])
        if tag == "link" and a.get("rel") == "stylesheet":
            self.sources.append(a.get("href", ""))


def check(html: str) -> Page:
    page = Page()
    page.feed(html)
    assert page.lang == "en"
    assert page.h1 == 1
    unlabelled = [c for c in page.controls if c not in page.labelled]
    assert unlabelled == []
    assert all(s.startswith("/console/static/") for s in page.sources), page.sources
    return page


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_every_page_has_one_heading_and_labels_on_every_control(
    api: TestClient, world: World, role: str
) -> None:
    check(console_client(api).get("/console/sign-in").text)
    client = signed_in(api, world.operator if role == "operator" else world.a.admin)
    log = client.get("/console/audit-log")
    assert check(log.text).controls  # the filters are there
    first = log.text.split('href="/console/events/', 1)[1].split('"', 1)[0]
    pages = [
        f"/console/events/{first}",
        f"/console/devices/{world.a.device_of_employee}",
        "/console/events/999999999",  # the not-found page
        "/console/audit-log?about=Device&id=nonsense",  # the bad-request page
    ]
    if role == "operator":
        pages.append("/console/company")
    for path in pages:
        check(client.get(path).text)
