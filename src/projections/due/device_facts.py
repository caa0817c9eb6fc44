"""The facts of a device that its time rules read, folded from its events (the `due`
read model's side table `due_devices`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain.model.device import ContractType, Device
from domain.model.due import LeaseFacts
from domain.model.end_of_lease import Phase
from projections.base import ViewSession

DEVICE_COLUMNS = (
    "company_id, registered_position, renewal_date, assignee_id, received, decided, phase,"
    " overdue, checkout_expires_at, bought, buyer_id, replacement_for"
)


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """One `due_devices` row: what the device's events show."""

    company_id: str
    registered_position: int
    renewal_date: str | None  # leased devices only
    assignee_id: str | None
    received: bool
    decided: bool  # a final decision (return, or buyout paid)
    phase: str
    overdue: bool
    checkout_expires_at: str | None
    bought: bool  # bought by its employee and not yet released
    buyer_id: str | None
    replacement_for: str | None

    def lease(self) -> LeaseFacts:
        # Active leased device = assigned, received and undecided (the status machine's
        # ACTIVE for a leased device; rentals' RMA status never applies here).
        return LeaseFacts(
            renewal_date=date.fromisoformat(self.renewal_date) if self.renewal_date else None,
            in_lease_flow=self.assignee_id is not None and self.received and not self.decided,
            phase=Phase(self.phase),
            overdue=self.overdue,
            checkout_expires_at=(
                datetime.fromisoformat(self.checkout_expires_at)
                if self.checkout_expires_at
                else None
            ),
        )


def registered(event: Device.Registered, position: int) -> DeviceFacts:
    leased = event.contract_type == ContractType.LEASED
    return DeviceFacts(
        company_id=str(event.company_id),
        registered_position=position,
        renewal_date=event.renewal_date.isoformat() if leased and event.renewal_date else None,
        assignee_id=None,
        received=event.replacement_for is None,  # a replacement awaits receipt
        decided=False,
        phase=Phase.NONE.value,
        overdue=False,
        checkout_expires_at=None,
        bought=False,
        buyer_id=None,
        replacement_for=str(event.replacement_for) if event.replacement_for else None,
    )


def folded(facts: DeviceFacts, event: Any) -> DeviceFacts:
    """The device's facts after one of its events (those its time rules read)."""
    if isinstance(event, Device.Assigned):
        return replace(facts, assignee_id=str(event.member_id))
    if isinstance(event, Device.Unassigned):
        return replace(facts, assignee_id=None)
    if isinstance(event, Device.MarkedReceived):
        return replace(facts, received=True)
    if isinstance(event, Device.EndOfLeaseOpened):
        return replace(facts, phase=Phase.PRELIMINARY.value)
    if isinstance(event, Device.FinalDecisionRequested):
        return replace(facts, phase=Phase.FINAL.value)
    if isinstance(event, Device.BuyoutCheckoutStarted):
        return replace(
            facts, phase=Phase.CHECKOUT_OPEN.value, checkout_expires_at=event.expires_at.isoformat()
        )
    if isinstance(event, Device.BuyoutCheckoutFailed):
        return replace(facts, phase=Phase.FINAL.value, checkout_expires_at=None)
    if isinstance(event, Device.MarkedOverdue):
        return replace(facts, overdue=True)
    if isinstance(event, Device.ReturnChosen):
        return replace(facts, decided=True, phase=Phase.DECIDED.value, overdue=False)
    if isinstance(event, Device.BuyoutPaid):
        return replace(
            facts,
            decided=True,
            phase=Phase.DECIDED.value,
            overdue=False,
            checkout_expires_at=None,
            bought=True,
            buyer_id=facts.assignee_id,
        )
    if isinstance(event, Device.Released):
        return replace(facts, bought=False)
    return facts


def values(facts: DeviceFacts) -> tuple[Any, ...]:
    return (
        facts.company_id,
        facts.registered_position,
        facts.renewal_date,
        facts.assignee_id,
        facts.received,
        facts.decided,
        facts.phase,
        facts.overdue,
        facts.checkout_expires_at,
        facts.bought,
        facts.buyer_id,
        facts.replacement_for,
    )


def device_facts(view: ViewSession, device: str) -> DeviceFacts | None:
    row = view.fetchone(
        f"SELECT {DEVICE_COLUMNS} FROM {{due_devices}} WHERE device_id = ?",  # noqa: S608
        (device,),
    )
    if row is None:
        return None
    return DeviceFacts(
        company_id=row[0],
        registered_position=int(row[1]),
        renewal_date=row[2],
        assignee_id=row[3],
        received=bool(row[4]),
        decided=bool(row[5]),
        phase=row[6],
        overdue=bool(row[7]),
        checkout_expires_at=row[8],
        bought=bool(row[9]),
        buyer_id=row[10],
        replacement_for=row[11],
    )
