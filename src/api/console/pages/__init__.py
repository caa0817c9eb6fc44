"""Every console page router, in one list: a new page appends its router here.

A page module makes its router with `api.console.routing.console_pages()` (HTML errors,
the sign-in redirect), depends on `api.console.session.ViewerDep`, reads through the read
models' own queries with `viewer.caller`, and answers with `api.console.rendering.render`.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console.pages import (
    audit_log,
    company_choice,
    hardware,
    integrity,
    invoices,
    reconciliations,
    rentals,
    subscriptions,
    usage,
    valuation,
)

# Where signing in lands, and where /console leads.
HOME = "/console/audit-log"

PAGE_ROUTERS: list[APIRouter] = [
    company_choice.router,
    audit_log.router,
    hardware.router,
    valuation.router,
    subscriptions.router,
    rentals.router,
    usage.router,
    invoices.router,
    integrity.router,
    reconciliations.router,
]
