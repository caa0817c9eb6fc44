"""/v1/devices/{id}/…: the end of a lease — what may be done now, and the choices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from api.http.schemas.common import Body, MoneyOut, Versioned, money_out
from domain.application import DeviceOptions
from domain.model.end_of_lease import Choice
from projections.jsonable import utc_text


class PreliminaryChoiceIn(Versioned):
    choice: Choice | None = Field(description="buyout, return, or null to withdraw")


class PriceOut(MoneyOut):
    source: str = Field(description="where the buyout price comes from: manual, curve, …")


class OptionsOut(Body):
    device_id: UUID
    status: str
    phase: str
    renewal_date: date | None
    options_from: str | None = Field(description="RFC 3339 instant, UTC with Z")
    preliminary_until: str | None = Field(description="RFC 3339 instant, UTC with Z")
    final_from: str | None = Field(description="RFC 3339 instant, UTC with Z")
    overdue: bool
    preliminary_choice: str | None
    final_decision: str | None
    price: PriceOut | None
    checkout_url: str | None
    actions: list[str] = Field(description="what the caller may do now")
    release_unmet: list[str] = Field(description="what still stands before a release")


def _instant(value: datetime | None) -> str | None:
    return utc_text(value) if value is not None else None


def options_out(options: DeviceOptions) -> dict[str, Any]:
    price = options.price
    return {
        "device_id": str(options.device_id),
        "status": str(options.status),
        "phase": str(options.phase),
        "renewal_date": options.renewal_date.isoformat() if options.renewal_date else None,
        "options_from": _instant(options.options_from),
        "preliminary_until": _instant(options.preliminary_until),
        "final_from": _instant(options.final_from),
        "overdue": options.overdue,
        "preliminary_choice": options.preliminary_choice,
        "final_decision": options.final_decision,
        "price": ({**money_out(price.amount), "source": str(price.source)} if price else None),
        "checkout_url": options.checkout_url,
        "actions": options.actions,
        "release_unmet": options.release_unmet,
    }
