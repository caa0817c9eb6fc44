"""Small builders for integration tests: real commands through the real application."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.application import CommandContext, Idempotency, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType
from domain.model.money import Money
from tests.conftest import system_cause

OPERATOR = Caller(actor=Actor(id="operator-1", role=Role.OPERATOR), company_id=None)


def ctx(
    caller: Caller = OPERATOR,
    *,
    key: str | None = None,
    request_hash: str = "h",
    expected_version: int | None = None,
) -> CommandContext:
    context = CommandContext(caller=caller, cause=system_cause())
    context = replace(context, cause=replace(context.cause, actor=caller.actor))
    if key is not None:
        context = replace(context, idempotency=Idempotency(key=key, request_hash=request_hash))
    return replace(context, expected_version=expected_version)


def company(app: LessorApplication, name: str = "Acme AB") -> UUID:
    return app.companies.register(
        ctx(),
        name=name,
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={},
    ).subject_id


def member(app: LessorApplication, company_id: UUID, email: str) -> UUID:
    return app.members.register(
        ctx(),
        company_id=company_id,
        email=email,
        name=email.split("@")[0].title(),
        role=Role.EMPLOYEE,
        last_employment_day=None,
    ).subject_id


def device(app: LessorApplication, company_id: UUID, serial: str, **overrides: object) -> UUID:
    fields: dict[str, object] = {
        "company_id": company_id,
        "serial": serial,
        "model": "ThinkPad X1",
        "category": "laptop",
        "company_cost": Money.of("15000.00", "SEK"),
        "contract_type": ContractType.LEASED,
        "lease_start": date(2025, 1, 31),
        "renewal_date": date(2028, 1, 31),
    }
    fields.update(overrides)
    return app.devices.register(ctx(), **fields).subject_id  # type: ignore[arg-type]
