"""`lessor members`: a company's members and their licences as CSV (ADR 0033)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from adapters.member_csv import read_member_csv, write_member_csv
from api.cli.shared import UsageProblem, opened, operator_context, out
from domain.model.member_rows import MemberImportRejected
from projections.directory import company_member_ids
from projections.subscription_overview import company_subscription_ids

members_app = typer.Typer(help="Members and their licences in bulk (CSV).", no_args_is_help=True)
Company = Annotated[UUID, typer.Option("--company", help="Company id")]


@members_app.command("export")
def members_export(
    company: Company,
    output: Annotated[Path | None, typer.Option(help="Write here (default: stdout)")] = None,
) -> None:
    """Every member with plan, options and last employment day, as an import reads them."""
    with opened() as container:
        ctx = operator_context(container)
        container.projector.catch_up()
        members = company_member_ids(container.db, ctx.caller, company)
        subscriptions = company_subscription_ids(container.db, ctx.caller, company)
        rows = container.app.member_imports.export(
            ctx.caller, company, members, subscriptions, ctx.cause.at
        )
    text = write_member_csv(rows)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8", newline="")
        out.print(f"{len(rows)} members written to {output}", highlight=False)


@members_app.command("import")
def members_import(
    file: Annotated[Path, typer.Argument(help="The CSV file", exists=True, dir_okay=False)],
    company: Company,
    apply: Annotated[bool, typer.Option(help="Apply (default: a dry run)")] = False,
) -> None:
    """Check (dry run) or apply a member file: all or nothing; every error with its line."""
    with opened() as container:
        ctx = operator_context(container)
        container.projector.catch_up()
        subscriptions = company_subscription_ids(container.db, ctx.caller, company)
        table = read_member_csv(file.read_bytes())
        try:
            result = container.app.member_imports.import_members(
                ctx, company, table, subscriptions, dry_run=not apply
            )
        except MemberImportRejected as rejected:
            for e in rejected.errors:
                out.print(f"line {e.line}, {e.field}: {e.message}", highlight=False)
            raise UsageProblem(rejected.detail) from None
    for e in result.errors:
        out.print(f"line {e.line}, {e.field}: {e.message}", highlight=False)
    changed = sum(r.changed or r.last_employment_day_set for r in result.rows)
    verb = "applied" if result.applied else ("would change" if result.dry_run else "unchanged")
    out.print(
        f"{len(result.rows)} rows, {len(result.errors)} errors; {verb}: {changed} members",
        highlight=False,
    )
    if result.errors:
        raise typer.Exit(2)
