"""The audit log (SPEC §7.2): every event of the viewer's company, filtered, a page at a
time, one readable line each; and each event's full details on its own page.

Reads only through the event_log read model's queries (`query_event_log`, `query_event`)
with the viewer's caller: the tenancy and roles are the ones the API's /v1/event-log has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Path, Query, Request, Response

from api.console.entities import ABOUT_KINDS, entity_url, history_url
from api.console.rendering import environment, render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from api.console.summaries import EVENT_TYPES, summary_of
from domain.model.errors import InvalidValue
from domain.model.rental_account import account_id_for
from projections.event_log import EventLogFilter, query_event, query_event_log

router = console_pages()
PAGE_SIZE = 50
MAX_POSITION = 2**63 - 1
MAX_TEXT = 200
AGGREGATE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,40}")

Text = Annotated[str, Query(max_length=MAX_TEXT)]


@dataclass(frozen=True, slots=True)
class Filters:
    """The audit log's filters as the form and the links carry them (empty = not given)."""

    about: str = ""  # an aggregate type: Device, Subscription, RentalAccount, …
    id: str = ""
    actor: str = ""
    event_type: str = ""
    occurred_from: str = ""  # datetime-local, in the company's time zone
    occurred_to: str = ""

    def query(self, **more: Any) -> str:
        given = {
            "about": self.about,
            "id": self.id,
            "actor": self.actor,
            "event_type": self.event_type,
            "from": self.occurred_from,
            "to": self.occurred_to,
        }
        return urlencode({k: v for k, v in {**given, **more}.items() if v not in ("", None)})


def local_instant(text: str, zone: str, name: str) -> datetime | None:
    """A datetime-local value (2026-03-01T09:00), read in the company's time zone."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{name} must be a date and time, e.g. 2026-03-01T09:00.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


def aggregate_filter(
    filters: Filters, viewer_company: UUID | None
) -> tuple[UUID | None, str | None]:
    """The aggregate id and type a filter names; a rental account may be named by its
    company (its account id is derived from the company's)."""
    if not filters.about:
        if filters.id:
            raise InvalidValue("Choose what the id is of (a device, a subscription, …).")
        return None, None
    if not AGGREGATE_TYPE.fullmatch(filters.about):  # the form offers ABOUT_KINDS; links any
        raise InvalidValue("Choose what the id is of from the list.")
    if not filters.id:
        if filters.about == "RentalAccount" and viewer_company is not None:
            return account_id_for(viewer_company), "RentalAccount"
        return None, filters.about
    try:
        return UUID(filters.id.strip()), filters.about
    except ValueError:
        raise InvalidValue("The id must be a UUID, e.g. from a device's page.") from None


@router.get("/audit-log")
def audit_log(
    request: Request,
    viewer: ViewerDep,
    about: Text = "",
    id: Text = "",
    actor: Text = "",
    event_type: Text = "",
    occurred_from: Annotated[str, Query(alias="from", max_length=40)] = "",
    occurred_to: Annotated[str, Query(alias="to", max_length=40)] = "",
    cursor: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> Response:
    filters = Filters(about, id.strip(), actor.strip(), event_type, occurred_from, occurred_to)
    if event_type and event_type not in EVENT_TYPES:
        raise InvalidValue(f"Unknown event type '{event_type}'.")
    aggregate_id, aggregate_type = aggregate_filter(filters, viewer.company_id)
    page = query_event_log(
        container_of(request).db,
        viewer.caller,
        EventLogFilter(
            company_id=viewer.company_id,
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            actor_id=filters.actor or None,
            operation=event_type or None,
            occurred_from=local_instant(occurred_from, viewer.time_zone, "From"),
            occurred_to=local_instant(occurred_to, viewer.time_zone, "To"),
            after=cursor,
            limit=PAGE_SIZE,
        ),
    )
    events = [{**item, "summary": summary_of(item)} for item in page.items]
    next_url = (
        f"/console/audit-log?{filters.query(cursor=page.next_cursor)}"
        if page.next_cursor is not None
        else None
    )
    return render(
        request,
        viewer,
        "console/audit_log.html",
        filters=filters,
        events=events,
        kinds=ABOUT_KINDS,
        event_types=EVENT_TYPES,
        next_url=next_url,
        first_url=f"/console/audit-log?{filters.query()}" if cursor is not None else None,
        entity=entity_url(aggregate_type, aggregate_id) if aggregate_id else None,
    )


@router.get("/events/{position}")
def event_details(
    request: Request, viewer: ViewerDep, position: Annotated[int, Path(ge=0, le=MAX_POSITION)]
) -> Response:
    item = query_event(container_of(request).db, viewer.caller, position)
    return render(
        request, viewer, "console/event.html", event={**item, "summary": summary_of(item)}
    )


environment.globals["history_url"] = history_url
environment.globals["entity_url"] = entity_url
