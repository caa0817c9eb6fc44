"""/v1/usage: usage changes (one or a batch), a month's usage, the running count, prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import Discriminator, Field, Tag

from api.http.responses import Resource
from api.http.schemas.common import Body, IsoInstant, MoneyOut, Strict, Versioned, money_out
from domain.model.money import Money
from domain.model.usage import (
    DEFAULT_DESCRIPTIONS,
    MAX_BATCH,
    MAX_ID_LENGTH,
    UsageAction,
    UsageKind,
)
from domain.model.usage_price_list import MAX_DESCRIPTION, PRICE_LIST_ID, UsagePriceList

CompanyField = Field(default=None, description="Defaults to the caller's company")


class UsageChangeIn(Strict):
    change_id: str = Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="The client's id of this change: sent again, it is a no-op",
    )
    kind: UsageKind
    entity_id: str = Field(
        min_length=1, max_length=MAX_ID_LENGTH, description="The client's id of the entity"
    )
    action: UsageAction
    at: IsoInstant = Field(description="When it happened, with its offset (RFC 3339)")


class SingleUsageChange(UsageChangeIn):
    """One change on its own."""

    company_id: UUID | None = CompanyField


class UsageBatch(Strict):
    """Up to 1,000 changes, recorded all or nothing."""

    company_id: UUID | None = CompanyField
    changes: list[UsageChangeIn] = Field(min_length=1, max_length=MAX_BATCH)


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "changes" in value else "change"


# A body with `changes` is a batch, any other a single change: each is validated as what it
# is, so a refusal names only its own fields (not both alternatives').
UsageChangesIn = Annotated[
    Annotated[UsageBatch, Tag("batch")] | Annotated[SingleUsageChange, Tag("change")],
    Discriminator(_shape),
]


class UsageChangeResult(Body):
    index: int
    change_id: str
    status: str = Field(description="'recorded' (the same whether new or sent before)")


class UsageChangesOut(Body):
    id: UUID = Field(description="The company's usage ledger")
    company_id: UUID
    ledger_version: int = Field(description="The company's usage ledger after the batch")
    changes: list[UsageChangeResult]


class IntervalOut(Body):
    start: str
    end: str | None = Field(description="None while still active")


class UsageEntityOut(Body):
    entity_id: str
    intervals: list[IntervalOut] = Field(description="Its intervals overlapping the month")


class KindUsageOut(Body):
    kind: UsageKind
    count: int = Field(description="Entities active at any time in the month")
    entities: list[UsageEntityOut]


class UsageLineOut(Body):
    kind: UsageKind
    description: str
    quantity: int
    unit_price: MoneyOut | None = Field(description="None while the kind has no price")
    amount: MoneyOut | None


class MonthUsageOut(Body):
    company_id: UUID
    month: str = Field(description="YYYY-MM, in the company's time zone")
    time_zone: str
    starts_at: str
    ends_at: str = Field(description="Exclusive: local midnight of the next month's 1st")
    kinds: list[KindUsageOut]
    lines: list[UsageLineOut] = Field(description="As the invoice of the next month shows them")


class UsagePriceIn(Versioned):
    prices: dict[str, Decimal] = Field(
        max_length=50, description='Per currency, the price per entity per month: {"SEK": "199.00"}'
    )
    description: str | None = Field(default=None, min_length=1, max_length=MAX_DESCRIPTION)


class UsageKindPriceOut(Body):
    kind: UsageKind
    description: str
    prices: list[MoneyOut]


class UsagePriceListOut(Body):
    id: UUID
    kinds: list[UsageKindPriceOut]
    version: int = Field(description="0 before the first price is set")


def price_list_out(price_list: UsagePriceList | None) -> dict[str, Any]:
    return {
        "id": str(PRICE_LIST_ID),
        "kinds": [
            {
                "kind": kind.value,
                "description": (
                    price_list.description(kind) if price_list else DEFAULT_DESCRIPTIONS[kind]
                ),
                "prices": [
                    money_out(Money(minor, currency))
                    for currency, minor in sorted(
                        (price_list.prices.get(kind.value, {}) if price_list else {}).items()
                    )
                ],
            }
            for kind in UsageKind
        ],
        "version": price_list.version if price_list else 0,
    }


USAGE_PRICE_LIST = Resource(UsagePriceList, price_list_out, UsagePriceListOut)
