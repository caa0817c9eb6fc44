"""`lessor keys` (activation keys: issue, list, void) and `lessor rentals` (an account's
status; verifying a rental licence): prepaid rental credits at the console (SPEC §4)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from adapters.licences import InvalidLicence, LicenceSigner, PublicKey, verify_licence
from api.cli.shared import CLI_ACTOR, UsageProblem, cli_cause, opened, out
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Caller
from domain.model.money import Money

keys_app = typer.Typer(help="Activation keys: prepaid rental credits.", no_args_is_help=True)
rentals_app = typer.Typer(help="Rental accounts and rented devices.", no_args_is_help=True)
OPERATOR = Caller(actor=CLI_ACTOR, company_id=None)


def _price(values: list[str] | None) -> Money | None:
    if not values:
        return None
    amount, currency = values
    try:
        return Money.of(Decimal(amount), currency.upper())
    except InvalidOperation:
        raise UsageProblem(
            f"--price takes AMOUNT CURRENCY, e.g. 199.00 SEK; got {amount!r}"
        ) from None


@keys_app.command("issue")
def keys_issue(
    credits: Annotated[int, typer.Option(help="Credits each key adds")],
    count: Annotated[int, typer.Option(help="How many keys")] = 1,
    company: Annotated[UUID | None, typer.Option(help="Sold to this company")] = None,
    price: Annotated[
        tuple[str, str] | None,
        typer.Option(help="The sale price, AMOUNT CURRENCY (with --company): invoiced"),
    ] = None,
    label: Annotated[str, typer.Option(help="What the batch is for")] = "",
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the codes to this new CSV file")
    ] = None,
) -> None:
    """Issue a batch and print its codes once: only their hashes are stored."""
    if csv_file is not None and csv_file.exists():
        raise UsageProblem(f"{csv_file} exists already; the codes go to a new file only")
    with opened() as container:
        ctx = CommandContext(caller=OPERATOR, cause=cli_cause(container))
        issued = container.app.credits.issue_keys(
            ctx,
            credits=credits,
            count=count,
            company_id=company,
            price=_price(list(price) if price else None),
            label=label,
        )
    batch_id = issued.outcome.subject_id
    if csv_file is not None:
        with csv_file.open("x", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["batch_id", "code", "credits"])
            writer.writerows([str(batch_id), code, credits] for code in issued.codes)
    out.print(f"batch id: {batch_id}", highlight=False)
    out.print(f"{count} key(s) of {credits} credits (shown once, store them now):", highlight=False)
    for code in issued.codes:
        print(code)


@keys_app.command("list")
def keys_list() -> None:
    """Every batch: id, credits, count, company, price, issued, voided (never the codes)."""
    with opened() as container:
        batches = container.app.credits.batches(OPERATOR)
    table = Table("batch id", "credits", "count", "company", "price", "label", "issued", "voided")
    for b in batches:
        table.add_row(
            str(b.id),
            str(b.credits),
            str(b.count),
            str(b.company_id or "—"),
            str(b.price) if b.price else "—",
            b.label,
            b.issued_at.isoformat(),
            b.voided_at.isoformat() if b.voided_at else "—",
        )
    out.print(table)


@keys_app.command("void")
def keys_void(batch_id: UUID) -> None:
    """Void every key of the batch not yet redeemed."""
    with opened() as container:
        ctx = CommandContext(caller=OPERATOR, cause=cli_cause(container))
        container.app.credits.void_batch(ctx, batch_id)
    out.print(f"voided the unredeemed keys of {batch_id}")


@rentals_app.command("status")
def rentals_status(company: Annotated[UUID, typer.Option(help="Company id")]) -> None:
    """The company's balance, runway, daily total and each rental with its paid days."""
    with opened() as container:
        account = container.app.credits.account(OPERATOR, company)
    if account is None:
        out.print("no rental account yet: balance 0, no rentals")
        return
    runway = account.runway.isoformat() if account.runway else "—"
    out.print(
        f"balance: {account.balance} credits · daily total: {account.daily_total}"
        f" · runway: {runway}"
        + (f" · suspended since {account.suspended_since}" if account.suspended_since else ""),
        highlight=False,
    )
    table = Table("device", "rate", "status", "since", "paid through")
    status = "suspended" if account.is_suspended else "active"
    for device_id, rental in account.rentals.items():
        table.add_row(
            device_id,
            str(rental["rate"]),
            status,
            rental["since"].isoformat(),
            rental["paid_through"].isoformat(),
        )
    out.print(table)


@rentals_app.command("verify-licence")
def rentals_verify_licence(
    file: Annotated[Path, typer.Argument(help="A file holding the licence text")],
    keys: Annotated[
        Path | None,
        typer.Option(
            help="The published keys (GET /v1/rental/licence-keys, as JSON);"
            " default: this deployment's own"
        ),
    ] = None,
) -> None:
    """Check a rental licence as a gateway does: the signature, then whether it ran out."""
    try:
        text = file.read_text(encoding="utf-8")
        published = _published_keys(keys)
    except (OSError, ValueError, KeyError) as error:
        raise UsageProblem(f"cannot read the licence or the keys: {error}") from None
    try:
        payload = verify_licence(text, published)
    except InvalidLicence as invalid:
        print(f"invalid: {invalid}", file=sys.stderr)
        raise typer.Exit(1) from None
    valid_until = datetime.fromisoformat(payload["valid_until"].replace("Z", "+00:00"))
    state = "valid" if datetime.now(UTC) < valid_until else "expired"
    out.print(
        f"signature ok (key {payload['kid']}): device {payload['device_id']}"
        f" serial {payload['serial']}, {state} until {payload['valid_until']}",
        highlight=False,
    )
    if state == "expired":
        raise typer.Exit(1)


def _published_keys(path: Path | None) -> list[PublicKey]:
    if path is None:
        seed = bytes.fromhex(Settings().licence_signing_key.get_secret_value())
        return [LicenceSigner(seed).public]
    data = json.loads(path.read_text(encoding="utf-8"))
    return [PublicKey(key_id=k["key_id"], public_key=k["public_key"]) for k in data["keys"]]
