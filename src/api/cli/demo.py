"""Demo data for `./scripts/serve`: one operator, one company with an admin, an employee,
an integration account, a few devices and a subscription. Seeded once; the tokens are kept
under ./var (git-ignored) so every start can print them again.

Dates are relative to the business clock (the sandbox clock, when it is set), so whenever
the demo is seeded it shows the end of lease at each stage: a phone in its options window
(R − 3 m … R − 1 m), a laptop awaiting the final decision (R − 1 m … R), a laptop its
employee bought out, and a running subscription.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import typer

from adapters.token_secrets import hash_token, new_token_secret
from api.bootstrap import Container, build
from api.cli.shared import UsageProblem, cli_cause, out
from api.settings import Settings, sandbox_unless_set
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.api_token import token_id_for
from domain.model.device import ContractType
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import ProductKind
from domain.ports import PaymentEvent

TIME_ZONE = "Europe/Stockholm"
PLAN_CODE = "DEMO-WORKPLACE"
# Renewal dates, days after today: where each leased device stands in its end of lease.
IN_OPTIONS_WINDOW = 60  # R − 3 m has passed, R − 1 m has not: a preliminary choice
AWAITING_FINAL_DECISION = 14  # R − 1 m has passed: return or buy out before R
BOUGHT_OUT = 21  # decided: the employee paid the buyout
LEASE_YEARS = 3

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


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def seed(container: Container, cause: Callable[[], Cause]) -> dict[str, str]:
    path = tokens_file(container.settings.database_url)
    if path.exists():
        saved: dict[str, str] = json.loads(path.read_text())
        now = container.clock.now()
        if all(container.app.tokens.authenticate(hash_token(s), now) for s in saved.values()):
            return saved  # already seeded in this database
    app = container.app
    operator = Caller(actor=cause().actor, company_id=None)

    def ctx(caller: Caller = operator) -> CommandContext:
        return CommandContext(caller=caller, cause=cause())

    today = cause().at.astimezone(ZoneInfo(TIME_ZONE)).date()
    company_id = app.companies.register(
        ctx(),
        name="Demo Leasing AB",
        currency="SEK",
        time_zone=TIME_ZONE,
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    ).subject_id
    admin_id, employee_id = (
        app.members.register(
            ctx(),
            company_id=company_id,
            email=email,
            name=name,
            role=role,
            last_employment_day=None,
        ).subject_id
        for email, name, role in (
            ("admin@demo.example", "Astrid Admin", Role.ADMIN),
            ("erik@demo.example", "Erik Employee", Role.EMPLOYEE),
        )
    )

    def leased(days: int) -> tuple[ContractType, date, date]:
        renewal = today + timedelta(days=days)
        return ContractType.LEASED, _years_before(renewal, LEASE_YEARS), renewal

    devices = [
        ("C02-DEMO-001", "MacBook Air 13", "laptop", "14990.00", *leased(AWAITING_FINAL_DECISION)),
        ("F2L-DEMO-002", "iPhone 15", "phone", "12000.00", *leased(IN_OPTIONS_WINDOW)),
        ("MON-DEMO-003", "Dell U2723QE", "monitor", "6490.00", ContractType.PURCHASED, None, None),
        ("TAB-DEMO-004", "iPad 10.9", "tablet", "5990.00", ContractType.RENTAL, None, None),
        ("C02-DEMO-005", "MacBook Pro 14", "laptop", "24990.00", *leased(BOUGHT_OUT)),
    ]
    ids: dict[str, UUID] = {}
    for serial, model, category, cost, contract, start, renewal in devices:
        ids[serial] = app.devices.register(
            ctx(),
            company_id=company_id,
            serial=serial,
            model=model,
            category=category,
            company_cost=Money.of(cost, "SEK"),
            contract_type=contract,
            lease_start=start,
            renewal_date=renewal,
        ).subject_id
    for serial in ("C02-DEMO-001", "F2L-DEMO-002", "C02-DEMO-005"):
        app.devices.assign(ctx(), ids[serial], employee_id)

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

    def as_token(who: str, role: Role, member: UUID | None) -> Caller:
        token_id = str(token_id_for(hash_token(tokens[who])))
        return Caller(actor=Actor(token_id, role), company_id=company_id, member_id=member)

    admin = as_token("admin", Role.ADMIN, admin_id)
    _subscribe(container, ctx, admin, company_id, employee_id, today)
    _buy_out(container, ctx, admin, as_token("employee", Role.EMPLOYEE, employee_id), ids)
    container.scheduler.tick(cause().at)  # open the windows now, as the scheduler would

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def _subscribe(
    container: Container,
    ctx: Callable[..., CommandContext],
    admin: Caller,
    company_id: UUID,
    employee_id: UUID,
    today: date,
) -> None:
    """A yearly subscription of five workplace seats, from today; Erik holds one."""
    app = container.app
    plan = next((p for p in app.catalog.products() if p.code == PLAN_CODE), None)
    plan_id = (
        plan.id
        if plan is not None
        else app.catalog.add_product(
            ctx(),
            code=PLAN_CODE,
            name="Workplace plan",
            kind=ProductKind.PLAN,
            prices={"SEK": Money.of("129.00", "SEK").minor},
        ).subject_id
    )
    subscription_id = app.subscriptions.create(
        ctx(admin),
        company_id=company_id,
        lines=[(plan_id, 5)],
        start_date=today,
        term=Term.ONE_YEAR,
        po_reference="PO-DEMO-1",
        separate_invoice=False,
        renewal_option=RenewalOption.EVERY_TIME,
    ).subject_id
    app.subscriptions.assign_licence(ctx(admin), subscription_id, employee_id, plan_id)


def _buy_out(
    container: Container,
    ctx: Callable[..., CommandContext],
    admin: Caller,
    employee: Caller,
    ids: dict[str, UUID],
) -> None:
    """The admin prices the MacBook Pro, Erik buys it out, and the payment is recorded as
    Stripe's webhook would record it (no server runs while seeding)."""
    app = container.app
    device_id = ids["C02-DEMO-005"]
    app.valuation.set_buyout_price(ctx(admin), device_id, Money.of("4990.00", "SEK"))
    landing = f"{container.settings.public_url}/buyout/{device_id}"
    app.end_of_lease.start_buyout(
        ctx(employee), device_id, success_url=landing + "/paid", cancel_url=landing + "/cancelled"
    )
    device = app.devices.get(employee, device_id)
    assert device.checkout_session_id is not None
    app.end_of_lease.record_payment_event(
        PaymentEvent(
            provider_event_id=f"evt_demo_{device_id.hex}",
            kind="paid",
            session_id=device.checkout_session_id,
            device_id=device_id,
            payment_id=f"pi_demo_{device_id.hex[:12]}",
            amount=device.checkout_amount,
            occurred_at=ctx().cause.at,
        )
    )
