"""The usage page (seed 002): the running count of the current month, or a past month's
count, per kind with the entities behind it and the invoice lines they make.

From the usage read model's own queries (the API's /v1/usage/current and /months/{m}).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from api.bootstrap import Container
from domain.model.actor import Caller
from projections.usage.queries import current_usage, month_usage


def usage_month(
    c: Container, caller: Caller, company_id: UUID, month: date | None
) -> dict[str, Any]:
    """`month` (its first day) or, when None, the current month in the company's zone."""
    if month is None:
        usage = current_usage(c.db, caller, company_id, c.clock.now())
    else:
        usage = month_usage(c.db, caller, company_id, month)
    current = current_usage(c.db, caller, company_id, c.clock.now()).month
    return {"usage": usage, "running": usage.month == current}
