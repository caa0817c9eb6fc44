"""`lessor serve`: the HTTP API, with the projector (and the scheduler, if set) inside."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from adapters.replay_cut import replayed_as_of
from api.bootstrap import build
from api.cli.replay import views_database
from api.cli.shared import UsageProblem, out
from api.cli.webhook_check import unreachable_webhook
from api.settings import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="Default: LESSOR_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: LESSOR_PORT or 8000")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (each with its own container)")
    ] = 1,
    views: Annotated[
        str | None,
        typer.Option(
            "--views", help="Serve only the console, read only, over this replayed database URL"
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (with the projector running inside the process)."""
    import uvicorn

    from api.http.app import create_app

    # Given options override LESSOR_HOST / LESSOR_PORT, and an unset public URL follows them.
    overrides: dict[str, Any] = {"host": host, "port": port}
    settings = Settings(**{name: v for name, v in overrides.items() if v is not None})
    host, port = settings.host, settings.port
    warning = unreachable_webhook(settings, host, port)
    if warning:
        print(warning, file=sys.stderr)
    if views is not None:
        if workers > 1:
            raise UsageProblem("--views serves one process: leave out --workers.")
        serve_replay(settings, views)
        return
    if workers > 1:
        _serve_workers(settings, workers)
        return
    container = build(settings)
    container.start_email_sender()
    out.print(f"Lessor API on [bold]http://{host}:{port}[/]  ·  docs: http://{host}:{port}/docs")
    try:
        app_ = create_app(container, start_scheduler=settings.run_scheduler)
        uvicorn.run(app_, host=host, port=port, log_level="info")
    finally:
        container.close()


WORKER_HEALTHCHECK_S = 60


def _serve_workers(settings: Settings, workers: int) -> None:
    """uvicorn's process manager over `workers` processes; each builds its container from
    the environment, so the resolved host and port go there (ADR 0052)."""
    import uvicorn

    os.environ["LESSOR_HOST"], os.environ["LESSOR_PORT"] = settings.host, str(settings.port)
    host, port = settings.host, settings.port
    out.print(f"Lessor API on [bold]http://{host}:{port}[/] with {workers} worker processes")
    uvicorn.run(
        "api.http.worker:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        http="api.http.nodelay:NoDelayH11Protocol",  # the workers' sockets lose TCP_NODELAY
        # A worker builds its container before it answers the supervisor's pings; on a busy
        # host that took over uvicorn's 5 s, and the supervisor killed it, over and over.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


def serve_replay(settings: Settings, url: str) -> None:
    """The console over a replay (`lessor replay --into URL`), read only (ADR 0054)."""
    import uvicorn

    from api.http.replay_app import create_replay_app

    if url == settings.database_url:
        raise UsageProblem("--views names the live database: give a replay's database.")
    with views_database(url) as views:
        as_of = replayed_as_of(views)
        if as_of is None:
            raise UsageProblem(f"{url} is not a replay (made by `lessor replay`).")
        container = build(settings)
        try:
            app_ = create_replay_app(container, views, as_of)
            out.print(
                f"Lessor console (replay, read only) on [bold]http://{settings.host}:"
                f"{settings.port}/console[/]"
            )
            uvicorn.run(app_, host=settings.host, port=settings.port, log_level="info")
        finally:
            container.close()
