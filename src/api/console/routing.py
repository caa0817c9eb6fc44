"""The console's route class: a console page answers in HTML, whatever goes wrong.

The API maps errors to problem+json app-wide; a console route maps them here, to the
sign-in redirect (no session), or to an error page in the console's own frame: 404 for
whatever is missing *or another company's* (the read models' NotFound, one page for both),
403 for a refused CSRF token or role, 400 for bad input. The page never says more than
the read model's message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from api.console.forms import CsrfRefused, FormRefused
from api.console.rendering import render
from api.console.session import SignInRequired
from domain.model.errors import DomainError, InvalidValue, NotAllowed, NotFound

SIGN_IN_PATH = "/console/sign-in"
log = logging.getLogger("lessor.console")


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    viewer = getattr(request.state, "console_viewer", None)
    return render(
        request, viewer, "console/error.html", status_code=status, title=title, detail=detail
    )


def _answer(request: Request, error: Exception) -> Response:
    if isinstance(error, SignInRequired):
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    if isinstance(error, CsrfRefused):
        detail = "This form has expired or did not come from this console. Reload the page."
        return error_page(request, 403, "Form refused", detail)
    if isinstance(error, FormRefused | InvalidValue):
        return error_page(request, 400, "Bad request", str(error))
    if isinstance(error, RequestValidationError):
        fields = sorted({str(e["loc"][-1]) for e in error.errors()})
        return error_page(request, 400, "Bad request", f"Check these fields: {', '.join(fields)}.")
    if isinstance(error, NotFound):
        return error_page(request, 404, "Not found", str(error))
    if isinstance(error, NotAllowed):
        return error_page(request, 403, "Not allowed", str(error))
    raise error  # anything else: the app's handlers (a 500 as problem+json, logged)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (
                SignInRequired,
                CsrfRefused,
                FormRefused,
                RequestValidationError,
                DomainError,
            ) as error:
                return _answer(request, error)

        return console_handler


def console_pages(**kwargs: Any) -> APIRouter:
    """A router of console pages (append it to api/console/pages/__init__.py:PAGE_ROUTERS)."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False, **kwargs)
