"""/v1/devices/{id}/…: the end of a lease — what may be done now, and the choices."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.http.schemas.common import Versioned, money_out
from domain.application import DeviceOptions
from domain.model.end_of_lease import Choice


class PreliminaryChoiceIn(Versioned):
    choice: Choice | None = Field(description="buyout, return, or null to withdraw")


def options_out(options: DeviceOptions) -> dict[str, Any]:
    price = options.price
    return {
        "device_id": str(options.device_id),
        "status": str(options.status),
        "phase": str(options.phase),
        "renewal_date": options.renewal_date.isoformat() if options.renewal_date else None,
        "options_from": options.options_from.isoformat() if options.options_from else None,
        "preliminary_until": (
            options.preliminary_until.isoformat() if options.preliminary_until else None
        ),
        "final_from": options.final_from.isoformat() if options.final_from else None,
        "overdue": options.overdue,
        "preliminary_choice": options.preliminary_choice,
        "final_decision": options.final_decision,
        "price": ({**money_out(price.amount), "source": str(price.source)} if price else None),
        "checkout_url": options.checkout_url,
        "actions": options.actions,
        "release_unmet": options.release_unmet,
    }
