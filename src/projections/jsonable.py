"""Turn event fields into plain JSON values for read models (UUIDs, dates, money, enums)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.model.actor import Actor
from domain.model.money import Money

# Fields every event has; the event log shows them in columns of their own.
ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "at",
        "correlation_id",
        "company_id",
    }
)


def utc_text(value: datetime) -> str:
    """Fixed-width UTC text, so string order is time order on every database."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_text(value: date | None) -> str | None:
    """A date as ISO text (its string order is date order), None as None."""
    return value.isoformat() if value is not None else None


def money_json(minor: int, currency: str) -> dict[str, Any]:
    """The one money shape of every response (docs/adr/0004): amount, currency, minor."""
    money = Money(minor, currency)
    return {"amount": str(money.amount), "currency": money.currency, "minor": money.minor}


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Enum):  # before str: our enums are StrEnums
        return value.value
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return money_json(value.minor, value.currency)
    if isinstance(value, Actor):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return str(value)


def event_details(event: Any, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The event's own fields (not its envelope), as JSON values."""
    return {
        name: to_jsonable(value)
        for name, value in vars(event).items()
        if name not in ENVELOPE_FIELDS and name not in hidden
    }
