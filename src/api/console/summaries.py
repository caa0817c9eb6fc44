"""One readable line per event ("Erik Lind chose buyout (preliminary)"), filled in below."""

from __future__ import annotations

from typing import Any

EVENT_TYPES: dict[str, str] = {}


def summary_of(item: dict[str, Any]) -> str:
    return f"{item['actor']['name']}: {item['operation']}"
