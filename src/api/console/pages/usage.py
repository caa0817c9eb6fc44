"""The usage page (seed 002): the running count of the current month, or a past month's
count, per kind with the entities behind it and the invoice lines they make.

From the usage read model's own queries (the API's /v1/usage/current and /months/{m}).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import Request, Response

from api.bootstrap import Container
from api.console.pages.forms import month_from
from api.console.pages.viewing import chosen_company, query_params
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.actor import Caller
from domain.model.usage_ledger import ledger_id
from projections.usage.queries import current_usage, month_usage

router = console_pages()


def usage_month(
    c: Container, caller: Caller, company_id: UUID, month: date | None
) -> dict[str, Any]:
    """`month` (its first day) or, when None, the current month in the company's zone."""
    if month is None:
        usage = current_usage(c.db, caller, company_id, c.clock.now())
    else:
        usage = month_usage(c.db, caller, company_id, month)
    current = current_usage(c.db, caller, company_id, c.clock.now()).month
    return {"usage": usage, "running": usage.month == current, "ledger": ledger_id(company_id)}


@router.get("/usage")
def usage_page(request: Request, viewer: ViewerDep) -> Response:
    month = month_from(query_params(request))
    found = usage_month(container_of(request), viewer.caller, chosen_company(viewer), month)
    return render(request, viewer, "console/usage.html", **found)
