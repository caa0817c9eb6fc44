"""`lessor reconcile`: recompute from the facts and name every disagreement; exit 1 when
there is one (docs/adr/0040-replay.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from adapters.reconcile import CHECKS, PROJECTIONS, reconcile
from adapters.reconcile_payments import PaidBuyouts, payments_at_stripe
from adapters.replay import Cut
from api.cli.replay import parse_instant
from api.cli.shared import UsageProblem, opened, out
from domain.application import LessorApplication
from domain.model.company import Company


def reconcile_command(
    at: Annotated[
        str | None, typer.Option("--at", help="Check the facts recorded up to this instant")
    ] = None,
    company: Annotated[str | None, typer.Option("--company", help="One company's id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON")] = False,
    selected: Annotated[
        list[str] | None,
        typer.Option("--check", help=f"Run only this check (repeatable): {', '.join(CHECKS)}"),
    ] = None,
) -> None:
    """Invoices, rental credits, Stripe payments, seats and projections against the facts;
    exit 1 on any discrepancy."""
    only = _selected(selected, at is not None, company is not None)
    cut = None
    if at is not None:
        instant = parse_instant(at)
        if instant > datetime.now(UTC):
            raise UsageProblem(f"--at {at} is in the future")
        cut = Cut(at=instant)
    try:
        company_id = UUID(company) if company is not None else None
    except ValueError:
        raise UsageProblem(f"--company: not a company id: {company!r}") from None
    with opened() as container:
        if company_id is not None and not _is_company(container.app, company_id):
            raise UsageProblem(f"unknown company {company_id}")  # before Stripe is asked
        container.projector.catch_up()
        report = reconcile(
            container.app,
            container.db,
            cut=cut,
            company_id=company_id,
            stripe=payments_at_stripe(container.payment_gateway),
            projector=container.projector,
            only=only,
        )
    if company_id is not None and not report.company_seen:
        raise UsageProblem(f"unknown company {company_id}")
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        table = Table("check", "checked", "discrepancies")
        for check in report.checks:
            table.add_row(check.name, str(check.checked), str(len(check.discrepancies)))
        out.print(table)
        for check in report.checks:
            if check.discrepancies:
                details = Table("subject", "problem", "amounts", title=check.name)
                for d in check.discrepancies:
                    amounts = ", ".join(f"{k}={v}" for k, v in d.amounts.items())
                    details.add_row(d.subject, d.problem, amounts)
                out.print(details)
    if not report.agrees:
        raise typer.Exit(1)


def _selected(names: list[str] | None, at: bool, company: bool) -> set[str] | None:
    """The checks asked for by name (None: all); a selected check the other options would
    silently skip is refused rather than reported as an empty pass."""
    if not names:
        return None
    for name in names:
        if name not in CHECKS:
            raise UsageProblem(f"--check {name!r}: not a check; one of: {', '.join(CHECKS)}")
        if at and name in (PaidBuyouts.name, PROJECTIONS):
            raise UsageProblem(f"--check {name!r} runs at the head only, not with --at")
        if company and name == PROJECTIONS:
            raise UsageProblem(f"--check {name!r} runs for every company, not with --company")
    return set(names)


def _is_company(app: LessorApplication, company_id: UUID) -> bool:
    return company_id in app.repository and isinstance(app.repository.get(company_id), Company)
