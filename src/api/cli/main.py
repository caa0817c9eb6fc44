"""`lessor`: the Typer app, one sub-app per noun (db, tokens, projections, demo, scheduler,
email, clock) plus `serve`, and the console entry point. Bad input: one line, exit 2."""

from __future__ import annotations

import sqlite3
import sys
from typing import NoReturn

import psycopg
import typer
from eventsourcing.persistence import PersistenceError as EventStoreError

from api.cli.audit import audit_app
from api.cli.clock import clock_app
from api.cli.companies import companies_app
from api.cli.credits import keys_app, rentals_app
from api.cli.db import db_app
from api.cli.demo import demo_app
from api.cli.email import email_app
from api.cli.invoices import invoices_app
from api.cli.members import members_app
from api.cli.projections import projections_app
from api.cli.reconcile import reconcile_command
from api.cli.replay import replay_command
from api.cli.scheduler import scheduler_app
from api.cli.serve import serve
from api.cli.shared import UsageProblem
from api.cli.terms import terms_app
from api.cli.tokens import tokens_app
from api.cli.usage import usage_app
from domain.model.errors import DomainError

app = typer.Typer(
    help="Lessor: the event-sourced hardware-as-a-service core.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command("replay")(replay_command)
app.command("reconcile")(reconcile_command)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(projections_app, name="projections")
app.add_typer(demo_app, name="demo")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(email_app, name="email")
app.add_typer(clock_app, name="clock")
app.add_typer(usage_app, name="usage")
app.add_typer(companies_app, name="companies")
app.add_typer(terms_app, name="terms")
app.add_typer(members_app, name="members")
app.add_typer(keys_app, name="keys")
app.add_typer(rentals_app, name="rentals")
app.add_typer(invoices_app, name="invoices")
app.add_typer(audit_app, name="audit")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: bad input is one line on stderr and exit code 2; never a trace."""
    try:
        result = app(args=argv, standalone_mode=False)
    except (DomainError, UsageProblem) as error:
        _fail(str(error), 2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("aborted", 130)
    except (EventStoreError, sqlite3.Error, psycopg.Error) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        _fail(f"database: {first_line} (is it reachable, and did `lessor db init` run?)", 1)
    except Exception as error:
        # Typer vendors click; its usage errors carry format_message() and exit_code 2.
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):
            _fail(error.format_message(), int(error.exit_code))
        raise
    sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
