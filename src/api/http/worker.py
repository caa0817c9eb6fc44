"""The app of one `lessor serve --workers N` process: uvicorn starts N of these, each of which
builds its own container from the LESSOR_* environment (docs/adr/0052-scale-out.md).

Every worker runs the email sender and, as the settings say, the projector and the
scheduler; they claim their work in the database, so N of each do every job once.
"""

from __future__ import annotations

import atexit

from fastapi import FastAPI

from api.bootstrap import build
from api.http.app import create_app
from api.settings import Settings


def app_from_environment() -> FastAPI:
    """uvicorn's factory (`api.http.worker:app_from_environment`, `--factory`)."""
    settings = Settings()
    container = build(settings)
    atexit.register(container.close)  # the app's lifespan does not own the container
    container.start_email_sender()
    return create_app(container, start_scheduler=settings.run_scheduler)
