"""The usage price list (SPEC §5, operator): per entity kind, a price per entity per month in
each currency, and the description the invoice line shows.

One list for the provider. A price change applies to every month not yet invoiced; an issued
invoice froze its lines when it was issued, so a change never alters a month already issued.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from domain.model.errors import InvalidValue
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.money import Money, minor_prices
from domain.model.text import clean_text
from domain.model.usage import DEFAULT_DESCRIPTIONS, UsageKind

PRICE_LIST_ID = natural_id("usage-price-list")
MAX_DESCRIPTION = 100


class UsagePriceList(Aggregate):
    class_version = 1

    class Opened(LessorCreated):
        class_version = 1

    class PriceSet(LessorEvent):
        class_version = 1
        kind: str
        prices: dict[str, int]  # currency → minor units per entity per month (all of them)
        description: str

    @classmethod
    def open(cls, *, cause: Cause) -> UsagePriceList:
        return cls._create(cls.Opened, id=PRICE_LIST_ID, **cause.stamp(None))

    @event(Opened)
    def __init__(self) -> None:
        self.prices: dict[str, dict[str, int]] = {}  # kind → currency → minor
        self.descriptions: dict[str, str] = {}

    def description(self, kind: str) -> str:
        return self.descriptions.get(kind) or DEFAULT_DESCRIPTIONS[UsageKind(kind)]

    def price(self, kind: str, currency: str) -> Money | None:
        minor = self.prices.get(kind, {}).get(currency)
        return None if minor is None else Money(minor, currency)

    def set_price(
        self,
        kind: str,
        *,
        prices: dict[str, int],
        description: str | None,
        cause: Cause,
    ) -> None:
        """Set the kind's prices in the currencies given (others stay) and, when given, its
        description."""
        if kind not in set(UsageKind):
            raise InvalidValue(f"Unknown usage kind {kind!r}.")
        merged = {**self.prices.get(kind, {}), **minor_prices(prices)}
        text = self.description(kind)
        if description is not None:
            text = clean_text(description, "description")
            if not text or len(text) > MAX_DESCRIPTION:
                raise InvalidValue(f"The description must be 1 to {MAX_DESCRIPTION} characters.")
        if not merged:
            raise InvalidValue("A usage price needs an amount in at least one currency.")
        if merged == self.prices.get(kind) and text == self.description(kind):
            return
        self.trigger_event(
            self.PriceSet, kind=str(kind), prices=merged, description=text, **cause.stamp(None)
        )

    @event(PriceSet)
    def _price_set(self, *, kind: str, prices: dict[str, int], description: str) -> None:
        self.prices[kind] = dict(prices)
        self.descriptions[kind] = description
