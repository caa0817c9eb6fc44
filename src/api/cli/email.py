"""`lessor email`: send the outgoing email that is due (once each)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.clock import parse_instant
from api.cli.shared import opened, out

email_app = typer.Typer(help="Outgoing email: send what is due.", no_args_is_help=True)


@email_app.command("send-due")
def email_send_due(
    at: Annotated[
        str | None, typer.Option(help="ISO instant to send as of; default: the business clock")
    ] = None,
) -> None:
    """Fold the log into the outbox, then send every email due as of `--at` (once each)."""
    given = parse_instant(at) if at else None
    with opened() as container:
        now = given or container.clock.now()
        container.projector.catch_up("outbox")
        sent = container.email_sender.send_due(now)
        deliveries = container.email_sender.deliveries()
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
