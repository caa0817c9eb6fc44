"""/v1/charges: the chargeable lines the invoice run reads."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import Field

from api.http.schemas.common import Body, MoneyOut, PageOut


class ChargeRow(Body):
    """A chargeable line for the invoice run."""

    company_id: UUID
    subscription_id: UUID
    date: dt.date
    kind: str
    product_id: UUID
    description: str
    quantity: int
    unit_price: MoneyOut
    months: int
    discount: str = Field(description="a decimal string, e.g. 0.10")
    amount: MoneyOut
    po_reference: str | None
    separate_invoice: bool
    period_start: dt.date
    period_end: dt.date


class ChargePage(PageOut[ChargeRow]):
    pass
