"""/healthz (liveness: the process answers and reaches its database) and /readyz (readiness:
the read models are folded and none is parked). Both unauthenticated: outside /v1.

/healthz is one query, so a load balancer may ask it often. /readyz reads every projection's
position and failure (one transaction) and the log's head: 503 while a read model is parked
at an event it cannot fold, or more than READY_MAX_LAG events behind the head.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from adapters.projector import ProjectionStatus
from api.http.deps import ContainerDep
from api.http.documented import DocumentedRoute
from api.http.problems import Problem, problem
from api.http.schemas.common import Body
from api.http.schemas.health import ProjectionHealthOut, projection_health

log = logging.getLogger("lessor.health")

# Events a read model may trail the log by and still serve: about a second of the
# projector's catch-up rate on this project's benchmark machine (docs/benchmarks.md), so
# a burst of writes does not take the API out of a load balancer; a stuck projector does.
READY_MAX_LAG = 10_000

router = APIRouter(tags=["health"], route_class=DocumentedRoute)


class LiveOut(Body):
    status: Literal["ok"]


class ReadyOut(Body):
    status: Literal["ready"]
    max_lag: int = Field(description=f"the largest lag allowed ({READY_MAX_LAG:,} events)")
    projections: dict[str, ProjectionHealthOut]


@router.get(
    "/healthz",
    summary="Liveness: the process answers and reaches its database (one query)",
    name="status",
    response_model=LiveOut,
    responses={503: {"model": Problem, "description": "The database is unreachable"}},
)
def healthz(c: ContainerDep) -> LiveOut | JSONResponse:
    try:
        with c.db.transaction() as tx:
            tx.fetchone("SELECT 1")
    except Exception as error:  # any failure to reach it is the answer, not a 500
        log.warning("Liveness: the database is unreachable (%s)", type(error).__name__)
        detail = "The database did not answer."
        return problem(503, "Unavailable", detail, type_="unavailable", instance="/healthz")
    return LiveOut(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: projection lag and failures",
    name="ready",
    response_model=ReadyOut,
    response_model_exclude_none=True,  # `failure` only on a parked projection
    responses={503: {"model": Problem, "description": "A read model is parked or behind"}},
)
def readyz(c: ContainerDep) -> ReadyOut | JSONResponse:
    """503 names each parked read model (with only its error's class: this is
    unauthenticated; operators see the message with `lessor projections status`) and each
    one more than the bound behind."""
    statuses = c.projector.status()
    reasons = [_reason(s) for s in statuses if s.failure or s.lag > READY_MAX_LAG]
    projections = {s.name: projection_health(s) for s in statuses}
    if reasons:
        detail = "; ".join(reasons) + "."
        return problem(
            503,
            "Not ready",
            detail,
            type_="not-ready",
            instance="/readyz",
            projections={n: p.model_dump(exclude_none=True) for n, p in projections.items()},
        )
    return ReadyOut(status="ready", max_lag=READY_MAX_LAG, projections=projections)


def _reason(status: ProjectionStatus) -> str:
    if status.failure is not None:
        failure = status.failure
        return f"{status.name} is parked at event {failure.position} ({failure.error_type})"
    return f"{status.name} is {status.lag:,} events behind (at most {READY_MAX_LAG:,})"
