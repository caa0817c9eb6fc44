"""/v1/event-log: the audit trail, filtered and paginated (admins, services, operators)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from api.http.deps import CallerDep, EventLogPage
from api.http.documented import DocumentedRoute
from api.http.schemas.event_log import EventPage
from domain.model.errors import InvalidValue
from projections.event_log import EventLogFilter, query_device_events, query_event_log

router = APIRouter(prefix="/v1", tags=["event log"], route_class=DocumentedRoute)


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidValue(f"{name} needs a time zone offset, e.g. 2026-01-01T00:00:00Z.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{name} lies outside the representable UTC range.") from None


@router.get(
    "/event-log",
    summary="Every event: operation, when, done by, details",
    name="list",
    response_model=EventPage,
)
def event_log(
    who: CallerDep,
    paging: EventLogPage,
    company_id: UUID | None = None,
    aggregate_id: UUID | None = None,
    aggregate_type: str | None = None,
    actor_id: str | None = None,
    operation: Annotated[
        str | None,
        Query(description="Device.FinalDecisionRequested, or the short FinalDecisionRequested"),
    ] = None,
    occurred_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    occurred_to: Annotated[datetime | None, Query(description="exclusive")] = None,
) -> dict[str, Any]:
    page = query_event_log(
        paging.views,
        who,
        EventLogFilter(
            company_id=company_id,
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            actor_id=actor_id,
            operation=operation,
            occurred_from=_aware(occurred_from, "occurred_from"),
            occurred_to=_aware(occurred_to, "occurred_to"),
            after=paging.after,
            limit=paging.limit,
        ),
    )
    return page.to_json()


@router.get("/devices/{device_id}/events", summary="A device's event log", response_model=EventPage)
def device_events(
    device_id: UUID,
    who: CallerDep,
    paging: EventLogPage,
) -> dict[str, Any]:
    page = query_device_events(paging.views, who, device_id, after=paging.after, limit=paging.limit)
    return page.to_json()
