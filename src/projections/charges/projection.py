"""Charges: every chargeable fact — term charges, monthly licence fees, seat additions, the
catch-up of a long backdated start, a batch of activation keys sold to a company — as lines
the monthly invoice run will collect (SPEC §3, §4, §6). A key sale's line names its batch in
`subscription_id` (the line's source) and has no product, one unit at the batch's price.
Each line keeps the PO reference and prices in force when it was charged; nothing here is
ever updated, only inserted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.model.activation_key import KeyBatch
from domain.model.subscription import ChargeLine, Subscription
from projections.base import Projection, ViewSession

CHARGE_EVENTS = (
    Subscription.TermCharged,
    Subscription.PastTermsCharged,
    Subscription.SeatsAdded,
    KeyBatch.Issued,
)


def charge_lines(event: Any) -> list[tuple[int, ChargeLine, date]]:
    """The chargeable lines of one event — (line number, line, charge date) — for this read
    model and for the invoice run (projections/invoices), which bills the same lines."""
    if isinstance(event, Subscription.TermCharged | Subscription.PastTermsCharged):
        return [(n, charge, charge.period_start) for n, charge in enumerate(event.charges)]
    if isinstance(event, Subscription.SeatsAdded) and event.charge is not None:
        return [(0, event.charge, event.on)]
    if isinstance(event, KeyBatch.Issued) and event.price is not None:
        return [(0, key_sale(event), event.at.date())]
    return []


def key_sale(event: KeyBatch.Issued) -> ChargeLine:
    """Keys sold to a company: one unit at the batch's price, dated the issue (UTC); the
    batch stands for the product."""
    assert event.price is not None
    day = event.at.date()
    label = f" ({event.label})" if event.label else ""
    return ChargeLine(
        kind="activation_keys",
        product_id=event.originator_id,
        description=f"Activation keys: {event.count} × {event.credits} credits{label}",
        quantity=1,
        unit_price=event.price,
        months=0,
        discount=Decimal(0),
        amount=event.price,
        period_start=day,
        period_end=day,
    )


class Charges(Projection):
    name = "charges"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "charges": """
            position BIGINT NOT NULL,
            line_no INTEGER NOT NULL,
            company_id TEXT NOT NULL,
            subscription_id TEXT NOT NULL,
            charge_date TEXT NOT NULL,
            kind TEXT NOT NULL,
            product_id TEXT NOT NULL,
            description TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            unit_price_minor BIGINT NOT NULL,
            months INTEGER NOT NULL,
            discount TEXT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            po_reference TEXT,
            separate_invoice BOOLEAN NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            PRIMARY KEY (position, line_no)
        """,
    }
    handles = CHARGE_EVENTS
    indexes = (
        "CREATE INDEX IF NOT EXISTS {charges}_by_company ON {charges} (company_id, charge_date)",
        # The operator-wide filters (ADR 0051).
        "CREATE INDEX IF NOT EXISTS {charges}_by_subscription"
        " ON {charges} (subscription_id, position, line_no)",
        "CREATE INDEX IF NOT EXISTS {charges}_by_date ON {charges} (charge_date)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        for line_no, charge, on in charge_lines(event):
            self._insert(view, event, position, line_no, charge, on)

    @staticmethod
    def _insert(
        view: ViewSession, event: Any, position: int, line_no: int, charge: ChargeLine, on: Any
    ) -> None:
        view.execute(
            "INSERT INTO {charges} (position, line_no, company_id, subscription_id, charge_date,"
            " kind, product_id, description, quantity, unit_price_minor, months, discount,"
            " amount_minor, currency, po_reference, separate_invoice, period_start, period_end)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                position,
                line_no,
                str(event.company_id),
                str(event.originator_id),
                on.isoformat(),
                charge.kind,
                str(charge.product_id),
                charge.description,
                charge.quantity,
                charge.unit_price.minor,
                charge.months,
                str(charge.discount),
                charge.amount.minor,
                charge.amount.currency,
                getattr(event, "po_reference", None),  # a key sale has neither
                getattr(event, "separate_invoice", False),
                charge.period_start.isoformat(),
                charge.period_end.isoformat(),
            ),
        )
