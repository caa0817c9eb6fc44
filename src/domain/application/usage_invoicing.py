"""The usage lines of an invoice run, from the facts (SPEC §5, §6).

The run of month M bills the usage of M − 1: per kind, the entities active at any time in
that month (the company's time zone), priced from the usage price list in the company's
currency. It reads the usage ledger and the price list themselves, not a read model, so a
run never misses a change a lagging view has not folded yet. A kind used in the month with
no price in the currency stops the run with a clear error: the operator sets the price and
runs again (silently billing nothing would lose the usage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application.core import ApplicationCore
from domain.model.company import Company
from domain.model.errors import NotFound, RuleViolation
from domain.model.invoice import InvoiceLine
from domain.model.time import add_months
from domain.model.usage import UsageKind, intervals, month_text, months_touched
from domain.model.usage_ledger import UsageLedger, ledger_id
from domain.model.usage_price_list import PRICE_LIST_ID, UsagePriceList

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True, eq=False)
class LedgerUsage:
    """`UsageToInvoice` over the company's usage ledger and the provider's price list.

    `as_of` (reconciliation): each aggregate at the version it had at a log position, one
    absent from it not yet existing — the same lines the run computed then."""

    core: ApplicationCore
    as_of: Mapping[UUID, int] | None = None

    def _load(self, kind: type[A], aggregate_id: UUID, what: str) -> A | None:
        if self.as_of is None:
            try:  # one read: `in repository` would load the aggregate once more
                return self.core.load(kind, aggregate_id, what)
            except NotFound:
                return None
        version = self.as_of.get(aggregate_id)
        return None if version is None else self.core.load(kind, aggregate_id, what, version)

    def priced_usage(self, company_id: UUID, month: date, currency: str) -> list[InvoiceLine]:
        ledger = self._load(UsageLedger, ledger_id(company_id), "Usage ledger")
        company = self._load(Company, company_id, "Company")
        if ledger is None or company is None:
            return []
        counts = active_counts(ledger, month_text(month), company.time_zone)
        if not counts:
            return []
        prices = self._load(UsagePriceList, PRICE_LIST_ID, "Usage price list")
        last_day = add_months(month, 1) - timedelta(days=1)
        lines = []
        for n, (kind, count) in enumerate(counts.items(), start=1):
            unit = prices.price(kind, currency) if prices else None
            if unit is None:
                raise RuleViolation(
                    f"{count} {kind} entities were active in {month_text(month)}, but the usage"
                    f" price list has no {currency} price for {kind}: set it"
                    f" (POST /v1/usage/prices/{kind}) and run the invoices again."
                )
            lines.append(
                InvoiceLine(
                    source=f"usage:{month_text(month)}:{n}",
                    kind="usage",
                    description=(prices.description(kind) if prices else UsageKind(kind).value),
                    quantity=count,
                    unit_price=unit,
                    amount=unit.times(count),
                    months=1,
                    discount=Decimal(0),
                    days=None,
                    days_in_term=None,
                    period_start=month,
                    period_end=last_day,
                    po_reference=None,
                    subscription_id=None,
                )
            )
        return lines


def active_counts(ledger: UsageLedger, month: str, time_zone: str) -> dict[str, int]:
    """Per kind (in the price list's order) the entities with an interval touching `month`
    ('YYYY-MM', local): the same rule as the usage read model (`months_touched`)."""
    counts: dict[str, int] = {}
    for entity, timeline in ledger.timelines.items():
        kind = entity.split("/", 1)[0]
        for interval in intervals(timeline):
            first, last = months_touched(interval, time_zone)
            if first <= month and (last is None or month <= last):
                counts[kind] = counts.get(kind, 0) + 1
                break
    return {kind.value: counts[kind.value] for kind in UsageKind if kind.value in counts}
