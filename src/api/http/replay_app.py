"""The app of `lessor serve --views URL`: the console alone, over a replayed database, read
only (ADR 0054). No API: nothing here can write, and the live views are only read by
signing in. Neither the projector nor the scheduler runs."""

from __future__ import annotations

from fastapi import FastAPI

from adapters.replay_cut import ReplayedAsOf
from adapters.sql import Database
from api.bootstrap import Container
from api.console import console_router
from api.console.replayed import replayed_console
from api.http.app import BodySizeLimit
from api.http.problems import install_problem_handlers


def create_replay_app(live: Container, views: Database, as_of: ReplayedAsOf) -> FastAPI:
    app = FastAPI(title="Lessor console (replay)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = live
    app.state.replayed = replayed_console(live, views, as_of)
    install_problem_handlers(app)
    app.include_router(console_router)
    app.add_middleware(BodySizeLimit, max_bytes=live.settings.max_body_bytes)
    return app
