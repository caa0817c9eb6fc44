"""What the overview pages share: the company a page shows, the query string as a plain
mapping, and the command context of a console form (the viewer as the actor)."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi import Request

from api.bootstrap import Container
from api.console.session import ConsoleViewer
from domain.application import CommandContext
from domain.model.errors import InvalidValue
from domain.model.events import Cause

MAX_PARAM = 200  # no filter value of these pages is longer


def chosen_company(viewer: ConsoleViewer) -> UUID:
    """An admin's own company, or the one an operator picked (a page about one company
    needs one: before picking, the operator is asked to)."""
    if viewer.company_id is None:
        raise InvalidValue("Choose a company first (the company link at the top).")
    return viewer.company_id


def query_params(request: Request) -> dict[str, str]:
    """The query string's first value of each name, each bounded."""
    params = {name: request.query_params[name] for name in request.query_params}
    for name, value in params.items():
        if len(value) > MAX_PARAM:
            raise InvalidValue(f"{name}: at most {MAX_PARAM} characters.")
    return params


def command_context(c: Container, viewer: ConsoleViewer) -> CommandContext:
    """A console command is the viewer's, at the business time, with its own correlation."""
    caller = viewer.caller
    cause = Cause(actor=caller.actor, at=c.clock.now(), correlation_id=f"console-{uuid4()}")
    return CommandContext(caller=caller, cause=cause)
