"""Charges: every chargeable fact — term charges, monthly licence fees, seat additions, the
catch-up of a long backdated start — as lines the monthly invoice run will collect (SPEC §3,
§6). Each line keeps the PO reference
and prices in force when it was charged; nothing here is ever updated, only inserted."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.model.subscription import ChargeLine, Subscription
from projections.base import Projection, ViewSession

CHARGE_EVENTS = (Subscription.TermCharged, Subscription.PastTermsCharged, Subscription.SeatsAdded)


def charge_lines(event: Any) -> list[tuple[int, ChargeLine, date]]:
    """The chargeable lines of one event — (line number, line, charge date) — for this read
    model and for the invoice run (projections/invoices), which bills the same lines."""
    if isinstance(event, Subscription.TermCharged | Subscription.PastTermsCharged):
        return [(n, charge, charge.period_start) for n, charge in enumerate(event.charges)]
    if isinstance(event, Subscription.SeatsAdded) and event.charge is not None:
        return [(0, event.charge, event.on)]
    return []


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
                event.po_reference,
                event.separate_invoice,
                charge.period_start.isoformat(),
                charge.period_end.isoformat(),
            ),
        )
