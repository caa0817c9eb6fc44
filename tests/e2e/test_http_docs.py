"""/docs and /redoc work offline: every script, style sheet and icon they load is served by
the API itself (packaged assets), none comes from a CDN."""

from __future__ import annotations

import re

import pytest

from tests.e2e._http import TestClient

# Every URL a page loads or links: src, href, and the spec URLs handed to the scripts.
_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_SPEC_URL = re.compile(r"""(?:url\s*:|spec-url\s*=)\s*["']([^"']+)["']""")
_ANY_ORIGIN = re.compile(r"(?:https?:)?//[\w.-]+")
EXPECTED_ASSET = {
    ".js": ("javascript", b"SwaggerUIBundle|Redoc"),
    ".css": ("text/css", b"swagger-ui"),
    ".png": ("image/png", b"\x89PNG"),
}


@pytest.mark.parametrize(("page", "script"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_the_docs_pages_load_only_local_assets_that_answer(
    api: TestClient, page: str, script: str
) -> None:
    html = api.get(page)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    urls = _ATTRIBUTE.findall(html.text) + _SPEC_URL.findall(html.text)
    assert "/openapi.json" in urls
    assert any(script in url and url.endswith(".js") for url in urls), urls
    assert [u for u in urls if _ANY_ORIGIN.match(u)] == []  # nothing from another origin
    assert not _ANY_ORIGIN.search(html.text.replace("http://www.w3.org", "")), html.text
    # Third-party bundles mention `file "` and the like: read them past the leak check.
    assets = TestClient(api.app)  # not entered: no second lifespan
    for url in urls:
        assert url.startswith("/"), url
        asset = assets.get(url)
        assert asset.status_code == 200, url
        for suffix, (content_type, marker) in EXPECTED_ASSET.items():
            if url.endswith(suffix):
                assert content_type in asset.headers["content-type"], url
                assert re.search(marker, asset.content[:100_000]), url
    assert api.get("/openapi.json").json()["info"]["title"] == "Lessor API"
