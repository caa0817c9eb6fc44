"""Run the real `lessor` CLI as a subprocess (or its entry point in process) against a test
store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli_runner(
    database_url: str, cwd: Path, extra_env: Mapping[str, str] | None = None
) -> Callable[..., Run]:
    """`run(*args)` runs `lessor *args` in `cwd` against `database_url`."""
    env = {
        **os.environ,
        "LESSOR_DATABASE_URL": database_url,
        "COLUMNS": "200",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **(extra_env or {}),
    }

    def run(*args: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli.main", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def in_process_runner(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """`run(*args)` calls the console entry point (`api.cli.main.main`) in this process: the
    same parsing and refusals, without a fresh interpreter importing everything per run (the
    dearest part of a refused run). For runs that print plain text or refuse."""
    from api.cli.main import main

    monkeypatch.setenv("LESSOR_DATABASE_URL", database_url)

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = 0
        try:
            main(list(args))
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
