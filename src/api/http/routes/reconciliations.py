"""/v1/reconciliations: the reconciliation report (`lessor reconcile`, every company, at the
head) run in the background for operators; any worker answers for any run (ADR 0045).

    curl -X POST …/v1/reconciliations          → 202, {"id": …, "status": "running"}
    curl …/v1/reconciliations/{id}             → status done, the checks and discrepancies
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute
from api.http.schemas.reconciliations import ReconciliationOut, reconciliation_out
from domain.model.actor import Role
from domain.model.errors import NotFound

router = APIRouter(tags=["reconciliations"], route_class=DocumentedRoute)
RECONCILIATIONS = "/v1/reconciliations"


@router.post(
    RECONCILIATIONS,
    summary="Operator: run the reconciliation report in the background",
    status_code=202,
    response_model=ReconciliationOut,
)
def start(who: CallerDep, c: ContainerDep, response: Response) -> ReconciliationOut:
    who.require(Role.OPERATOR)
    run = c.reconciliations.start()
    response.headers["Location"] = f"{RECONCILIATIONS}/{run['id']}"
    return reconciliation_out(run)


@router.get(
    RECONCILIATIONS + "/{reconciliation_id}",
    summary="Operator: a reconciliation run, and its report when done",
    response_model=ReconciliationOut,
)
def show(reconciliation_id: UUID, who: CallerDep, c: ContainerDep) -> ReconciliationOut:
    who.require(Role.OPERATOR)
    run = c.reconciliations.get(reconciliation_id)
    if run is None:
        raise NotFound("Reconciliation not found.")
    return reconciliation_out(run)
