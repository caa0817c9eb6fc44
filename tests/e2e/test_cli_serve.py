"""`lessor serve` as a newcomer starts it: on another port, with or without LESSOR_PUBLIC_URL.

Without a Stripe key the local stand-in posts payment webhooks to the public URL. Unset, it
follows the port served; set to an address that is not this server, `serve` says so in one
line on stderr before it starts.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e._cli import ROOT, cli_runner

STARTED = "Application startup complete"
WARNING = "warning: the Stripe stand-in posts webhooks to"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database_url: str, cwd: Path, *args: str, **env: str) -> Iterator[list[str]]:
    """`lessor serve *args` until it has started; yields its stderr lines up to then."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("LESSOR_PORT", "LESSOR_PUBLIC_URL")
    }
    environment |= {
        "LESSOR_DATABASE_URL": database_url,
        "LESSOR_RUN_SCHEDULER": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "serve", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 90
    try:
        while not any(STARTED in line for line in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"serve ended before it started: {seen}"
            seen.append(line)
        yield seen
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> str:
    assert cli_runner(database_url, tmp_path)("db", "init").code == 0
    return database_url


def test_a_public_url_that_is_not_this_server_is_one_warning_line(
    database: str, tmp_path: Path
) -> None:
    served, elsewhere = _free_port(), _free_port()
    public = f"http://127.0.0.1:{elsewhere}"
    with serving(database, tmp_path, "--port", str(served), LESSOR_PUBLIC_URL=public) as err:
        warnings = [line for line in err if line.startswith(WARNING)]
        assert warnings == [
            f"{WARNING} {public}/webhooks/stripe, which is not this server"
            f" (http://127.0.0.1:{served}): payments will never be recorded; unset"
            " LESSOR_PUBLIC_URL or point it at this server"
        ]
        assert httpx.get(f"http://127.0.0.1:{served}/healthz").status_code == 200


@pytest.mark.parametrize("how", ["--port", "LESSOR_PORT", "LESSOR_PUBLIC_URL naming it"])
def test_a_webhook_url_that_reaches_this_server_gets_no_warning(
    database: str, tmp_path: Path, how: str
) -> None:
    port = _free_port()
    args: tuple[str, ...] = ("--port", str(port))
    env: dict[str, str] = {}
    if how == "LESSOR_PORT":  # no public URL: it follows the port
        args, env = (), {"LESSOR_PORT": str(port)}
    elif how == "LESSOR_PUBLIC_URL naming it":
        env = {"LESSOR_PUBLIC_URL": f"http://localhost:{port}/"}
    with serving(database, tmp_path, *args, **env) as err:
        assert not [line for line in err if line.startswith("warning:")], err
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
