"""The FastAPI app factory. All state hangs off the Container passed in: nothing at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Container
from api.console import console_router
from api.http.auth import Authenticate
from api.http.docs import install_docs
from api.http.documented import DocumentedRoute, install_openapi
from api.http.problems import install_problem_handlers, problem
from api.http.reads import ReadWaits
from api.http.routes import (
    catalog,
    charges,
    companies,
    credits,
    default_licence,
    devices,
    end_of_lease,
    event_log,
    health,
    invoices,
    member_imports,
    members,
    price_imports,
    reconciliations,
    rentals,
    replacements,
    sandbox,
    stripe_webhooks,
    subscriptions,
    terms,
    usage,
    valuation,
)


class BodySizeLimit:
    """413 for bodies over the limit, whether announced by Content-Length or streamed.

    A streamed body is read here (up to the limit) and replayed to the app: raising from
    inside the app's receive would be swallowed by the framework's body parsing as a 400.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, receive, send)
                return
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "Payload too large",
            f"Request bodies are limited to {self.max_bytes} bytes.",
            type_="payload-too-large",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)


def operation_id(route: APIRoute) -> str:
    """`{tag}_{name}` (`devices_register`, `subscriptions_add_seats`): stable, and named
    after the operation rather than its path. A route's name is its function's, or the
    `name=` it declares where the function's would not do (`list`, a builtin)."""
    tag = str(route.tags[0]) if route.tags else "lessor"
    return f"{tag.replace(' ', '_')}_{route.name}"


def create_app(
    container: Container,
    *,
    start_projector: bool | None = None,
    start_scheduler: bool = False,
    watch_tokens: bool = True,
) -> FastAPI:
    """The app over a built container. `lessor serve` starts the projector and scheduler
    threads; tests start the projector and drive the scheduler with a fixed clock. The
    token watcher keeps authentication in memory (ADR 0050); without it (or before the
    lifespan starts) every request reads its token from the store."""
    run_projector = container.settings.run_projector if start_projector is None else start_projector
    run_scheduler = start_scheduler

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if watch_tokens:
            container.start_token_watch()
        if run_projector:
            container.start_projector()
        if run_scheduler:
            container.start_scheduler()
        yield

    app = FastAPI(
        title="Lessor API",
        version="1",
        description="Commands and queries of the Lessor hardware-as-a-service core. "
        "Authenticate with 'Authorization: Bearer <token>'. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
        docs_url=None,  # served from packaged assets instead of a CDN: install_docs
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.container = container
    app.state.read_waits = ReadWaits(
        container.projector, timeout_s=container.settings.read_wait_timeout_s
    )
    app.router.route_class = DocumentedRoute
    install_docs(app)
    install_openapi(app)
    install_problem_handlers(app)
    for router in (
        companies.router,
        member_imports.router,  # before members: literal paths, never a member id
        members.router,
        price_imports.router,  # before devices: a literal path, never a device id
        devices.router,
        event_log.router,
        catalog.router,
        subscriptions.router,
        terms.router,
        default_licence.router,
        charges.router,
        invoices.router,
        end_of_lease.router,
        replacements.router,
        rentals.router,
        credits.router,
        valuation.router,
        usage.router,
        sandbox.router,
        reconciliations.router,
        stripe_webhooks.router,
        health.router,
    ):
        app.include_router(router)
    app.include_router(console_router)  # HTML pages, not in the OpenAPI (ADR 0041)

    # Added last runs first: the size limit guards everything, then authentication.
    app.add_middleware(Authenticate, container=container)
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_body_bytes)
    return app
