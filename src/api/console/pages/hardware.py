"""The hardware overview (seed 000's filters: status, preliminary choice, phase, overdue,
ready to release; cursor pagination) and a device's page (its options, price, history).

The data comes from the same reads the API answers with: the hardware overview's query
and the application's device and end-of-lease reads, with the viewer's caller, so tenancy
and roles are theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Request, Response

from api.bootstrap import Container
from api.console.pages.forms import (
    Choices,
    cursor_from,
    optional_bool,
    optional_choice,
    page_size,
)
from api.console.pages.viewing import query_params
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.actor import Caller
from domain.model.device_lifecycle import DeviceStatus
from domain.model.end_of_lease import Choice, Phase
from projections.hardware_overview import HardwareFilter, query_hardware

router = console_pages()
PAGE_SIZE = 50

# The filters of the overview, as the form shows them: (name, label, options).
FILTERS: tuple[Choices, ...] = (
    Choices("status", "Status", tuple(s.value for s in DeviceStatus)),
    Choices("preliminary_choice", "Preliminary choice", tuple(c.value for c in Choice)),
    Choices("phase", "End-of-lease phase", tuple(p.value for p in Phase)),
    Choices("overdue", "Overdue", ("yes", "no")),
    Choices("ready_to_release", "Ready to release", ("yes", "no")),
)


@dataclass(frozen=True, slots=True)
class HardwareQuery:
    """The overview's filter as the form sent it (every value checked), and the cursor."""

    chosen: dict[str, str]
    filter: HardwareFilter

    @property
    def kept(self) -> dict[str, str]:
        """What the next page's link carries: the filters and the page size."""
        return self.chosen | {"limit": str(self.filter.limit)}

    @classmethod
    def parse(
        cls, params: Mapping[str, str], company_id: UUID | None, c: Container
    ) -> HardwareQuery:
        status, choice, phase = (optional_choice(params, f) for f in FILTERS[:3])
        hardware = HardwareFilter(
            company_id=company_id,
            status=status,
            preliminary_choice=choice,
            phase=phase,
            overdue=optional_bool(params, FILTERS[3]),
            ready_to_release=optional_bool(params, FILTERS[4]),
            now=c.clock.now(),
            after=cursor_from(params),
            limit=page_size(params, PAGE_SIZE),
        )
        chosen = {f.name: params[f.name] for f in FILTERS if params.get(f.name)}
        return cls(chosen=chosen, filter=hardware)


def hardware_overview(c: Container, caller: Caller, query: HardwareQuery) -> dict[str, Any]:
    """One page of devices, the filters chosen and the query string of the next page."""
    page = query_hardware(c.db, caller, query.filter)
    return {
        "devices": page.items,
        "filters": FILTERS,
        "chosen": query.chosen,
        "kept": query.kept,
        "next_cursor": page.next_cursor,
    }


def device_details(c: Container, caller: Caller, device_id: UUID) -> dict[str, Any]:
    """A device with what can be done with it now and at what price (404 when the caller
    may not see it: another tenant's device reads like a missing one)."""
    device = c.app.devices.get(caller, device_id)
    options = c.app.end_of_lease.options(caller, device_id, c.clock.now())
    assignee = c.app.members.get(caller, device.assignee_id) if device.assignee_id else None
    company = c.app.companies.get(caller, device.company_id)
    return {
        "device": device,
        "options": options,
        "assignee": assignee,
        "company": company,
    }


@router.get("/hardware")
def hardware_page(request: Request, viewer: ViewerDep) -> Response:
    c = container_of(request)
    query = HardwareQuery.parse(query_params(request), viewer.company_id, c)
    return render(
        request, viewer, "console/hardware.html", **hardware_overview(c, viewer.caller, query)
    )


@router.get("/devices/{device_id}")
def device_page(request: Request, viewer: ViewerDep, device_id: UUID) -> Response:
    c = container_of(request)
    details = device_details(c, viewer.caller, device_id)
    return render(request, viewer, "console/device.html", **details)
