"""What may be done with a device now (SPEC §2.2): its end-of-lease phase, windows, price and
the actions it allows, read from the device and the clock alone — ahead of the scheduler, so
a caller at R − 3 m sees the options open before a tick has recorded it — and the price a
buyout started now costs. Who may take an action (the employee buys out, admins release) is
the application's to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.model.buyout_price import BuyoutTerms, Quote, device_quote
from domain.model.device_lifecycle import IN_LEASE_FLOW, holds
from domain.model.end_of_lease import Phase, Windows, later_phase
from domain.model.errors import RuleViolation

if TYPE_CHECKING:
    from domain.model.device import Device


@dataclass(frozen=True, slots=True)
class LeaseOptions:
    phase: Phase  # as the clock puts it, if no tick has caught up yet
    windows: Windows | None  # None unless leased
    price: Quote | None  # None before the options open, or when no buyout is offered
    actions: tuple[str, ...]  # preliminary_choice | return | buyout (with a price)


def lease_options(device: Device, terms: BuyoutTerms, now: datetime) -> LeaseOptions:
    w = device.windows(terms.time_zone)
    phase = Phase(device.phase)
    if phase in (Phase.NONE, Phase.PRELIMINARY) and w is not None:
        phase = later_phase(phase, w.phase_due(now))
    price = device_quote(device, terms, now)
    actions: list[str] = []
    if holds(IN_LEASE_FLOW, device) and phase == Phase.PRELIMINARY:
        actions.append("preliminary_choice")
    if holds(IN_LEASE_FLOW, device) and phase == Phase.FINAL:
        actions += ["return", "buyout"] if price is not None else ["return"]
    shown = price if w is None or now >= w.options_from else None
    return LeaseOptions(phase=phase, windows=w, price=shown, actions=tuple(actions))


def buyout_offer(device: Device, terms: BuyoutTerms, now: datetime) -> Quote:
    """The price of a buyout started at `now` (the device's time rules applied first), refused
    before anything is asked of the payment provider."""
    quote = device_quote(device, terms, now)
    if quote is None:
        raise RuleViolation("No buyout is offered for this device; it can be returned.")
    device.ensure_buyout_can_start()
    return quote
