"""What may be done with a device now (SPEC §2.2): its end-of-lease phase, windows, price and
the actions it allows, read from the device and the clock alone — ahead of the scheduler, so
a caller at R − 3 m sees the options open before a tick has recorded it — and what a buyout
started now, or its cancel, asks of the payment provider. Who may take an action (the
employee buys out, admins release) is the application's to say.
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


@dataclass(frozen=True, slots=True)
class BuyoutOffer:
    """What a buyout started now asks of the payment provider."""

    quote: Quote  # the price of this moment, frozen by the checkout
    attempt: int  # the checkout's number: it keys the request's idempotency
    description: str


def buyout_offer(device: Device, terms: BuyoutTerms, now: datetime) -> BuyoutOffer:
    """The buyout a checkout opened at `now` is for, on a device caught up to `now`; refused
    before anything is asked of the payment provider."""
    quote = device_quote(device, terms, now)
    if quote is None:
        raise RuleViolation("No buyout is offered for this device; it can be returned.")
    device.ensure_buyout_can_start()
    return BuyoutOffer(
        quote=quote,
        attempt=device.checkout_attempts + 1,
        description=f"Buyout of {device.model} ({device.serial})",
    )


def checkout_to_cancel(device: Device) -> str:
    """The open checkout's session, which a cancel expires at the provider first."""
    if device.phase != Phase.CHECKOUT_OPEN or device.checkout_session_id is None:
        raise RuleViolation("There is no buyout payment under way to cancel.")
    return device.checkout_session_id
