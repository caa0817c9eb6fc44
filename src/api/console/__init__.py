"""The admin console (SPEC §7.2, issue #14): server-rendered pages under /console.

`console_router` is mounted by the app; it holds sign-in/out and every page router of
`api.console.pages.PAGE_ROUTERS`. Pages read through the read models' queries with the
signed-in viewer's caller, exactly as the API does (ADR 0041).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console import sign_in
from api.console.pages import PAGE_ROUTERS

PREFIX = "/console"

console_router = APIRouter(include_in_schema=False)
for _router in (sign_in.router, *PAGE_ROUTERS):
    console_router.include_router(_router, prefix=PREFIX)

__all__ = ["console_router"]
