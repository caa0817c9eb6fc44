"""/v1/sandbox/clock: business time of a sandbox deployment (SPEC §8, ADR 0011).

Any caller may read it; only an operator may move it, and only forward. Outside sandbox
mode the resource does not exist (404): a production deployment has no clock to move.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field, model_validator
from starlette.exceptions import HTTPException

from adapters.sandbox_clock import SandboxClock, SandboxTime, parse_step
from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute
from api.http.schemas import IsoInstant, Strict
from api.http.schemas.common import Body
from domain.model.actor import Role
from projections.jsonable import utc_text

router = APIRouter(
    tags=["sandbox"],
    route_class=DocumentedRoute,
    responses={404: {"description": "Not in sandbox mode: there is no sandbox clock"}},
)
CLOCK = "/v1/sandbox/clock"


class ClockMoveIn(Strict):
    """Exactly one of the two."""

    set_to: IsoInstant | None = Field(
        default=None, description="Move business time forward to this instant (ISO 8601)"
    )
    advance_by: str | None = Field(
        default=None, max_length=64, description="Or by a duration: 30d, 2h, 3mo, 1y, P1M, PT2H"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockMoveIn:
        if (self.set_to is None) == (self.advance_by is None):
            raise ValueError("give exactly one of set_to and advance_by")
        return self


def sandbox_clock(c: ContainerDep) -> SandboxClock:
    if not isinstance(c.clock, SandboxClock):
        raise HTTPException(404, "There is no sandbox clock: this deployment runs in production.")
    return c.clock


SandboxClockDep = Annotated[SandboxClock, Depends(sandbox_clock)]


def operators_clock(clock: SandboxClockDep, who: CallerDep) -> SandboxClock:
    """404 outside a sandbox, then 403 for other roles, before the body is even read."""
    who.require(Role.OPERATOR)
    return clock


class ClockOut(Body):
    mode: Literal["sandbox"]
    now: str = Field(description="business time now, RFC 3339 in UTC with Z")
    offset_seconds: float = Field(description="how far business time runs ahead of real time")


def clock_out(time: SandboxTime) -> ClockOut:
    return ClockOut(
        mode="sandbox", now=utc_text(time.now), offset_seconds=time.offset.total_seconds()
    )


@router.get(CLOCK, summary="Business time now (sandbox mode only)")
def show_clock(clock: SandboxClockDep) -> ClockOut:
    return clock_out(clock.show())


@router.post(CLOCK, summary="Operator: set or advance business time (forward only)")
def move_clock(
    clock: Annotated[SandboxClock, Depends(operators_clock)], body: ClockMoveIn
) -> ClockOut:
    if body.set_to is not None:
        return clock_out(clock.set(body.set_to))
    return clock_out(clock.advance(parse_step(body.advance_by or "")))
