"""`lessor scheduler`: the time rules — one tick as of an instant, or a worker."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from api.cli.clock import parse_instant
from api.cli.shared import opened, out

scheduler_app = typer.Typer(help="Time rules: charges and renewals.", no_args_is_help=True)

AtOption = Annotated[
    str | None, typer.Option(help="ISO instant to run for; default: the business clock")
]


@scheduler_app.command("tick")
def scheduler_tick(at: AtOption = None) -> None:
    """Run one pass of every due time rule, as of `--at` (operations and tests)."""
    given = parse_instant(at) if at else None
    with opened() as container:
        now = given or container.clock.now()
        report = container.scheduler.tick(now)
    out.print(
        f"tick at {now.isoformat()}: {report.subscriptions_advanced} subscription(s) advanced,"
        f" {report.events - report.invoice_events} event(s); {report.rental_accounts_charged}"
        f" rental account(s) charged; {report.invoice_runs} invoice run(s),"
        f" {report.invoice_events} event(s); {report.checkpoints_signed} audit checkpoint(s)",
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
    with opened() as container:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        out.print(f"scheduler running (every {interval:g} s); Ctrl-C to stop")
        container.scheduler.run_forever(container.clock.now, stop, interval_s=interval)
