"""The facts of a device that its time rules read, folded from its events (the `due`
read model's side table `due_devices`).

The rules are the device's own, not a copy: a new row starts as `device_lifecycle.registered`
says, each event moves the status, phase and flags by its `Transition` (as the aggregate's
events do), "in the lease flow" and "bought" are `IN_LEASE_FLOW` and `RELEASABLE`, and what is
due next is `due.next_due` — the function the aggregate applies its time rules by. The fields
carry the aggregate's attribute names, so the rules read a row as they read a device.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.device_lifecycle import RELEASABLE, holds, registered, transition_of
from domain.model.end_of_lease import Choice, Phase
from projections.base import ViewSession

# `bought` is written for the queries (`digest_candidates`); it is read back from the status.
DEVICE_COLUMNS = (
    "company_id, registered_position, contract_type, renewal_date, assignee_id, status,"
    " received, phase, final_decision, overdue, checkout_expires_at, buyer_id,"
    " replacement_for, bought"
)


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """One `due_devices` row: what the device's events show."""

    company_id: str
    registered_position: int
    contract_type: ContractType
    renewal_date: date | None
    assignee_id: str | None
    status: DeviceStatus
    received: bool
    phase: Phase
    final_decision: Choice | None
    overdue: bool
    checkout_expires_at: datetime | None
    buyer_id: str | None
    replacement_for: str | None

    @property
    def bought(self) -> bool:
        """Bought by its employee and not yet released."""
        return holds(RELEASABLE, self)


def registered_facts(event: Device.Registered, position: int) -> DeviceFacts:
    lifecycle: dict[str, Any] = registered(replacement=event.replacement_for is not None)
    return DeviceFacts(
        company_id=str(event.company_id),
        registered_position=position,
        contract_type=ContractType(event.contract_type),
        renewal_date=event.renewal_date,
        assignee_id=None,
        checkout_expires_at=None,
        buyer_id=None,
        replacement_for=str(event.replacement_for) if event.replacement_for else None,
        **lifecycle,
    )


def folded(facts: DeviceFacts, event: Any) -> DeviceFacts:
    """The device's facts after one of its events: its lifecycle transition, read on the
    facts before it, then the fields of its own that the rules read."""
    moved: dict[str, Any] = transition_of(event).changes(facts)
    after = replace(facts, **moved)
    if isinstance(event, Device.Assigned):
        return replace(after, assignee_id=str(event.member_id))
    if isinstance(event, Device.Unassigned):
        return replace(after, assignee_id=None)
    if isinstance(event, Device.BuyoutCheckoutStarted):
        return replace(after, checkout_expires_at=event.expires_at)
    if isinstance(event, Device.BuyoutCheckoutFailed):
        return replace(after, checkout_expires_at=None)
    if isinstance(event, Device.BuyoutPaid):
        return replace(after, buyer_id=facts.assignee_id)
    return after


def values(facts: DeviceFacts) -> tuple[Any, ...]:
    return (
        facts.company_id,
        facts.registered_position,
        facts.contract_type.value,
        facts.renewal_date.isoformat() if facts.renewal_date else None,
        facts.assignee_id,
        facts.status.value,
        facts.received,
        facts.phase.value,
        facts.final_decision.value if facts.final_decision else None,
        facts.overdue,
        facts.checkout_expires_at.isoformat() if facts.checkout_expires_at else None,
        facts.buyer_id,
        facts.replacement_for,
        facts.bought,
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
        contract_type=ContractType(row[2]),
        renewal_date=date.fromisoformat(row[3]) if row[3] else None,
        assignee_id=row[4],
        status=DeviceStatus(row[5]),
        received=bool(row[6]),
        phase=Phase(row[7]),
        final_decision=Choice(row[8]) if row[8] else None,
        overdue=bool(row[9]),
        checkout_expires_at=datetime.fromisoformat(row[10]) if row[10] else None,
        buyer_id=row[11],
        replacement_for=row[12],
    )
