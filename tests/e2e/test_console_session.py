"""Console sign-in (issue #14, ADR 0041): an API token becomes a server-side session.

Cookie flags, who may sign in, idle expiry, sign-out, a revoked token ending its
sessions, CSRF on every state-changing form, and sessions shared by several workers.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from adapters.clock import FixedClock
from adapters.console_sessions import TABLE, session_hash
from adapters.token_secrets import hash_token
from api.bootstrap import Container, build
from api.console.session import SESSION_COOKIE
from api.http.app import create_app
from api.settings import Settings
from domain.model.api_token import token_id_for
from tests.conftest import system_cause
from tests.e2e._console import (
    SIGN_IN,
    console_client,
    csrf_of,
    is_sign_in_redirect,
    post_form,
    sign_in,
    signed_in,
)
from tests.e2e._http import TestClient, World

PAGES = ("/console/audit-log", "/console/events/1", "/console/company", "/console")


def session_rows(container: Container) -> list[tuple[str, str]]:
    with container.db.transaction() as tx:
        return [(r[0], r[1]) for r in tx.fetchall(f"SELECT session_hash, token_hash FROM {TABLE}")]


def test_an_admin_signs_in_and_the_cookie_is_http_only_and_strict(
    api: TestClient, world: World, container: Container
) -> None:
    client = console_client(api)
    answer = sign_in(client, world.a.admin)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/audit-log"
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/console"} <= flags
    assert "secure" not in flags  # plain http (a local ./scripts/serve)
    page = client.get("/console/audit-log")
    assert page.status_code == 200
    assert "Admin A" in page.text  # the person, named from the directory
    assert "Company A" in page.text
    # Only the session id's hash is stored, next to the token's hash (never the token).
    secret = client.cookies[SESSION_COOKIE]
    assert session_rows(container) == [(session_hash(secret), hash_token(world.a.admin))]


def test_over_https_the_cookie_is_secure(api: TestClient, world: World) -> None:
    client = console_client(api, https=True)
    answer = sign_in(client, world.a.admin)
    assert answer.status_code == 303
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.parametrize("role", ["employee", "service"])
def test_employees_and_service_accounts_cannot_sign_in(
    api: TestClient, world: World, container: Container, role: str
) -> None:
    client = console_client(api)
    answer = sign_in(client, world.a.token(role))
    assert answer.status_code == 403
    assert "Only operators and company admins" in answer.text
    assert SESSION_COOKIE not in client.cookies
    assert session_rows(container) == []
    assert is_sign_in_redirect(client.get("/console/audit-log"))


def test_an_unknown_token_cannot_sign_in(api: TestClient, world: World) -> None:
    client = console_client(api)
    answer = sign_in(client, "lsr_not-a-token")
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert is_sign_in_redirect(client.get("/console/audit-log"))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_the_sign_in_page(
    api: TestClient, world: World, path: str
) -> None:
    client = console_client(api)
    assert is_sign_in_redirect(client.get(path))
    client.cookies.set(SESSION_COOKIE, "made-up", path="/console")
    assert is_sign_in_redirect(client.get(path))


def test_signing_in_needs_the_forms_own_token(api: TestClient, world: World) -> None:
    client = console_client(api)
    client.get(SIGN_IN)  # the cookie half of the pair
    refused = client.post(SIGN_IN, data={"token": world.a.admin})
    assert refused.status_code == 403
    forged = client.post(SIGN_IN, data={"token": world.a.admin, "csrf_token": "guess"})
    assert forged.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_sign_out_ends_the_session_and_needs_the_csrf_token(
    api: TestClient, world: World, container: Container
) -> None:
    client = signed_in(api, world.a.admin)
    refused = client.post("/console/sign-out", data={})
    assert refused.status_code == 403
    assert "Form refused" in refused.text
    other = signed_in(api, world.b.admin)  # another session's token is no better
    wrong = client.post("/console/sign-out", data={"csrf_token": csrf_of(other.get(PAGES[0]).text)})
    assert wrong.status_code == 403
    assert client.get("/console/audit-log").status_code == 200  # still signed in
    out = post_form(client, "/console/sign-out", "/console/audit-log")
    assert is_sign_in_redirect(out)
    for path in PAGES:
        assert is_sign_in_redirect(client.get(path)), path
    assert len(session_rows(container)) == 1  # only B's admin's is left


def test_a_session_ends_after_idle_time_and_use_keeps_it_alive(
    api: TestClient, world: World, container: Container, clock: FixedClock
) -> None:
    client = signed_in(api, world.a.admin)
    idle = container.console_sessions.idle
    for _ in range(3):  # each visit restarts the idle time
        clock.advance(idle - timedelta(seconds=1))
        assert client.get("/console/audit-log").status_code == 200
    clock.advance(idle)
    assert is_sign_in_redirect(client.get("/console/audit-log"))
    assert session_rows(container) == []
    forgotten = signed_in(api, world.a.admin)  # never signs out, never comes back
    assert forgotten.get("/console/audit-log").status_code == 200
    clock.advance(idle)
    signed_in(api, world.b.admin)  # a sign-in clears the sessions left idle
    assert [t for _, t in session_rows(container)] == [hash_token(world.b.admin)]


def test_a_revoked_token_ends_its_sessions(
    api: TestClient, world: World, container: Container
) -> None:
    first, second = signed_in(api, world.a.admin), signed_in(api, world.a.admin)
    operator = signed_in(api, world.operator)
    container.app.tokens.revoke(system_cause(), token_id_for(hash_token(world.a.admin)))
    assert is_sign_in_redirect(first.get("/console/audit-log"))
    assert is_sign_in_redirect(second.get("/console/audit-log"))
    assert operator.get("/console/audit-log").status_code == 200
    assert [t for _, t in session_rows(container)] == [hash_token(world.operator)]


def test_sessions_are_shared_by_every_worker_on_the_database(
    api: TestClient, world: World, settings: Settings, clock: FixedClock
) -> None:
    client = signed_in(api, world.a.admin)
    other_worker = build(settings, clock=clock)  # another process, the same database
    try:
        second = TestClient(create_app(other_worker, start_projector=False))
        second.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE], path="/console")
        page = second.get("/console/audit-log", follow_redirects=False)
        assert page.status_code == 200
        assert "Admin A" in page.text
    finally:
        other_worker.close()


def test_an_operator_chooses_a_company_with_the_csrf_token(api: TestClient, world: World) -> None:
    client = signed_in(api, world.operator)
    every = client.get("/console/audit-log").text
    assert world.a.company_id in every
    assert world.b.company_id in every
    refused = client.post("/console/company", data={"company_id": world.b.company_id})
    assert refused.status_code == 403
    chosen = post_form(
        client,
        "/console/company",
        "/console/company",
        company_id=world.b.company_id,
        next="/console/audit-log",
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/console/audit-log"
    only_b = client.get("/console/audit-log").text
    assert "Company B" in only_b
    assert world.a.company_id not in only_b
    unknown = post_form(client, "/console/company", "/console/company", company_id=str(UUID(int=9)))
    assert unknown.status_code == 404
    elsewhere = post_form(
        client, "/console/company", "/console/company", company_id="", next="https://evil.test/"
    )
    assert elsewhere.headers["location"] == "/console"  # never to another site


def test_an_admin_cannot_choose_another_company(api: TestClient, world: World) -> None:
    client = signed_in(api, world.a.admin)
    assert client.get("/console/company").status_code == 403
    answer = post_form(
        client, "/console/company", "/console/audit-log", company_id=world.b.company_id
    )
    assert answer.status_code == 403
    assert world.b.company_id not in client.get("/console/audit-log").text


def test_an_unknown_console_path_is_the_consoles_own_not_found_page(
    api: TestClient, world: World
) -> None:
    answer = console_client(api).get("/console/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in answer.text
