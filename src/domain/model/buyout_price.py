"""Which price a device's buyout costs at an instant (SPEC §2.1): the one function every
view and command uses.

Order of precedence: no buyout at all when the company turned buyouts off or the device is
not available for buyout; a manual price wins if it was set after automatic valuation was
last enabled for the category (enabling it overrides older manual prices); otherwise the
category's curve — the company's custom one, or the standard one — when automatic valuation
is on; otherwise there is no price and no buyout is offered.

A device prices itself (`device_quote`) from its own inputs and the company's, handed to it
as `BuyoutTerms`: the application assembles nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from domain.model.money import Money
from domain.model.time import TimeZoneName, local_date
from domain.model.valuation import Curve, buyout_price, standard_curve


class PriceSource(StrEnum):
    MANUAL = "manual"
    CUSTOM_CURVE = "custom_curve"
    STANDARD_CURVE = "standard_curve"


@dataclass(frozen=True, slots=True)
class CategoryValuation:
    """A company's automatic valuation for one category."""

    enabled: bool
    enabled_at: datetime | None  # when it was last switched on
    custom_curve: Curve | None


@dataclass(frozen=True, slots=True)
class ManualPrice:
    amount: Money
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Quote:
    amount: Money
    source: PriceSource


def resolve_price(
    *,
    buyout_enabled: bool,
    available: bool,
    company_cost: Money,
    category: str,
    valued_from: date | None,
    manual: ManualPrice | None,
    valuation: CategoryValuation | None,
    on: date,
) -> Quote | None:
    """The buyout price on local date `on`, or None when no buyout is offered."""
    if not buyout_enabled or not available:
        return None
    automatic = valuation is not None and valuation.enabled
    if manual is not None and (
        not automatic
        or valuation is None
        or valuation.enabled_at is None
        or manual.set_at > valuation.enabled_at
    ):
        return Quote(manual.amount, PriceSource.MANUAL)
    if not automatic or valued_from is None:
        return None
    assert valuation is not None
    curve = valuation.custom_curve or standard_curve(category)
    if curve is None:
        return None
    source = PriceSource.CUSTOM_CURVE if valuation.custom_curve else PriceSource.STANDARD_CURVE
    return Quote(buyout_price(company_cost, curve, start=valued_from, at=on), source)


@dataclass(frozen=True, slots=True)
class BuyoutTerms:
    """What a company brings to its devices' end of lease: its time zone (the windows, and the
    local date a price is of), whether it offers buyouts, and its valuation per category."""

    time_zone: TimeZoneName
    buyout_enabled: bool
    valuations: Mapping[str, CategoryValuation] = field(default_factory=dict)


class PricedDevice(Protocol):
    """A device's own price inputs (the aggregate's attributes)."""

    @property
    def buyout_available(self) -> bool: ...
    @property
    def company_cost(self) -> Money: ...
    @property
    def category(self) -> str: ...
    @property
    def lease_start(self) -> date | None: ...
    @property
    def registered_at(self) -> datetime: ...
    @property
    def manual_price(self) -> Money | None: ...
    @property
    def manual_price_set_at(self) -> datetime | None: ...


def device_quote(device: PricedDevice, terms: BuyoutTerms, at: datetime) -> Quote | None:
    """The device's buyout price at instant `at` (of the company's local date)."""
    manual = device.manual_price
    set_at = device.manual_price_set_at
    return resolve_price(
        buyout_enabled=terms.buyout_enabled,
        available=device.buyout_available,
        company_cost=device.company_cost,
        category=device.category,
        valued_from=device.lease_start or device.registered_at.date(),
        manual=ManualPrice(manual, set_at) if manual is not None and set_at is not None else None,
        valuation=terms.valuations.get(device.category),
        on=local_date(at, terms.time_zone),
    )
