"""`lessor tokens`: API bearer tokens — create (shown once), revoke, list."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from adapters.token_secrets import hash_token, new_token_secret
from api.cli.shared import cli_cause, opened, out
from domain.model.actor import Role

tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


class TokenRole(StrEnum):
    OPERATOR = "operator"
    ADMIN = "admin"
    SERVICE = "service"
    EMPLOYEE = "employee"


@tokens_app.command("create")
def tokens_create(
    role: Annotated[TokenRole, typer.Option(help="operator, admin, service or employee")],
    company: Annotated[UUID | None, typer.Option(help="Company id (not for operators)")] = None,
    member: Annotated[UUID | None, typer.Option(help="Member id (required for employees)")] = None,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Create a token and print it once: only its hash is stored."""
    with opened() as container:
        secret = new_token_secret()
        token_id = container.app.tokens.issue(
            cli_cause(container),
            token_hash=hash_token(secret),
            company_id=company,
            role=Role(role),
            member_id=member,
            label=label,
        )
    out.print(f"token id: {token_id}", highlight=False)
    out.print("token (shown once, store it now):", highlight=False)
    print(secret)


@tokens_app.command("revoke")
def tokens_revoke(token_id: UUID) -> None:
    """Revoke a token: it is refused from the next request on."""
    with opened() as container:
        container.app.tokens.revoke(cli_cause(container), token_id)
    out.print(f"revoked {token_id}")


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token: id, role, company, member, label, active."""
    with opened() as container:
        infos = container.app.tokens.issued()
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
