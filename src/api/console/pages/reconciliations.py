"""Reconciliations (operators): the latest reports, newest first, each check with its count
and discrepancies (ids and amounts), and a button that starts a run through the same code
as `POST /v1/reconciliations` (ADR 0045, 0054). Admins are refused: a run covers every
company, like the log's integrity."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from adapters.reconciliations import query_recent_reconciliations
from api.console.forms import CsrfForm
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ConsoleViewer, ViewerDep, container_of
from domain.model.errors import NotAllowed

router = console_pages()
PAGE = "/console/reconciliations"
SHOWN = 10


def _require_operator(viewer: ConsoleViewer) -> None:
    if not viewer.is_operator:
        raise NotAllowed("Only operators see reconciliations: a run covers every company.")


@router.get("/reconciliations")
def reconciliations_page(request: Request, viewer: ViewerDep) -> Response:
    _require_operator(viewer)
    runs = query_recent_reconciliations(container_of(request).db, SHOWN)
    started = request.query_params.get("started", "")[:60]
    return render(request, viewer, "console/reconciliations.html", runs=runs, started=started)


@router.post("/reconciliations")
def start_reconciliation(request: Request, viewer: ViewerDep, _form: CsrfForm) -> Response:
    _require_operator(viewer)
    run = container_of(request).reconciliations.start()
    return RedirectResponse(f"{PAGE}?started={run['id']}", status_code=303)
