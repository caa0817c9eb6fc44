"""A minimal device page, so the audit log's links to a device lead somewhere and back.

PLACEHOLDER: the overview pages (branch console-pages) replace it with the real device
page (options, price, history); delete this module and its entry in PAGE_ROUTERS then.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Request, Response

from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of

router = console_pages()


@router.get("/devices/{device_id}")
def device(request: Request, viewer: ViewerDep, device_id: Annotated[UUID, Path()]) -> Response:
    # The same read (tenancy included) as GET /v1/devices/{id}.
    found = container_of(request).app.devices.get(viewer.caller, device_id)
    return render(request, viewer, "console/device_placeholder.html", device=found)
