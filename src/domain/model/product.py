"""Product: a catalog entry the provider sells — a plan (one per member) or an option."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.errors import InvalidValue
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.money import Money, minor_prices
from domain.model.text import clean_text


class ProductKind(StrEnum):
    PLAN = "plan"  # a member holds at most one plan
    OPTION = "option"  # add-ons: any number per member
    APPLICATION = "application"  # software licences: any number per member
    CUSTOM = "custom"  # free, granted by the provider (operators put it on subscriptions)


# How the subscription overview groups products (SPEC §3, seed 001), in its order.
PRODUCT_GROUPS: dict[ProductKind, str] = {
    ProductKind.PLAN: "service",
    ProductKind.OPTION: "option",
    ProductKind.APPLICATION: "application",
    ProductKind.CUSTOM: "custom",
}


def _check_free(kind: ProductKind, prices: dict[str, int]) -> dict[str, int]:
    if kind == ProductKind.CUSTOM and any(prices.values()):
        raise InvalidValue("A custom product is free: its prices are 0.")
    return prices


def _check_prices(prices: dict[str, int]) -> dict[str, int]:
    if not prices:
        raise InvalidValue("A product needs a list price in at least one currency.")
    return minor_prices(prices)


class Product(Aggregate):
    class_version = 1

    class Added(LessorCreated):
        class_version = 1
        code: str
        name: str
        kind: ProductKind
        prices: dict[str, int]  # currency → minor units per seat per month

    class PricesChanged(LessorEvent):
        class_version = 1
        prices: dict[str, int]

    class Renamed(LessorEvent):
        class_version = 1
        name: str

    @classmethod
    def add(
        cls,
        *,
        product_id: UUID,
        code: str,
        name: str,
        kind: ProductKind,
        prices: dict[str, int],
        cause: Cause,
    ) -> Product:
        code = clean_text(code, "product code")
        name = clean_text(name, "product name")
        if not code or not name:
            raise InvalidValue("A product needs a code and a name (shown on invoices).")
        return cls._create(
            cls.Added,
            id=product_id,
            code=code,
            name=name,
            kind=kind,
            prices=_check_free(ProductKind(kind), _check_prices(prices)),
            **cause.stamp(None),
        )

    @event(Added)
    def __init__(
        self,
        *,
        code: str,
        name: str,
        kind: ProductKind,
        prices: dict[str, int],
    ) -> None:
        self.code = code
        self.name = name
        self.kind = ProductKind(kind)
        self.prices = dict(prices)

    def price_in(self, currency: str) -> Money:
        """The list price per seat per month in force now, in `currency`."""
        if currency not in self.prices:
            raise InvalidValue(f"The product '{self.name}' has no price in {currency}.")
        return Money(self.prices[currency], currency)

    def change(self, *, name: str | None, prices: dict[str, int] | None, cause: Cause) -> None:
        """New prices apply to later sales, renewals and seat additions, never earlier ones."""
        new_prices = {**self.prices, **_check_prices(prices)} if prices else None
        if new_prices is not None:
            _check_free(self.kind, new_prices)
        new_name = clean_text(name, "product name") if name is not None else None
        if new_name is not None and not new_name:
            raise InvalidValue("A product needs a name.")
        if new_name is not None and new_name != self.name:
            self.trigger_event(self.Renamed, name=new_name, **cause.stamp(None))
        if new_prices is not None and new_prices != self.prices:
            self.trigger_event(self.PricesChanged, prices=new_prices, **cause.stamp(None))

    @event(PricesChanged)
    def _prices_changed(self, *, prices: dict[str, int]) -> None:
        self.prices = dict(prices)

    @event(Renamed)
    def _renamed(self, *, name: str) -> None:
        self.name = name
