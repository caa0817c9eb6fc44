"""Command routes, written as what differs between them.

Every command route does the same four things: validate its body, build the command
context (with the expected version from If-Match or the body, when the body is
`Versioned`), call one feature service, and answer with the subject at the version
reached. So a route module writes only the call, as a plain function of the application,
the context, the path's parameters and the body:

    devices = CommandRoutes(router, "/v1/devices/{device_id}", DEVICE)

    @devices.post("/assign", "Assign the device to a member")
    def assign(app: App, ctx: Ctx, device_id: UUID, body: DeviceAssign) -> Outcome:
        return app.devices.assign(ctx, device_id, body.member_id)

and `post` builds the FastAPI endpoint around it. The function's name is the endpoint's,
so the operation id is the tag and it (`devices_assign`, api/http/app.py); its parameters
after the context are the endpoint's (a pydantic model is the body, the rest come from the
path), so the OpenAPI is the same as for a handler written out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, get_type_hints

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.bootstrap import Container
from api.http.deps import ContainerDep, ContextDep
from api.http.preconditions import VersionedContextDep
from api.http.responses import Resource
from api.http.schemas.common import Versioned
from domain.application import CommandContext, LessorApplication, Outcome

App = LessorApplication  # short names for the calls' signatures
Ctx = CommandContext
Run = TypeVar("Run", bound=Callable[..., Outcome])


class CommandRoutes:
    """The command routes on one kind of resource, under one path."""

    def __init__(self, router: APIRouter, path: str, resource: Resource[Any]) -> None:
        self.router = router
        self.path = path
        self.resource = resource

    def post(
        self,
        path: str,
        summary: str,
        *,
        status_code: int = 200,
        responses: dict[int | str, dict[str, Any]] | None = None,
        first_use: bool = False,
    ) -> Callable[[Run], Run]:
        """Register `POST {self.path}{path}` for the decorated call; 201 documents a command
        that creates (its answer is 201 with a Location when it did); `first_use`, one that
        creates its subject the first time and changes it after, so answers both;
        `responses` adds what only this command answers (api/http/documented.py)."""
        if first_use:
            other = 200 if status_code == 201 else 201
            why = "An existing one changed" if other == 200 else "Created by its first use"
            responses = {
                other: {"model": self.resource.model, "description": why},
                **(responses or {}),
            }
        return self._route("POST", path, summary, status_code, responses)

    def patch(self, path: str, summary: str) -> Callable[[Run], Run]:
        return self._route("PATCH", path, summary, 200)

    def _route(
        self,
        method: str,
        path: str,
        summary: str,
        status_code: int,
        responses: dict[int | str, dict[str, Any]] | None = None,
    ) -> Callable[[Run], Run]:
        def register(run: Run) -> Run:
            self.router.add_api_route(
                self.path + path,
                self._endpoint(run),
                methods=[method],
                summary=summary,
                status_code=status_code,
                response_model=self.resource.model,
                responses=responses,
            )
            return run

        return register

    def _endpoint(self, run: Callable[..., Outcome]) -> Callable[..., JSONResponse]:
        hints = get_type_hints(run)
        names = list(inspect.signature(run).parameters)[2:]  # after the app and the context
        versioned = any(_is_a(hints[name], Versioned) for name in names)
        resource = self.resource

        def endpoint(*, c: Container, ctx: CommandContext, **given: Any) -> JSONResponse:
            return resource.answer(run(c.app, ctx, **given))

        parameters = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[name])
            for name in names
        ]
        context = VersionedContextDep if versioned else ContextDep
        parameters += [
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=context),
            inspect.Parameter("c", inspect.Parameter.KEYWORD_ONLY, annotation=ContainerDep),
        ]
        endpoint.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
        endpoint.__name__ = run.__name__
        endpoint.__qualname__ = run.__qualname__
        endpoint.__doc__ = run.__doc__
        return endpoint


def _is_a(annotation: Any, kind: type[BaseModel]) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, kind)
