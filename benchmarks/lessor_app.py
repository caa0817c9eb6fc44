"""What `scripts/bench http` serves as Lessor: the app of one `lessor serve --workers N`
process (api/http/worker.py), so that Lessor and the hello app start from the very same
uvicorn command line. Code from before `--workers` existed (a "before" run with `--src`)
has no such module: its app is built here the way its `lessor serve` built it."""

from __future__ import annotations

from fastapi import FastAPI


def app_from_environment() -> FastAPI:
    try:
        from api.http.worker import app_from_environment as served
    except ModuleNotFoundError:
        return _as_serve_built_it()
    return served()


def _as_serve_built_it() -> FastAPI:
    import atexit

    from api.bootstrap import build
    from api.http.app import create_app
    from api.settings import Settings

    settings = Settings()
    container = build(settings)
    atexit.register(container.close)
    container.start_email_sender()
    return create_app(container, start_scheduler=settings.run_scheduler)
