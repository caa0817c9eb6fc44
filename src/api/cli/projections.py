"""`lessor projections`: the read models — status, run (a worker), rebuild, verify."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from adapters.projection_failures import ProjectionFailure
from adapters.projector import LiveViewCannotFold
from adapters.settings_url import DatabaseUrl
from adapters.wakeup import listen_for_commits
from api.bootstrap import Container, build
from api.cli.shared import UsageProblem, opened, out
from api.settings import Settings

projections_app = typer.Typer(
    help="Read models: status, run, rebuild, verify.", no_args_is_help=True
)


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
    container = build(Settings())
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
    with opened() as container:
        container.projector.batch_size = batch_size
        if once:
            parked = container.projector.catch_up()
            for failure in parked:
                out.print(f"{failure.name}: {_state(failure)}", highlight=False)
            if parked:
                raise typer.Exit(1)
            return
        stop = threading.Event()

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
    with opened() as container:
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


@projections_app.command("verify")
def projections_verify(
    name: Annotated[str | None, typer.Argument(help="Projection name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every projection")] = True,
) -> None:
    """Rebuild aside and diff with the live view; exit 1 when they differ."""
    differs = False
    with opened() as container:
        for projection in _names(container, name, all_ and name is None):
            try:
                diffs = container.projector.verify(projection)
            except LiveViewCannotFold as error:
                differs = True
                out.print(f"{error}; `lessor projections rebuild {projection}` replaces it")
                continue
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
    if differs:
        raise typer.Exit(1)
