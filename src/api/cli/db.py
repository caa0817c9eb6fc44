"""`lessor db`: the event store and view tables."""

from __future__ import annotations

import typer

from api.bootstrap import init_database
from api.cli.shared import out
from api.settings import Settings

db_app = typer.Typer(help="The event store and view tables.", no_args_is_help=True)


@db_app.command("init")
def db_init() -> None:
    """Create the event store and view tables (idempotent; run once before serving)."""
    settings = Settings()
    init_database(settings)
    out.print(f"Database ready: {settings.database_url}")
