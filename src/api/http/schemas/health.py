"""What /readyz shows of each read model (and a 503 not-ready problem with it)."""

from __future__ import annotations

from pydantic import Field

from adapters.projector import ProjectionStatus
from api.http.schemas.common import Body


class ProjectionFailureOut(Body):
    position: int = Field(description="the event it is parked at")
    error: str = Field(description="the error's class")
    attempts: int


class ProjectionHealthOut(Body):
    position: int
    lag: int = Field(description="events behind the log's head")
    failure: ProjectionFailureOut | None = None


def projection_health(status: ProjectionStatus) -> ProjectionHealthOut:
    failure = status.failure
    return ProjectionHealthOut(
        position=status.position,
        lag=status.lag,
        failure=None
        if failure is None
        else ProjectionFailureOut(
            position=failure.position, error=failure.error_type, attempts=failure.attempts
        ),
    )
