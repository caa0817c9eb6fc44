"""/v1/devices/{id}/replacements and after: the replacement device, its serial."""

from __future__ import annotations

from pydantic import Field

from api.http.schemas.common import IsoDate, MoneyIn, Strict, Versioned
from domain.model.device import ContractType


class DeviceFields(Strict):
    """What registering a device (or its replacement) says about it, besides its serial."""

    model: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=50)
    company_cost: MoneyIn
    contract_type: ContractType
    lease_start: IsoDate | None = None
    renewal_date: IsoDate | None = None


class ReplacementIn(DeviceFields):
    serial: str = Field(default="", max_length=100, description="May follow on delivery")


class SerialIn(Versioned):
    serial: str = Field(min_length=1, max_length=100)
