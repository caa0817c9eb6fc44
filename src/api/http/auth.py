"""Authenticate every /v1 request before anything reads its body.

FastAPI parses a JSON body before it runs dependencies, so an unauthenticated request
with a malformed body would otherwise learn about our validation (422) instead of being
told to authenticate (401). The caller is put on the request's state for the routes.

A request with more than one Authorization header is refused (400) rather than read: which
one counts would depend on the proxy or the framework in between, and a credential that a
proxy checked must be the one the app uses.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.token_secrets import hash_token
from api.bootstrap import Container
from api.http.problems import problem

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lessor"'}


class Authenticate:
    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            response = problem(
                422,
                "Invalid request",
                "Query parameters must not contain NUL.",
                type_="validation",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
            return
        credentials = [v for k, v in scope.get("headers", []) if k == b"authorization"]
        if len(credentials) > 1:
            response = problem(
                400,
                "Ambiguous credentials",
                "Send one Authorization header, not several.",
                type_="duplicate-credentials",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
            return
        header = (credentials[0] if credentials else b"").decode("latin-1")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            detail = "Send an API token: 'Authorization: Bearer <token>'."
            await self._refuse(scope, receive, send, detail)
            return
        caller = await anyio.to_thread.run_sync(
            self.container.app.tokens.authenticate,
            hash_token(secret.strip()),
            self.container.clock.now(),
        )
        if caller is None:
            detail = "The API token is unknown, revoked, or its member's employment has ended."
            await self._refuse(scope, receive, send, detail)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, detail: str) -> None:
        response = problem(
            401,
            "Unauthorized",
            detail,
            type_="unauthorized",
            instance=scope.get("path"),
            headers=CHALLENGE,
        )
        await response(scope, receive, send)
