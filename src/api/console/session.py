"""Who is looking at the console: the signed-in viewer, from the session cookie (ADR 0041).

Every console page depends on `signed_in_viewer`. It finds the session behind the cookie
(idle ones have ended), asks the API token it was opened with whether it still stands —
the same check every API request makes, so a revoked token or a member's ended employment
ends its sessions at the next click — and names the viewer and the selected company from
the directory read model. Without a live session the page answers 303 to the sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import anyio
from fastapi import Depends, Request

from adapters.console_sessions import ConsoleSession
from api.bootstrap import Container
from domain.model.actor import Caller, Role
from domain.model.errors import NotFound
from domain.model.time import DEFAULT_TIME_ZONE
from projections.directory import query_caller_name, query_company

SESSION_COOKIE = "lessor_console"
# Who may use the console: those who manage a company (SPEC §7.2). Service accounts are
# integrations, not people; employees have their own, narrower, API.
CONSOLE_ROLES = (Role.OPERATOR, Role.ADMIN)


class SignInRequired(Exception):
    """No live session: the console route answers 303 to the sign-in page."""


@dataclass(frozen=True, slots=True)
class ConsoleViewer:
    """The signed-in person, as every console page sees them.

    `caller` is what the read models' queries take (tenancy and roles are theirs).
    `company_id` is the company the pages show: an admin's own, always; for an operator the
    one they picked, or None before they pick (then lists show every company)."""

    caller: Caller
    company_id: UUID | None
    company_name: str | None
    time_zone: str  # the selected company's, else the SPEC's default (Europe/Stockholm)
    display_name: str  # a member's name, or an operator token's label
    csrf_token: str
    session_secret: str  # the cookie's value: sign-out and the company picker change it

    @property
    def role(self) -> Role:
        return self.caller.role

    @property
    def is_operator(self) -> bool:
        return self.caller.role == Role.OPERATOR


def live_container(request: Request) -> Container:
    """The live container: tokens, sessions (a replay console signs in here too)."""
    return request.app.state.container  # type: ignore[no-any-return]


def container_of(request: Request) -> Container:
    """What the pages read: the live container, or a replay's (ADR 0054)."""
    replayed = getattr(request.app.state, "replayed", None)
    return replayed.container if replayed is not None else live_container(request)


def authenticate_token_hash(container: Container, token_hash: str) -> Caller | None:
    """The caller a token (by its hash) stands for now, or None — the one public check the
    API's middleware makes too (`Tokens.authenticate`); kept in this one place."""
    return container.app.tokens.authenticate(token_hash, container.clock.now())


def viewer_of(container: Container, secret: str) -> ConsoleViewer | None:
    """The viewer behind a session cookie, or None (no, idle or ended session)."""
    sessions = container.console_sessions
    session = sessions.find(secret)
    if session is None:
        return None
    caller = authenticate_token_hash(container, session.token_hash)
    if caller is None or caller.role not in CONSOLE_ROLES:
        sessions.close_all_of(session.token_hash)  # the token no longer stands
        return None
    return _viewer(container, caller, session, secret)


def _viewer(
    container: Container, caller: Caller, session: ConsoleSession, secret: str
) -> ConsoleViewer:
    company_id = caller.company_id if caller.role != Role.OPERATOR else session.company_id
    company = None
    if company_id is not None:
        try:
            company = query_company(container.db, caller, company_id)
        except NotFound:  # not folded yet, or (operators) a company id that went stale
            company = None
    named = query_caller_name(container.db, caller)
    return ConsoleViewer(
        caller=caller,
        company_id=company_id,
        company_name=company["name"] if company else None,
        time_zone=company["time_zone"] if company else DEFAULT_TIME_ZONE,
        display_name=str(named["name"]),
        csrf_token=session.csrf_token,
        session_secret=secret,
    )


async def signed_in_viewer(request: Request) -> ConsoleViewer:
    """The dependency of every console page: the viewer, or 303 to the sign-in page."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret or len(secret) > 200:
        raise SignInRequired
    viewer = await anyio.to_thread.run_sync(viewer_of, live_container(request), secret)
    if viewer is None:
        raise SignInRequired
    request.state.console_viewer = viewer  # for the error pages' frame
    return viewer


ViewerDep = Annotated[ConsoleViewer, Depends(signed_in_viewer)]
