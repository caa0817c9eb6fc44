"""`lessor usage`: import a usage file (batches of up to 1,000, each all or nothing; a dry
run checks it against the ledger without recording), and print a month's usage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from adapters.usage_csv import read_usage_csv
from api.cli.shared import CLI_ACTOR, UsageProblem, cli_cause, opened, out
from domain.application import CommandContext
from domain.model.actor import Caller
from domain.model.usage import MAX_BATCH, parse_month
from domain.model.usage_ledger import RefusedChanges
from projections.usage import month_usage

usage_app = typer.Typer(help="Monthly usage: import changes, read a month.", no_args_is_help=True)
CLI_CALLER = Caller(actor=CLI_ACTOR, company_id=None)
MAX_FILE_BYTES = 200 * 1024 * 1024


@usage_app.command("import")
def usage_import(
    file: Annotated[Path, typer.Argument(help="CSV: change_id,kind,entity_id,action,at")],
    company: Annotated[UUID, typer.Option(help="The company whose usage it is")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; record nothing")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="Changes per batch (one transaction)")
    ] = MAX_BATCH,
) -> None:
    """Record the file's changes in batches. A change id seen before is a no-op, so a file
    imported again (after a refused batch was corrected, say) records only what is new."""
    if not file.is_file():
        raise UsageProblem(f"no such file: {file}")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise UsageProblem(f"{file} is over {MAX_FILE_BYTES // 2**20} MiB: split it")
    changes = read_usage_csv(file.read_bytes())
    batches = [changes[i : i + batch_size] for i in range(0, len(changes), batch_size)]
    with opened() as container:
        usage = container.app.usage
        if dry_run:
            new = usage.check_changes(CLI_CALLER, company, batches, cli_cause(container))
            out.print(f"dry run: {len(changes)} changes, {new} new; nothing recorded")
            return
        done = 0
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=out
        ) as progress:
            task = progress.add_task("changes", total=len(changes))
            for number, batch in enumerate(batches, start=1):
                ctx = CommandContext(caller=CLI_CALLER, cause=cli_cause(container))
                try:
                    usage.record_changes(ctx, company, batch)
                except RefusedChanges as refused:
                    first = refused.errors[0]
                    line = (number - 1) * batch_size + first.index + 2  # the header is line 1
                    raise UsageProblem(
                        f"batch {number} refused, nothing of it recorded ({done} changes of"
                        f" earlier batches were): line {line}: {first.detail}"
                        + (
                            f" (and {len(refused.errors) - 1} more)"
                            if len(refused.errors) > 1
                            else ""
                        )
                    ) from None
                done += len(batch)
                progress.update(task, advance=len(batch))
    out.print(f"recorded {len(changes)} changes in {len(batches)} batches")


@usage_app.command("month")
def usage_month(
    month: Annotated[str, typer.Argument(help="YYYY-MM, in the company's time zone")],
    company: Annotated[UUID, typer.Option(help="The company")],
) -> None:
    """Per kind, the entities active at any time in the month, and the invoice lines."""
    first = parse_month(month)
    with opened() as container:
        container.projector.catch_up("usage")
        usage = month_usage(container.db, CLI_CALLER, company, first)
    table = Table("kind", "count", "entities")
    for kind in usage.kinds:
        table.add_row(kind.kind, str(kind.count), ", ".join(e.entity_id for e in kind.entities))
    out.print(f"{usage.month} ({usage.time_zone})", highlight=False)
    out.print(table)
    for line in usage.lines:
        priced = (
            "no price set"
            if line.unit_price is None or line.amount is None
            else f"{line.unit_price} = {line.amount}"
        )
        out.print(f"{line.description}: {line.quantity} × {priced}", highlight=False)
