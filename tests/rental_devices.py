"""A device registered for the rental-credit tests (unit, integration and CLI alike)."""

from __future__ import annotations

from uuid import UUID

from domain.application import CommandContext, LessorApplication
from domain.model.device import ContractType
from domain.model.money import Money


def register_device(
    app: LessorApplication,
    ctx: CommandContext,
    company_id: UUID,
    serial: str,
    contract: ContractType = ContractType.RENTAL,
) -> UUID:
    """A phone of the company (a rental device unless `contract` says otherwise)."""
    return app.devices.register(
        ctx,
        company_id=company_id,
        serial=serial,
        model="IP232",
        category="phone",
        company_cost=Money.of("100", "SEK"),
        contract_type=contract,
        lease_start=None,
        renewal_date=None,
    ).subject_id
