"""The HTTP protocol both apps of `scripts/bench http` are served with: this checkout's
src/api/http/nodelay.py, loaded from its file, so that a run serving another checkout's
code (`--src`, which may predate it) still serves both apps alike."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_FILE = Path(__file__).resolve().parents[1] / "src" / "api" / "http" / "nodelay.py"
_spec = importlib.util.spec_from_file_location("lessor_bench_nodelay", _FILE)
if _spec is None or _spec.loader is None:
    raise ImportError(f"cannot load {_FILE}")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
NoDelayH11Protocol = _module.NoDelayH11Protocol
