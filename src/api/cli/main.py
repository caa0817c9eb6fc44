"""`lessor`: serve, db init, tokens, projections, demo, clock. Bad input: one line, exit 2."""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
from enum import StrEnum
from typing import Annotated, Any, NoReturn
from uuid import UUID, uuid4

import psycopg
import typer
from eventsourcing.persistence import PersistenceError as EventStoreError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from adapters.projection_failures import ProjectionFailure
from adapters.settings_url import DatabaseUrl
from adapters.token_secrets import hash_token, new_token_secret
from adapters.wakeup import listen_for_commits
from api.bootstrap import Container, build, init_database
from api.cli import demo
from api.cli.clock import clock_app
from api.cli.clock import parse_instant as _instant
from api.cli.webhook_check import unreachable_webhook
from api.settings import Settings, sandbox_unless_set
from domain.model.actor import Actor, Role
from domain.model.errors import DomainError
from domain.model.events import Cause

app = typer.Typer(
    help="Lessor: the event-sourced hardware-as-a-service core.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The event store and view tables.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
projections_app = typer.Typer(
    help="Read models: status, run, rebuild, verify.", no_args_is_help=True
)
demo_app = typer.Typer(help="Demo data for trying Lessor locally.", no_args_is_help=True)
scheduler_app = typer.Typer(help="Time rules: charges and renewals.", no_args_is_help=True)
email_app = typer.Typer(help="Outgoing email: send what is due.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(projections_app, name="projections")
app.add_typer(demo_app, name="demo")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(email_app, name="email")
app.add_typer(clock_app, name="clock")

out = Console()
CLI_ACTOR = Actor(id="cli", role=Role.OPERATOR)


class TokenRole(StrEnum):
    OPERATOR = "operator"
    ADMIN = "admin"
    SERVICE = "service"
    EMPLOYEE = "employee"


class UsageProblem(Exception):
    """Bad input on the command line: printed as one line, exit code 2."""


def _container() -> Container:
    return build(Settings())


def _cause(container: Container) -> Cause:
    """Business time from the container's clock (the sandbox clock in sandbox mode)."""
    return Cause(actor=CLI_ACTOR, at=container.clock.now(), correlation_id=f"cli-{uuid4()}")


# ----------------------------------------------------------------------------- serve


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: LESSOR_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: LESSOR_PORT or 8000")] = None,
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
    container = build(settings)
    container.start_email_sender()
    out.print(f"Lessor API on [bold]http://{host}:{port}[/]  ·  docs: http://{host}:{port}/docs")
    try:
        app_ = create_app(container, start_scheduler=settings.run_scheduler)
        uvicorn.run(app_, host=host, port=port, log_level="info")
    finally:
        container.close()


# -------------------------------------------------------------------------------- db


@db_app.command("init")
def db_init() -> None:
    """Create the event store and view tables (idempotent; run once before serving)."""
    settings = Settings()
    init_database(settings)
    out.print(f"Database ready: {settings.database_url}")


# ---------------------------------------------------------------------------- tokens


@tokens_app.command("create")
def tokens_create(
    role: Annotated[TokenRole, typer.Option(help="operator, admin, service or employee")],
    company: Annotated[UUID | None, typer.Option(help="Company id (not for operators)")] = None,
    member: Annotated[UUID | None, typer.Option(help="Member id (required for employees)")] = None,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Create a token and print it once: only its hash is stored."""
    container = _container()
    try:
        secret = new_token_secret()
        token_id = container.app.tokens.issue(
            _cause(container),
            token_hash=hash_token(secret),
            company_id=company,
            role=Role(role),
            member_id=member,
            label=label,
        )
    finally:
        container.close()
    out.print(f"token id: {token_id}", highlight=False)
    out.print("token (shown once, store it now):", highlight=False)
    print(secret)


@tokens_app.command("revoke")
def tokens_revoke(token_id: UUID) -> None:
    """Revoke a token: it is refused from the next request on."""
    container = _container()
    try:
        container.app.tokens.revoke(_cause(container), token_id)
    finally:
        container.close()
    out.print(f"revoked {token_id}")


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token: id, role, company, member, label, active."""
    container = _container()
    try:
        infos = container.app.tokens.issued()
    finally:
        container.close()
    table = Table("token id", "role", "company", "member", "label", "active")
    for t in infos:
        table.add_row(
            str(t.token_id),
            t.role.value,
            str(t.company_id or "—"),
            str(t.member_id or "—"),
            t.label,
            "yes" if t.active else "revoked",
        )
    out.print(table)


# ----------------------------------------------------------------------- projections


def _names(container: Container, name: str | None, all_: bool) -> list[str]:
    known = list(container.projector.projections)
    if all_ or name is None:
        if name is None and not all_:
            raise UsageProblem("Name a projection or pass --all.")
        return known
    if name not in known:
        raise UsageProblem(f"Unknown projection '{name}' (known: {', '.join(known)}).")
    return [name]


@projections_app.command("status")
def projections_status() -> None:
    """Position, lag and failure of every projection; exit 1 while one is parked."""
    container = _container()
    try:
        statuses = container.projector.status()
    finally:
        container.close()
    table = Table("projection", "version", "position", "head", "lag", "state")
    for s in statuses:
        table.add_row(
            s.name, str(s.version), str(s.position), str(s.head), str(s.lag), _state(s.failure)
        )
    out.print(table)
    if any(s.failure for s in statuses):
        raise typer.Exit(1)


def _state(failure: ProjectionFailure | None) -> str:
    if failure is None:
        return "running"
    return f"parked at {failure.position} after {failure.attempts} attempt(s): {failure.error}"


@projections_app.command("run")
def projections_run(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    once: Annotated[bool, typer.Option(help="Catch up to the head, then exit")] = False,
) -> None:
    """Run the projector as a worker process (production) until SIGTERM/SIGINT."""
    container = _container()
    container.projector.batch_size = batch_size
    stop = threading.Event()
    try:
        if once:
            parked = container.projector.catch_up()
            for failure in parked:
                out.print(f"{failure.name}: {_state(failure)}", highlight=False)
            if parked:
                raise typer.Exit(1)
            return

        def request_stop(*_: object) -> None:
            stop.set()
            container.projector.wake()  # don't sleep out the poll interval

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, request_stop)
        url = DatabaseUrl(container.settings.database_url)
        channel = getattr(container.app.recorder, "channel_name", None)
        if url.is_postgres and channel:  # other processes' commits wake us; polling stays
            listen_for_commits(url.conninfo(), channel, container.projector.wake, stop)
        out.print(f"projector running (batch {batch_size}); Ctrl-C to stop")
        container.projector.run_forever(stop, poll_interval_s=container.settings.projector_poll_s)
    finally:
        container.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    )


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="Projection name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection")] = False,
) -> None:
    """Rebuild from position zero beside the live tables, then swap them in.

    With --all, every projection is folded in the same pass over the log.
    """
    container = _container()
    try:
        names = _names(container, name, all_)
        with _progress() as bar:
            label = names[0] if len(names) == 1 else f"{len(names)} projections, one pass"
            task = bar.add_task(label, total=max(container.projector.head(), 1))

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            reached = container.projector.rebuild_many(names, advance)
            top = max([*reached.values(), 1])
            bar.update(task, completed=top, total=top)
        for projection, position in reached.items():
            out.print(f"{projection}: rebuilt to position {position}")
    finally:
        container.close()


@projections_app.command("verify")
def projections_verify(
    name: Annotated[str | None, typer.Argument(help="Projection name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every projection")] = True,
) -> None:
    """Rebuild aside and diff with the live view; exit 1 when they differ."""
    container = _container()
    differs = False
    try:
        for projection in _names(container, name, all_ and name is None):
            diffs = container.projector.verify(projection)
            if not diffs:
                out.print(f"{projection}: OK (live equals a rebuild from the log)")
            for d in diffs:
                differs = True
                out.print(
                    f"{projection}: table {d.table} differs: {len(d.only_live)} rows only"
                    f" in the live view, {len(d.only_rebuilt)} only in the rebuild"
                )
                for row in d.only_live[:5]:
                    out.print(f"  live only:    {row}", highlight=False)
                for row in d.only_rebuilt[:5]:
                    out.print(f"  rebuild only: {row}", highlight=False)
    finally:
        container.close()
    if differs:
        raise typer.Exit(1)


# ------------------------------------------------------------------------- scheduler


@scheduler_app.command("tick")
def scheduler_tick(
    at: Annotated[
        str | None, typer.Option(help="ISO instant to run for; default: the business clock")
    ] = None,
) -> None:
    """Run one pass of every due time rule, as of `--at` (operations and tests)."""
    given = _instant(at) if at else None
    container = _container()
    try:
        now = given or container.clock.now()
        report = container.scheduler.tick(now)
    finally:
        container.close()
    out.print(
        f"tick at {now.isoformat()}: {report.subscriptions_advanced} subscription(s) advanced,"
        f" {report.events} event(s)",
        highlight=False,
    )
    for failure in report.failures:
        out.print(f"  refused: {failure}", highlight=False)
    if report.failures:
        raise typer.Exit(1)


@scheduler_app.command("run")
def scheduler_run(
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between ticks")] = 60.0,
) -> None:
    """Run the scheduler as a worker until SIGTERM/SIGINT."""
    container = _container()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    out.print(f"scheduler running (every {interval:g} s); Ctrl-C to stop")
    try:
        container.scheduler.run_forever(container.clock.now, stop, interval_s=interval)
    finally:
        container.close()


# ----------------------------------------------------------------------------- email


@email_app.command("send-due")
def email_send_due(
    at: Annotated[
        str | None, typer.Option(help="ISO instant to send as of; default: the business clock")
    ] = None,
) -> None:
    """Fold the log into the outbox, then send every email due as of `--at` (once each)."""
    given = _instant(at) if at else None
    container = _container()
    try:
        now = given or container.clock.now()
        container.projector.catch_up("outbox")
        sent = container.email_sender.send_due(now)
        deliveries = container.email_sender.deliveries()
    finally:
        container.close()
    out.print(f"sent {sent} email(s) as of {now.isoformat()}", highlight=False)
    for d in deliveries:
        if d.status == "failed":
            out.print(
                f"  failed: {d.message_id} (attempt {d.attempts}, retry at {d.next_attempt_at}):"
                f" {d.last_error}",
                highlight=False,
            )
        elif d.status == "rejected":
            out.print(f"  rejected, not retried: {d.message_id}: {d.last_error}", highlight=False)


# ------------------------------------------------------------------------------ demo


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo operator, company, admin, employee and devices (once) and print tokens."""
    settings = sandbox_unless_set(Settings())
    if settings.mode != "sandbox":
        raise UsageProblem("The demo runs in sandbox mode: unset LESSOR_MODE or set it to sandbox.")
    container = build(settings)
    try:
        tokens = demo.seed(container, lambda: _cause(container))
    finally:
        container.close()
    out.print("Demo tokens (use as 'Authorization: Bearer <token>'):")
    for who, secret in tokens.items():
        out.print(f"  {who:<9} {secret}", highlight=False)


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
