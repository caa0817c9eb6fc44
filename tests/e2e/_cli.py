"""Run the real `lessor` CLI as a subprocess against a test store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

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
