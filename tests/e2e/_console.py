"""Helpers for the console's TestClient tests: a browser-like client, signing in, forms.

The console answers in HTML (errors too), so its client goes without the API clients'
problem+json check; it shares the app (and so the projector) of the `api` fixture.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import httpx

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SIGN_IN = "/console/sign-in"


def console_client(api: TestClient, *, https: bool = False) -> TestClient:
    """A cookie-keeping client of the same app; it follows no redirect by itself."""
    base_url = "https://testserver" if https else "http://testserver"
    return TestClient(api.app, base_url=base_url, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, secret: str) -> httpx.Response:
    """Sign in as a person would: open the form, post the token with the form's token."""
    form = client.get(SIGN_IN)
    assert form.status_code == 200, form.text
    return client.post(SIGN_IN, data={"token": secret, "csrf_token": csrf_of(form.text)})


def signed_in(api: TestClient, secret: str) -> TestClient:
    client = console_client(api)
    answer = sign_in(client, secret)
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: TestClient, path: str, page: str, **fields: Any) -> httpx.Response:
    """Post a console form with the CSRF token of the page it is on."""
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **fields})


def is_sign_in_redirect(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == SIGN_IN
