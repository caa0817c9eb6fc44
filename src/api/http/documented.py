"""Every route's problem+json answers, declared from what the route is, in one place.

A route's errors follow from its shape, so they are derived, not listed per route: any
`/v1` route may answer 400, 401 and 403 (authentication runs first); one with a path
parameter, or a command, 404; a command 409 and 413 (the body limit), and 412 when it
takes `If-Match`; every route 422 (an unknown query parameter, at least); a read with
`min_position` 429 and 503 (api/http/reads.py). A route's own `responses=` adds to or
overrides these.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.http.preconditions import versioned_context
from api.http.problems import PROBLEM_JSON, Problem, ValidationProblem

_WHY = {
    400: "A malformed header (If-Match, a second Authorization)",
    401: "No valid API token",
    403: "The caller's role or tenant may not do this",
    404: "No such resource (or not the caller's)",
    409: "Refused by a business rule, or a version conflict (expected_version)",
    412: "If-Match no longer matches the resource's ETag",
    413: "The body is over the size limit",
    422: "The request does not validate (each refusal listed), or a value is refused",
    429: "Too many reads with min_position waiting for this caller",
    503: "The read model has not reached min_position yet",
}
COMMAND_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def problem_response(status: int, model: type[BaseModel] = Problem) -> dict[str, Any]:
    return {"model": model, "description": _WHY[status]}


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    """The dependant and all it depends on, transitively."""
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependencies(sub)


def problem_statuses(path: str, methods: set[str], endpoint: Callable[..., Any]) -> list[int]:
    every = list(_dependencies(get_dependant(path=path, call=endpoint)))
    path_params = [p for d in every for p in d.path_params]
    query_params = [p for d in every for p in d.query_params]
    command = bool(methods & COMMAND_METHODS)
    statuses: list[int] = []
    if path.startswith("/v1/"):
        statuses += [400, 401, 403]
    # An unknown id — in the path, a command's target, or an id filter (another company's
    # answers alike) — is 404.
    id_filters = any(p.name.endswith("_id") for p in query_params)
    if path_params or id_filters or (command and path.startswith("/v1/")):
        statuses.append(404)
    if command and path.startswith("/v1/"):
        statuses += [409, 413]
    if any(d.call is versioned_context for d in every):
        statuses.append(412)
    statuses.append(422)  # if nothing else, an unknown query parameter
    if any(p.name == "min_position" for p in query_params):
        statuses += [429, 503]
    return statuses


class DocumentedRoute(APIRoute):
    """An APIRoute whose OpenAPI lists the problem+json answers it can give."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ["GET"]}
        responses: dict[int | str, dict[str, Any]] = {
            status: problem_response(status, ValidationProblem if status == 422 else Problem)
            for status in sorted(problem_statuses(path, methods, endpoint))
        }
        for status, given in (kwargs.get("responses") or {}).items():
            declared = responses.get(status, {"model": Problem} if str(status)[0] in "45" else {})
            responses[status] = {**declared, **given}
        kwargs["responses"] = responses
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Unknown query parameters are refused, as unknown body fields are (422): a
        misspelt filter must not silently match everything."""
        handle = super().get_route_handler()
        known = {p.alias for d in _dependencies(self.dependant) for p in d.query_params}

        async def refusing_unknown_parameters(request: Request) -> Response:
            unknown = [name for name in request.query_params if name not in known]
            if unknown:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("query", name),
                            "msg": "Unknown query parameter",
                            "type": "extra_forbidden",
                        }
                        for name in dict.fromkeys(unknown)
                    ]
                )
            return await handle(request)

        return refusing_unknown_parameters


def install_openapi(app: FastAPI) -> None:
    """FastAPI files every response model under application/json: a problem is served as
    application/problem+json, so its schema moves there."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for methods in spec.get("paths", {}).values():
                for operation in methods.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
