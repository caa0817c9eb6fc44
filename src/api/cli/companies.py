"""`lessor companies`: what the provider grants a company (its subscription management right)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from api.cli.shared import opened, operator_context, out
from domain.model.management_rights import ManagementRight

companies_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)


@companies_app.command("set-rights")
def companies_set_rights(
    company: Annotated[UUID, typer.Argument(help="Company id")],
    right: Annotated[
        ManagementRight, typer.Argument(help="none, monthly_only, increase_only or full")
    ],
) -> None:
    """Set what the company's admins may change in their subscriptions themselves."""
    with opened() as container:
        ctx = operator_context(container)
        outcome = container.app.companies.change(ctx, company, management_right=right)
    out.print(
        f"company {company}: management right {right.value} (version {outcome.subject.version})",
        highlight=False,
    )
