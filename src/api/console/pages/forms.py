"""What the console's filter and edit forms send, checked at entry (ADR 0014): a choice
among known values, yes/no, a cursor, a month, a valuation curve's percents."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.model.errors import InvalidValue

MAX_POSITION = 2**63 - 1
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Choices:
    """A select of the filter form: its field name, its label and the values it offers."""

    name: str
    label: str
    options: tuple[str, ...]


def optional_choice(params: Mapping[str, str], choices: Choices) -> str | None:
    """The value chosen (one of the options), or None for "any"."""
    value = params.get(choices.name, "").strip()
    if not value:
        return None
    if value not in choices.options:
        raise InvalidValue(f"{choices.label}: choose one of {', '.join(choices.options)}.")
    return value


def optional_bool(params: Mapping[str, str], choices: Choices) -> bool | None:
    """yes → True, no → False, nothing → None (any)."""
    value = optional_choice(params, choices)
    return None if value is None else value == "yes"


def cursor_from(params: Mapping[str, str]) -> int | None:
    """The `after` cursor of a paged list: a log position."""
    text = params.get("after", "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_POSITION:
        raise InvalidValue("after: a page cursor is a position (a whole number).")
    return int(text)


def page_size(params: Mapping[str, str], default: int, most: int = 200) -> int:
    """`limit`: items per page, 1 to `most`."""
    text = params.get("limit", "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise InvalidValue(f"limit: a page holds 1 to {most} items.")
    return int(text)


def month_from(params: Mapping[str, str], name: str = "month") -> date | None:
    """YYYY-MM (what <input type=month> sends) as the month's first day."""
    text = params.get(name, "").strip()
    if not text:
        return None
    match = MONTH.match(text)
    if not match or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise InvalidValue(f"{name}: a month is YYYY-MM between 2000 and 2100.")
    return date(int(match[1]), int(match[2]), 1)


def percent_field(form: Mapping[str, str], name: str, label: str) -> Decimal:
    """A percent of the company cost, 0–100 with at most two decimals (the curve's own
    rules check the rest)."""
    text = form.get(name, "").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(f"{label}: enter a percent, e.g. 55 or 42.5.") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidValue(f"{label}: a percent is between 0 and 100.")
    return value
