"""The console over a replay, read only (`lessor serve --views URL`, ADR 0054).

The pages run unchanged over `ReplayedConsole.container`: a copy of the live container
whose `db` is the replayed database and whose clock stands at the replay's instant, so
every page reads the same read-model queries as of then. What only the live store can
answer — the event-sourced application, the projector, reconciliation runs, the audit
key — is replaced by `LiveOnly`, which refuses (403 page) rather than show today's state
beside the past. Signing in, the session and the company picker stay on the live
container (tokens are checked against the live store; sessions live in its table, never
in the replayed views). Every state-changing form is refused (`require_csrf`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, cast

from adapters.clock import FixedClock
from adapters.replay_cut import ReplayedAsOf
from adapters.sql import Database
from api.bootstrap import Container
from domain.model.errors import NotAllowed

# The forms a replay console still takes: they change the session, not the views.
SESSION_FORMS = ("/console/sign-out", "/console/company")


class ReadOnlyReplay(NotAllowed):
    """A form or a page the replay cannot serve: 403, nothing done."""


class LiveOnly:
    """Stands in for a part of the container that reads or writes the live store."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise ReadOnlyReplay(
            "This page reads the live event log, not read models: a replay cannot show it."
        )


@dataclass(frozen=True, slots=True)
class ReplayedConsole:
    as_of: ReplayedAsOf
    container: Container  # the pages' container: replayed views, the replay's clock

    def banner(self) -> str:
        return banner(self.as_of)


def banner(as_of: ReplayedAsOf) -> str:
    """What every page of a replay says it shows."""
    if as_of.at is None:
        shown = f"position {as_of.position}"
    elif as_of.business_time:  # not a prefix of the log: a position would mislead
        shown = f"business time {as_of.at:%Y-%m-%d %H:%M:%S} UTC"
    else:
        shown = f"position {as_of.position} / {as_of.at:%Y-%m-%d %H:%M:%S} UTC"
    return f"Replay as of {shown} — read only"


def replayed_console(live: Container, views: Database, as_of: ReplayedAsOf) -> ReplayedConsole:
    clock = FixedClock(as_of.at) if as_of.at is not None else live.clock
    refused = {
        name: cast(Any, LiveOnly(name))
        for name in ("app", "projector", "reconciliations", "audit", "scheduler")
    }
    pages = dataclasses.replace(live, db=views, clock=clock, **refused)
    return ReplayedConsole(as_of=as_of, container=pages)


def replayed_of(request: Any) -> ReplayedConsole | None:
    return getattr(request.app.state, "replayed", None)


def refuse_if_replayed(request: Any) -> None:
    """A state-changing form on a replay: refused before anything runs."""
    if replayed_of(request) is not None and request.url.path not in SESSION_FORMS:
        raise ReadOnlyReplay("This console shows a replay: it is read only, nothing was done.")
