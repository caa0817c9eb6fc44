"""`lessor invoices`: the monthly run on demand, the list, issuing, export (operators)."""

from __future__ import annotations

import json
from typing import Annotated
from uuid import UUID

import typer

from api.bootstrap import Container
from api.cli.replay import views_database
from api.cli.shared import CLI_ACTOR, UsageProblem, cli_cause, opened, out
from domain.application import CommandContext
from domain.application.invoicing import ISSUE_BATCH, MAX_ISSUE_BATCH
from domain.model.actor import Caller
from domain.model.invoice import parse_month
from projections.directory.queries import CompanyFilter, query_companies
from projections.invoices import InvoiceFilter, invoice_detail, open_drafts, query_invoices

invoices_app = typer.Typer(help="Invoices: runs, drafts, issuing.", no_args_is_help=True)
OPERATOR = Caller(actor=CLI_ACTOR, company_id=None)

CompanyOption = Annotated[str | None, typer.Option("--company", help="One company's id")]


def _uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise UsageProblem(f"{what} is not an id: {text!r}.") from None


def _ctx(container: Container) -> CommandContext:
    return CommandContext(caller=OPERATOR, cause=cli_cause(container))


def _companies(container: Container) -> list[UUID]:
    ids: list[UUID] = []
    after: int | None = None
    while True:
        page = query_companies(container.db, OPERATOR, CompanyFilter(after=after, limit=500))
        ids += [UUID(item["company_id"]) for item in page.items]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


@invoices_app.command("run")
def invoices_run(
    month: Annotated[str, typer.Option(help="YYYY-MM, the companies' calendar month")],
    company: CompanyOption = None,
) -> None:
    """Run the invoices of `--month` now: drafts for one company or for every company."""
    parse_month(month)
    chosen = _uuid(company, "--company") if company else None
    with opened() as container:
        container.projector.catch_up()
        for company_id in [chosen] if chosen else _companies(container):
            container.app.invoicing.run(_ctx(container), company_id, month)
        container.projector.catch_up()
        drafts = query_invoices(
            container.db, OPERATOR, InvoiceFilter(company_id=chosen, month=month, status="draft")
        ).items
    out.print(f"run of {month}: {len(drafts)} draft(s)", highlight=False)
    for draft in drafts:
        out.print(
            f"  {draft['invoice_id']}  {draft['gross']['amount']} {draft['currency']}",
            highlight=False,
        )


@invoices_app.command("list")
def invoices_list(
    company: CompanyOption = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM")] = None,
    status: Annotated[str | None, typer.Option(help="draft | issued | superseded")] = None,
    number: Annotated[str | None, typer.Option(help="An invoice number")] = None,
    views: Annotated[
        str | None, typer.Option(help="Read these read models (from `lessor replay`)")
    ] = None,
) -> None:
    """Invoices, one line each: id, status, number, month, gross."""
    f = InvoiceFilter(
        company_id=_uuid(company, "--company") if company else None,
        month=month,
        status=status,
        number=number,
        limit=500,
    )
    if views is not None:
        with views_database(views) as db:
            items = query_invoices(db, OPERATOR, f).items
    else:
        with opened() as container:
            container.projector.catch_up()
            items = query_invoices(container.db, OPERATOR, f).items
    for item in items:
        out.print(
            f"{item['invoice_id']}  {item['status']:<10} {item['number'] or '-':<12}"
            f" {item['month']}  {item['gross']['amount']} {item['currency']}",
            highlight=False,
        )


@invoices_app.command("issue")
def invoices_issue(
    invoice_id: Annotated[str | None, typer.Argument(help="A draft's id")] = None,
    all_drafts: Annotated[bool, typer.Option("--all", help="Every open draft")] = False,
    company: CompanyOption = None,
    batch: Annotated[
        int,
        typer.Option(help=f"With --all: drafts issued per transaction (1–{MAX_ISSUE_BATCH})"),
    ] = ISSUE_BATCH,
) -> None:
    """Issue one draft, or with `--all` every open draft (of `--company`), in batches."""
    if (invoice_id is None) == (not all_drafts):
        raise UsageProblem("Name one draft's id, or give --all.")
    if not 1 <= batch <= MAX_ISSUE_BATCH:
        raise UsageProblem(f"--batch is 1 to {MAX_ISSUE_BATCH}, not {batch}.")
    with opened() as container:
        if invoice_id is not None:
            one = _uuid(invoice_id, "The invoice")
            outcome = container.app.invoicing.issue(_ctx(container), one)
            out.print(f"{one}  issued as {outcome.subject.number}", highlight=False)  # type: ignore[attr-defined]
            return
        container.projector.catch_up()
        ids = open_drafts(container.db, _uuid(company, "--company") if company else None)
        for invoice in container.app.invoicing.issue_all(_ctx(container), ids, batch=batch):
            out.print(f"{invoice.id}  issued as {invoice.number}", highlight=False)


@invoices_app.command("export")
def invoices_export(invoice_id: Annotated[str, typer.Argument(help="An invoice's id")]) -> None:
    """An invoice with its lines and totals, as JSON (the body of GET /v1/invoices/{id})."""
    chosen = _uuid(invoice_id, "The invoice")
    with opened() as container:
        container.projector.catch_up()
        detail = invoice_detail(container.db, OPERATOR, chosen)
    typer.echo(json.dumps(detail, indent=2, ensure_ascii=False))
