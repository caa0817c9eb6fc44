"""`lessor demo seed`: demo data for `./scripts/serve` — one operator, one company with an
admin, an employee, an integration account and a few devices. Seeded once; the tokens are
kept under ./var (git-ignored) so every start can print them again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import typer

from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build
from api.cli.shared import UsageProblem, cli_cause, out
from api.settings import Settings, sandbox_unless_set
from domain.application import CommandContext
from domain.model.actor import Caller, Role
from domain.model.device import ContractType
from domain.model.events import Cause
from domain.model.money import Money

demo_app = typer.Typer(help="Demo data for trying Lessor locally.", no_args_is_help=True)


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo operator, company, admin, employee and devices (once) and print tokens."""
    settings = sandbox_unless_set(Settings())
    if settings.mode != "sandbox":
        raise UsageProblem("The demo runs in sandbox mode: unset LESSOR_MODE or set it to sandbox.")
    container = build(settings)
    try:
        tokens = seed(container, lambda: cli_cause(container))
    finally:
        container.close()
    out.print("Demo tokens (use as 'Authorization: Bearer <token>'):")
    for who, secret in tokens.items():
        out.print(f"  {who:<9} {secret}", highlight=False)


def tokens_file(database_url: str) -> Path:
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return Path("var") / f"demo-tokens-{digest}.json"


def seed(container: Container, cause: Callable[[], Cause]) -> dict[str, str]:
    path = tokens_file(container.settings.database_url)
    if path.exists():
        saved: dict[str, str] = json.loads(path.read_text())
        now = container.clock.now()
        if all(container.app.tokens.authenticate(hash_token(s), now) for s in saved.values()):
            return saved  # already seeded in this database
    app = container.app
    operator = Caller(actor=cause().actor, company_id=None)

    def ctx() -> CommandContext:
        return CommandContext(caller=operator, cause=cause())

    company_id = app.companies.register(
        ctx(),
        name="Demo Leasing AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    ).subject_id
    admin_id = app.members.register(
        ctx(),
        company_id=company_id,
        email="admin@demo.example",
        name="Astrid Admin",
        role=Role.ADMIN,
        last_employment_day=None,
    ).subject_id
    employee_id = app.members.register(
        ctx(),
        company_id=company_id,
        email="erik@demo.example",
        name="Erik Employee",
        role=Role.EMPLOYEE,
        last_employment_day=None,
    ).subject_id
    devices = [
        (
            "C02-DEMO-001",
            "MacBook Air 13",
            "laptop",
            "14990.00",
            ContractType.LEASED,
            date(2023, 12, 1),
            date(2026, 12, 1),
        ),
        (
            "F2L-DEMO-002",
            "iPhone 15",
            "phone",
            "12000.00",
            ContractType.LEASED,
            date(2024, 5, 1),
            date(2027, 5, 1),
        ),
        ("MON-DEMO-003", "Dell U2723QE", "monitor", "6490.00", ContractType.PURCHASED, None, None),
        ("TAB-DEMO-004", "iPad 10.9", "tablet", "5990.00", ContractType.RENTAL, None, None),
    ]
    first_device: UUID | None = None
    for serial, model, category, cost, contract, start, renewal in devices:
        outcome = app.devices.register(
            ctx(),
            company_id=company_id,
            serial=serial,
            model=model,
            category=category,
            company_cost=Money.of(cost, "SEK"),
            contract_type=contract,
            lease_start=start,
            renewal_date=renewal,
        )
        first_device = first_device or outcome.subject_id
    assert first_device is not None
    app.devices.assign(ctx(), first_device, employee_id)

    tokens: dict[str, str] = {}
    for who, role, company, member in (
        ("operator", Role.OPERATOR, None, None),
        ("admin", Role.ADMIN, company_id, admin_id),
        ("employee", Role.EMPLOYEE, company_id, employee_id),
        ("service", Role.SERVICE, company_id, None),
    ):
        secret = new_token_secret()
        app.tokens.issue(
            cause(),
            token_hash=hash_token(secret),
            company_id=company,
            role=role,
            member_id=member,
            label=f"demo {who}",
        )
        tokens[who] = secret
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens
