"""`scripts/bench http`: requests/s and latency of `lessor serve` on PostgreSQL beside a
hello-world FastAPI app (benchmarks/hello_app.py) under the same uvicorn settings, in the
same run (issue 16 item 5; docs/benchmarks.md).

For each worker count, both servers are started by the same uvicorn command line; then
for each request (GET /healthz, GET /v1/devices of 100 items, POST /v1/devices) and each
number of connections, wrk (Debian's package) drives the hello app and then Lessor for
`duration` seconds each, back to back. The report gives rps, the ratio to hello's, and
p50/p99 latency.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import build, init_database
from benchmarks.common import (
    BenchError,
    Store,
    bench_caller,
    bench_cause,
    environment_line,
    markdown_table,
    postgres_server,
    postgres_store,
    progress,
    ratio_text,
    say,
    store_line,
)
from domain.application import CommandContext
from domain.model.actor import Role
from domain.model.device import ContractType
from domain.model.money import Money

ROOT = Path(__file__).resolve().parents[1]
# As `lessor serve --workers` runs: TCP_NODELAY on every connection (src/api/http/nodelay.py).
# This checkout's, for both apps, whichever code `--src` serves.
NODELAY = "benchmarks.uvicorn_http:NoDelayH11Protocol"
ITEMS = 100


@dataclass(frozen=True, slots=True)
class Options:
    workers: tuple[int, ...] = (1, 2)
    connections: tuple[int, ...] = (1, 8, 32)
    duration_s: int = 10
    src: Path = ROOT / "src"  # the Lessor code to serve (another checkout's, for "before")


@dataclass(frozen=True, slots=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors


def run(options: Options) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (apt-get install wrk).")
    say(f"# HTTP: lessor serve beside a hello-world FastAPI app ({environment_line()})")
    with postgres_server() as server, postgres_store(server) as store:
        secret, company_id = _seed(store)
        say(f"\n{store_line(store)}; Lessor code from {options.src}")
        say(f"wrk 4.1, {options.duration_s} s per line, each pair (hello, Lessor) back to back\n")
        rows: list[list[str]] = []
        with tempfile.TemporaryDirectory(prefix="lessor-bench-http-") as tmp:
            post = _post_script(Path(tmp), company_id)
            for workers in options.workers:
                with (
                    _server("hello", store, workers, options) as hello_url,
                    _server("lessor", store, workers, options) as lessor_url,
                ):
                    for label, path, script in (
                        ("GET /healthz", "/healthz", None),
                        (f"GET /v1/devices ({ITEMS} items)", f"/v1/devices?limit={ITEMS}", None),
                        ("POST /v1/devices", "/v1/devices", post),
                    ):
                        for c in options.connections:
                            progress(f"{workers} worker(s), {label}, {c} connection(s)")
                            hello = _wrk(wrk, hello_url + path, c, secret, script, options)
                            lessor = _wrk(wrk, lessor_url + path, c, secret, script, options)
                            rows.append(_row(workers, label, c, hello, lessor))
        header = ["workers", "request", "conns", "hello rps", "Lessor rps", "÷ hello"]
        header += ["hello p50/p99 ms", "Lessor p50/p99 ms", "Lessor errors"]
        for line in markdown_table(header, rows):
            say(line)


def _row(workers: int, label: str, c: int, hello: Result, lessor: Result) -> list[str]:
    return [
        str(workers),
        label,
        str(c),
        f"{hello.rps:,.0f}",
        f"{lessor.rps:,.0f}",
        ratio_text(lessor.rps / hello.rps) if hello.rps else "–",
        f"{hello.p50_ms:.1f} / {hello.p99_ms:.1f}",
        f"{lessor.p50_ms:.1f} / {lessor.p99_ms:.1f}",
        str(lessor.errors),
    ]


def _seed(store: Store) -> tuple[str, str]:
    """A company with ITEMS devices and an admin token of it; (secret, company id)."""
    settings = store.settings
    init_database(settings)
    container = build(settings)
    try:
        app = container.app
        operator = CommandContext(caller=bench_caller(), cause=bench_cause("bench-http"))
        company = app.companies.register(operator, name="Bench AB", currency="SEK").subject_id
        for n in range(ITEMS):
            app.devices.register(
                operator,
                company_id=company,
                serial=f"SEED-{n:04d}",
                model="ThinkPad T14",
                category="laptop",
                company_cost=Money.of("12000.00", "SEK"),
                contract_type=ContractType.PURCHASED,
                lease_start=None,
                renewal_date=None,
            )
        secret = new_token_secret()
        app.tokens.issue(
            bench_cause("bench-http-token"),
            token_hash=hash_token(secret),
            company_id=company,
            role=Role.ADMIN,
            member_id=None,
            label="bench",
        )
        container.projector.catch_up()
    finally:
        container.close()
    return secret, str(company)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(kind: str, store: Store, workers: int, options: Options) -> Iterator[str]:
    """Lessor as `lessor serve --workers N` serves it (the scheduler off, the projector on in
    every worker) or the hello app: the same uvicorn command line, log level info as
    `lessor serve` sets it."""
    port = _free_port()
    env = {
        **os.environ,
        "LESSOR_DATABASE_URL": store.url,
        "LESSOR_RUN_SCHEDULER": "false",
        "PYTHONPATH": os.pathsep.join([str(options.src), str(ROOT)]),
    }
    app = (
        "benchmarks.lessor_app:app_from_environment"
        if kind == "lessor"
        else "benchmarks.hello_app:app"
    )
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "info", "--http", NODELAY]
    command += ["--timeout-worker-healthcheck", "60"]  # as `lessor serve --workers` runs
    command += ["--factory"] if kind == "lessor" else []
    process = subprocess.Popen(  # noqa: S603 (our own fixed argv)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 180  # a loaded 2-CPU host took 40 s to start two workers
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server at {url} exited ({process.returncode})")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                time.sleep(1)  # every worker up, not just the first
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server at {url} did not answer within 180 s")


def _post_script(tmp: Path, company_id: str) -> Path:
    """A wrk script that registers a device with a serial of its own per request."""
    body = (
        '{"company_id":"' + company_id + '","serial":"%s","model":"ThinkPad T14",'
        '"category":"laptop","company_cost":{"amount":"12000.00","currency":"SEK"},'
        '"contract_type":"purchased"}'
    )
    script = tmp / "post.lua"
    script.write_text(
        f"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local run = tostring(os.time()) .. tostring(math.random(1000000))
function request()
  n = n + 1
  local serial = run .. "-" .. tostring(tid) .. "-" .. tostring(n)
  local body = string.format('{body}', serial)
  local headers = {{}}
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- Host, Authorization
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, body)
end
"""
    )
    return script


def _wrk(wrk: str, url: str, c: int, secret: str, script: Path | None, options: Options) -> Result:
    threads = min(c, 2)
    command = [wrk, f"-t{threads}", f"-c{c}", f"-d{options.duration_s}s", "--latency"]
    command += ["-H", f"Authorization: Bearer {secret}"]
    command += ["-s", str(script)] if script else []
    done = subprocess.run(  # noqa: S603 (our own fixed argv)
        [*command, url], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise BenchError(f"wrk failed: {done.stderr.strip()}")
    return _parse(done.stdout)


def _parse(report: str) -> Result:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", report)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", report, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", report, re.M)
    if not (rps and p50 and p99):
        raise BenchError(f"cannot read wrk's report:\n{report}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    errors = int(non_2xx[1]) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Result(float(rps[1]), _ms(p50), _ms(p99), errors)


def _ms(match: re.Match[str]) -> float:
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]
    return float(match[1]) * scale
