"""What every request body shares: unknown fields refused, JSON types taken as they are
sent, money, and the expected version.

FastAPI validates the parsed JSON in pydantic's python mode, where a model-wide
`strict=True` would refuse the ISO strings that dates and ids arrive as. So strictness
is per type: counts are `StrictInt` (no `true`, `"5"`, `" 3 "` or `2.0`), flags are
`StrictBool`, and dates and instants are ISO 8601 strings, never a number of seconds.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from domain.model.money import Money

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_type", "Input should be a date as a string: YYYY-MM-DD")


def _iso_instant_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_INSTANT.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_type",
        "Input should be an ISO 8601 instant as a string, e.g. 2027-01-01T00:00:00Z",
    )


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
IsoInstant = Annotated[AwareDatetime, BeforeValidator(_iso_instant_text)]


class Strict(BaseModel):
    """Unknown fields are refused: no mass assignment of status, prices or tenants."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_bytes(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL, and no name, serial or reference needs one."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, dict) and any("\x00" in str(k) for k in value):
            raise ValueError("keys must not contain NUL characters")
        return value


class MoneyIn(Strict):
    amount: Decimal = Field(description='Major units as a decimal string, e.g. "12000.00"')
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    def to_money(self) -> Money:
        return Money.of(self.amount, self.currency)


class Versioned(Strict):
    """A command on an existing resource: it may name the version it was read at."""

    expected_version: StrictInt | None = Field(
        default=None,
        ge=1,
        description="Refuse (409) unless the resource is at this version; or send its ETag "
        "as If-Match (412 when stale)",
    )


class NoBody(Versioned):
    pass


class Body(BaseModel):
    """A response body: exactly these fields (a render that adds one fails, not drifts)."""

    model_config = ConfigDict(extra="forbid")


# An instant as the read models store it: fixed-width UTC text, passed through unchanged.
InstantText = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339 in UTC, e.g. 2027-01-01T00:00:00.000000Z",
        }
    ),
]

Item = TypeVar("Item", bound=BaseModel)


class PageOut(Body, Generic[Item]):
    """The body of every list endpoint: a page of items and the cursor of the next."""

    items: list[Item]
    next_cursor: int | None = Field(
        description="send as `cursor` for the next page; null on the last page"
    )


class MoneyOut(Body):
    amount: str = Field(description='Major units as a decimal string, e.g. "12000.00"')
    currency: str
    minor: int = Field(description="The same amount in minor units, e.g. 1200000")


def money_out(money: Money) -> dict[str, Any]:
    return {"amount": str(money.amount), "currency": money.currency, "minor": money.minor}


def prices_minor(prices: dict[str, Decimal]) -> dict[str, int]:
    """A price per currency, in that currency's minor units."""
    return {currency: Money.of(amount, currency).minor for currency, amount in prices.items()}
