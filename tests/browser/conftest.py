"""The browser tier: a few journeys through the console in a real headless Chromium.

ONE browser per session and ONE live server shared by the tier: uvicorn in a thread on a
free port, over a SQLite store in sandbox mode (the clock an operator can move), seeded as
`./scripts/serve` seeds the demo, plus a second company whose names carry markup. Each
test opens its own browser context (fresh cookies). Debian's /usr/bin/chromium is driven by
Playwright for Python (the package only: its own browser downloads are never used).
Without Chromium the tier is skipped, loudly, outside CI; in CI it is an error.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn

from adapters.sandbox_clock import SandboxClock, parse_step
from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build, init_database
from api.cli.demo import seed
from api.cli.shared import cli_cause
from api.http.app import create_app
from api.settings import Settings
from domain.model.actor import Role

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Markup in names: each must show as text, never run or render as an element.
SCRIPT = "<script>alert('xss')</script>"
ATTRIBUTE = "\"><img src=x onerror=alert('xss')>"
LATER = "30d"  # the sandbox clock moves this far before the later events


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1", "yes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Demo:
    """The live server and what the journeys need to know about its data."""

    url: str
    container: Container
    tokens: dict[str, str]  # the demo's: operator, admin, employee, service
    evil_admin: str  # the admin of the company with markup in its names
    evil_company: str
    evil_member: str
    evil_model: str
    demo_device: str  # the demo's MacBook Air (awaiting the final decision)
    evil_device: str
    later_from: str  # datetime-local (the company's zone) just before the later events


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _api(url: str, secret: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _markup_company(container: Container, url: str, operator: str) -> dict[str, str]:
    """A second company, made through the API, whose names carry markup."""
    names = {
        "company": f"Evil {SCRIPT} AB {ATTRIBUTE}",
        "member": f"Mallory {SCRIPT}{ATTRIBUTE}",
        "model": f"Laptop {ATTRIBUTE}{SCRIPT}",
    }
    with _api(url, operator) as api:
        company = _created(
            api.post("/v1/companies", json={"name": names["company"], "currency": "SEK"})
        )
        member = _created(
            api.post(
                "/v1/members",
                json={
                    "company_id": company,
                    "name": names["member"],
                    "email": "mallory@evil.example",
                    "role": "admin",
                },
            )
        )
    admin = new_token_secret()
    container.app.tokens.issue(
        cli_cause(container),
        token_hash=hash_token(admin),
        company_id=UUID(company),
        role=Role.ADMIN,
        member_id=UUID(member),
        label="evil admin",
    )
    with _api(url, admin) as api:
        device = _created(
            api.post(
                "/v1/devices",
                json={
                    "serial": "EVIL-001",
                    "model": names["model"],
                    "category": "laptop",
                    "company_cost": {"amount": "999.00", "currency": "SEK"},
                    "contract_type": "purchased",
                },
            )
        )
    return {**names, "admin": admin, "device": device, "company_id": company}


def _wait_folded(url: str, operator: str, container: Container) -> None:
    position = int(container.app.recorder.max_notification_id() or 0)
    with _api(url, operator) as api:
        answer = api.get("/v1/event-log", params={"min_position": position, "limit": 1})
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("console-live")
    settings = Settings(
        mode="sandbox",
        database_url=f"sqlite:///{home}/lessor.db",
        projector_poll_s=0.05,
        outbox_dir=str(home / "outbox"),
    )
    init_database(settings)
    container = build(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)  # the demo keeps its tokens under ./var
        tokens = seed(container, lambda: cli_cause(container))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(container, start_projector=True),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, name="console-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        evil = _markup_company(container, url, tokens["operator"])
        with _api(url, tokens["admin"]) as api:
            devices = api.get("/v1/devices", params={"serial": "C02-DEMO-001"}).json()["items"]
        demo_device = devices[0]["device_id"]
        # Later events, a month on: what a time range can tell apart.
        clock = container.clock
        assert isinstance(clock, SandboxClock)
        later = clock.advance(parse_step(LATER)).now
        with _api(url, tokens["admin"]) as api:
            answer = api.post(
                f"/v1/devices/{demo_device}/buyout-availability", json={"available": False}
            )
            assert answer.status_code == 200, answer.text
        _wait_folded(url, tokens["operator"], container)
        local = later.astimezone(ZoneInfo("Europe/Stockholm"))
        yield Demo(
            url=url,
            container=container,
            tokens=tokens,
            evil_admin=evil["admin"],
            evil_company=evil["company"],
            evil_member=evil["member"],
            evil_model=evil["model"],
            demo_device=demo_device,
            evil_device=evil["device"],
            later_from=(local.replace(second=0, microsecond=0)).strftime("%Y-%m-%dT%H:%M"),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        container.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The one Chromium of the session (Debian's, never a downloaded one)."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem is None and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver)"
    if problem is not None:
        if in_ci():
            pytest.fail(f"CI must run the browser tier: {problem}")
        print(f"\n*** BROWSER TIER SKIPPED: {problem} ***", file=sys.stderr)
        pytest.skip(f"browser tier skipped: {problem}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A page of its own browser context, with every dialog it opened recorded."""

    page: Any
    dialogs: list[str]
    base: str

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def sign_in(self, secret: str) -> None:
        self.go("/console/sign-in")
        self.page.get_by_label("API token").fill(secret)
        self.page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def tab(browser: Any, demo: Demo) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(10_000)
    try:
        yield Tab(page, dialogs, demo.url)
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the journeys save their screenshots (docs/images/ holds the chosen ones)."""
    given = os.environ.get("LESSOR_SCREENSHOTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}", file=sys.stderr)
    return folder
