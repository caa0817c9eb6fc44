"""The admin console (SPEC §7.2, issue #14): server-rendered pages under /console.

`console_router` is mounted by the app; it holds sign-in/out and every page router of
`api.console.pages.PAGE_ROUTERS`. Pages read through the read models' queries with the
signed-in viewer's caller, exactly as the API does (ADR 0041).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.console import sign_in
from api.console.pages import PAGE_ROUTERS
from api.console.routing import console_pages, error_page

PREFIX = "/console"

console_router = APIRouter(include_in_schema=False)
# Last: any other /console path is the console's own 404 page, not the API's JSON.
unknown = console_pages()


@unknown.api_route("/{rest:path}", methods=["GET", "POST"])
def unknown_page(request: Request, rest: str) -> Response:  # noqa: ARG001 (the path)
    return error_page(request, 404, "Not found", "There is no such page in the console.")


for _router in (sign_in.router, *PAGE_ROUTERS, unknown):
    console_router.include_router(_router, prefix=PREFIX)

__all__ = ["console_router"]
