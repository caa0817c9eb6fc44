"""Reads of the usage read model: a month's usage of a company as its invoice will bill it,
for those who manage the company (operators name it); and the usage price list.

`month_usage` is what the invoice run (issue 13) collects for month M − 1: per kind the
count of entities active at any time in M (company time zone), the priced lines, and the
entities behind each count with their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.model.actor import Caller
from domain.model.errors import InvalidValue, NotFound
from domain.model.money import Money
from domain.model.time import local_date
from domain.model.usage import DEFAULT_DESCRIPTIONS, UsageKind, month_bounds, month_text
from projections.jsonable import money_json, utc_text
from projections.reading import MANAGERS, ViewReads, Views


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One invoice line: the kind's count × its price in the company's currency (None while
    the operator has set no price in that currency)."""

    kind: str
    description: str
    quantity: int
    unit_price: Money | None
    amount: Money | None

    def to_json(self) -> dict[str, Any]:
        def money(m: Money | None) -> dict[str, Any] | None:
            return None if m is None else money_json(m.minor, m.currency)

        return {
            "kind": self.kind,
            "description": self.description,
            "quantity": self.quantity,
            "unit_price": money(self.unit_price),
            "amount": money(self.amount),
        }


@dataclass(frozen=True, slots=True)
class UsageEntity:
    entity_id: str
    intervals: list[tuple[str, str | None]]  # [start, end) in UTC text; end None: active


@dataclass(frozen=True, slots=True)
class KindUsage:
    kind: str
    count: int
    entities: list[UsageEntity] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MonthUsage:
    company_id: UUID
    month: str
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    kinds: list[KindUsage]
    lines: list[UsageLine]

    def to_json(self) -> dict[str, Any]:
        return {
            "company_id": str(self.company_id),
            "month": self.month,
            "time_zone": self.time_zone,
            "starts_at": utc_text(self.starts_at),
            "ends_at": utc_text(self.ends_at),
            "kinds": [
                {
                    "kind": k.kind,
                    "count": k.count,
                    "entities": [
                        {
                            "entity_id": e.entity_id,
                            "intervals": [{"start": s, "end": end} for s, end in e.intervals],
                        }
                        for e in k.entities
                    ],
                }
                for k in self.kinds
            ],
            "lines": [line.to_json() for line in self.lines],
        }


def month_usage(views: Views, caller: Caller, company_id: UUID | None, month: date) -> MonthUsage:
    """Per kind, the entities active at any time in `month` (its first day) in the company's
    time zone, and the invoice lines they make."""
    caller.require(*MANAGERS)
    company = _company(caller, company_id)
    with views.transaction() as tx:
        tz, currency = _zone_and_currency(tx, company)
        return _month(tx, company, month.replace(day=1), tz, currency)


def current_usage(
    views: Views, caller: Caller, company_id: UUID | None, now: datetime
) -> MonthUsage:
    """The running count: the month `now` lies in, in the company's time zone."""
    caller.require(*MANAGERS)
    company = _company(caller, company_id)
    with views.transaction() as tx:
        tz, currency = _zone_and_currency(tx, company)
        return _month(tx, company, local_date(now, tz).replace(day=1), tz, currency)


def usage_prices(views: Views) -> list[dict[str, Any]]:
    """Per kind its invoice description and prices (every caller may read them)."""
    with views.transaction() as tx:
        descriptions = dict(tx.fetchall("SELECT kind, description FROM usage_descriptions"))
        prices: dict[str, list[dict[str, Any]]] = {}
        for kind, currency, minor in tx.fetchall(
            "SELECT kind, currency, minor FROM usage_prices ORDER BY kind, currency"
        ):
            prices.setdefault(kind, []).append(money_json(minor, currency))
    return [
        {
            "kind": kind.value,
            "description": descriptions.get(kind.value, DEFAULT_DESCRIPTIONS[kind]),
            "prices": prices.get(kind.value, []),
        }
        for kind in UsageKind
    ]


def _company(caller: Caller, company_id: UUID | None) -> UUID:
    company = caller.scope(company_id)
    if company is None:
        raise InvalidValue("company_id is required for operators.")
    return company


def _zone_and_currency(tx: ViewReads, company: UUID) -> tuple[str, str]:
    row = tx.fetchone(
        "SELECT time_zone, currency FROM usage_companies WHERE company_id = ?", (str(company),)
    )
    if row is None:
        raise NotFound("Company not found.")
    return str(row[0]), str(row[1])


def _month(tx: ViewReads, company: UUID, first: date, tz: str, currency: str) -> MonthUsage:
    month = month_text(first)
    rows = tx.fetchall(
        "SELECT kind, entity_id, start_at, end_at FROM usage_intervals"
        " WHERE company_id = ? AND first_month <= ? AND (last_month IS NULL OR last_month >= ?)"
        " ORDER BY kind, entity_id, start_at",
        (str(company), month, month),
    )
    entities: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    for kind, entity, start, end in rows:
        entities.setdefault(kind, {}).setdefault(entity, []).append((start, end))
    descriptions = dict(tx.fetchall("SELECT kind, description FROM usage_descriptions"))
    prices = dict(
        tx.fetchall("SELECT kind, minor FROM usage_prices WHERE currency = ?", (currency,))
    )
    kinds = [
        KindUsage(
            kind=kind.value,
            count=len(entities.get(kind.value, {})),
            entities=[
                UsageEntity(entity_id=e, intervals=spans)
                for e, spans in entities.get(kind.value, {}).items()
            ],
        )
        for kind in UsageKind
    ]
    lines = []
    for k in kinds:
        if not k.count:
            continue
        minor = prices.get(k.kind)
        unit = None if minor is None else Money(minor, currency)
        lines.append(
            UsageLine(
                kind=k.kind,
                description=descriptions.get(k.kind, DEFAULT_DESCRIPTIONS[UsageKind(k.kind)]),
                quantity=k.count,
                unit_price=unit,
                amount=None if unit is None else unit.times(k.count),
            )
        )
    starts_at, ends_at = month_bounds(first, tz)
    return MonthUsage(
        company_id=company,
        month=month,
        time_zone=tz,
        starts_at=starts_at,
        ends_at=ends_at,
        kinds=kinds,
        lines=lines,
    )
