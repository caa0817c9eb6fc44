"""Request-scoped dependencies: the container, the authenticated caller, the command context."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Depends, Header, Query, Request
from starlette.exceptions import HTTPException

from api.bootstrap import Container
from api.http.reads import ReadWaits, views_after
from domain.application import CommandContext, Idempotency
from domain.model.actor import Caller
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from projections.reading import Views

MAX_IDEMPOTENCY_KEY = 255
MAX_POSITION = 2**63 - 1  # log positions are 64-bit signed integers on both stores

# A keyset cursor (the last position of the previous page).
Cursor = Annotated[int | None, Query(ge=0, le=MAX_POSITION)]
Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


ContainerDep = Annotated[Container, Depends(container)]


def caller(request: Request) -> Caller:
    """Set by the Authenticate middleware for every /v1 request (see auth.py)."""
    found = getattr(request.state, "caller", None)
    if not isinstance(found, Caller):  # a route outside /v1 asked for a caller
        raise HTTPException(
            401,
            "Send an API token: 'Authorization: Bearer <token>'.",
            {"WWW-Authenticate": 'Bearer realm="lessor"'},
        )
    return found


CallerDep = Annotated[Caller, Depends(caller)]


def company_for(who: Caller, given: UUID | None) -> UUID:
    """The company a request names, or the caller's own; an operator has none, so names it."""
    company_id = given or who.company_id
    if company_id is None:
        raise InvalidValue("company_id is required for operators.")
    return company_id


def correlation_id(request: Request) -> str:
    given = request.headers.get("x-correlation-id", "").strip()
    return given[:128] if given else str(uuid4())


async def request_fingerprint(request: Request) -> str:
    """Same method, path, JSON body (key order aside) and If-Match → the same fingerprint.

    If-Match counts only when sent, so a request without it hashes as it always has."""
    raw = await request.body()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), canonical):
        digest.update(part + b"\0")
    if_match = request.headers.get("if-match")
    if if_match is not None:
        digest.update(b"if-match:" + if_match.strip().encode("latin-1") + b"\0")
    return digest.hexdigest()


async def command_context(
    request: Request,
    c: ContainerDep,
    who: CallerDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string (1–255 characters): a retry with the same key and"
            " request answers as the first did, without doing it twice",
        ),
    ] = None,
) -> CommandContext:
    idempotency = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise HTTPException(422, f"Idempotency-Key must be 1–{MAX_IDEMPOTENCY_KEY} characters.")
        idempotency = Idempotency(key=key, request_hash=await request_fingerprint(request))
    cause = Cause(actor=who.actor, at=c.clock.now(), correlation_id=correlation_id(request))
    return CommandContext(caller=who, cause=cause, idempotency=idempotency)


ContextDep = Annotated[CommandContext, Depends(command_context)]


async def read_your_writes(
    request: Request,
    who: CallerDep,
    min_position: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="wait until this log position is read"),
    ] = None,
) -> int | None:
    """Read-your-writes: wait, on the event loop and bounded, until the read models have
    folded `min_position`; the query then checks its own (`api/http/reads.py`)."""
    if min_position:  # None and 0: nothing to wait for
        waits: ReadWaits = request.app.state.read_waits
        await waits.until_folded(who.actor.id, min_position)
    return min_position


# The route gets the position back, once waited for; it hands it to `views_after`.
MinPosition = Annotated[int | None, Depends(read_your_writes)]


@dataclass(frozen=True, slots=True)
class PageRead:
    """One page of one read model, as every list route reads it: the views (once they have
    folded `?min_position`, else 503), the `?cursor` to continue after and the `?limit`."""

    views: Views
    after: int | None
    limit: int


def page_of(projection: str) -> Any:
    """The dependency of a list route over `projection`'s tables."""

    def read(
        c: ContainerDep, cursor: Cursor = None, limit: Limit = 100, min_position: MinPosition = None
    ) -> PageRead:
        return PageRead(views_after(c, projection, min_position), cursor, limit)

    return Depends(read)


ChargesPage = Annotated[PageRead, page_of("charges")]
DirectoryPage = Annotated[PageRead, page_of("directory")]
EventLogPage = Annotated[PageRead, page_of("event_log")]
HardwarePage = Annotated[PageRead, page_of("hardware_overview")]
SubscriptionsPage = Annotated[PageRead, page_of("subscription_overview")]
