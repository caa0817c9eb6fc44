"""`lessor audit`: the tamper-evident log — sign a checkpoint, verify the chain (ADR 0044)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer

from adapters.audit_verify import ChainReport, CheckpointCheck, NoAuditChain, verify_chain
from adapters.event_pages import EventPages
from api.cli.projections import _progress
from api.cli.replay import views_database
from api.cli.shared import UsageProblem, opened, out

audit_app = typer.Typer(
    help="The tamper-evident event log: checkpoint, verify.", no_args_is_help=True
)
MAX_LINES = 50  # findings printed; the count says how many more

PROBLEMS = {
    "changed": "event changed (its stored bytes differ from those chained)",
    "removed": "event removed",
    "moved": "event moved (events reordered): it was chained at position {chained_at}",
    "added": "event slipped in (no event was chained at this position)",
    "link": "the stored chain itself was altered here",
}


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Chain the log up to its head and sign the head now; print the signed checkpoint."""
    with opened() as container:
        checkpoint = container.audit.sign_head(container.clock.now())
    out.print(
        f"checkpoint: position {checkpoint.position}, head {checkpoint.head},"
        f" signed {checkpoint.signed_at}",
        highlight=False,
        soft_wrap=True,
    )
    print(checkpoint.as_json())


@audit_app.command("verify")
def audit_verify(
    views: Annotated[
        str | None,
        typer.Option("--views", help="Compare with the chain in this views database URL"),
    ] = None,
) -> None:
    """Recompute the chain from the events table; exit 1 naming where the log was altered."""
    with opened() as container:
        source = views_database(views) if views is not None else nullcontext(container.db)
        with source as views_db, _progress() as bar:
            task = bar.add_task("verify", total=1)
            try:
                report = verify_chain(
                    container.db,
                    EventPages(container.app.recorder, container.db.dialect),
                    views_db,
                    container.db,
                    container.audit.public_keys,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except NoAuditChain as error:
                raise UsageProblem(str(error)) from None
    _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: ChainReport) -> None:
    say(
        f"{report.events_checked} event(s) checked against the chain up to position"
        f" {report.chain_position}"
    )
    if report.unchained:
        say(f"{report.unchained} later event(s) not chained yet (the projector folds them)")
    if report.findings:
        say(f"[bold red]the log was altered: first at position {report.findings[0].position}[/]")
    for finding in report.findings[:MAX_LINES]:
        problem = PROBLEMS[finding.problem].format(chained_at=finding.chained_at)
        say(f"[red]position {finding.position}: {problem}[/]")
    if len(report.findings) > MAX_LINES:
        say(f"… and {len(report.findings) - MAX_LINES} more")
    for check in report.checkpoints[:-1]:
        if not check.ok:
            say(f"[red]{_checkpoint_line(check)}[/]")
    if not report.checkpoints:
        say("no checkpoint signed yet (`lessor audit checkpoint`; the scheduler signs daily)")
    else:
        last = report.checkpoints[-1]
        say(("[green]" if last.ok else "[red]") + "last " + _checkpoint_line(last) + "[/]")
    if report.ok:
        say("[green]the log is intact[/]")


def say(line: str) -> None:
    out.print(line, highlight=False, soft_wrap=True)


def _checkpoint_line(check: CheckpointCheck) -> str:
    c = check.checkpoint
    signature = "signature valid" if check.signature_valid else "signature INVALID (forged?)"
    head = "head matches the log" if check.head_matches else "head DIFFERS from the log"
    return f"checkpoint: position {c.position}, signed {c.signed_at}: {signature}, {head}"
