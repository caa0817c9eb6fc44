"""The facts a device records (SPEC §2, §2.2), each with what it changes on the device.

`Device` nests a subclass of each under the same name, and the library declares that again as
its own `Device.<Name>`: the class events are made of and stored as (topic
`domain.model.device:Device.<Name>`, ADR 0003). So record and match `Device.Assigned`, never
`Assigned` from here (its topic would be this module's).

How a fact moves the status, phase and end-of-lease flags is `device_lifecycle.TRANSITIONS`,
applied first; `evolve` keeps what the event itself carries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from domain.model.device_lifecycle import ContractType, transition_of
from domain.model.end_of_lease import Choice, Phase
from domain.model.events import LessorCreated, LessorEvent
from domain.model.money import Money

if TYPE_CHECKING:
    from domain.model.device import Device


class DeviceEvent(LessorEvent):
    """A fact about a device. Its lifecycle transition applies first, reading the state before
    the event (as the projection's SQL does); then `evolve` keeps the event's own fields."""

    def apply(self, aggregate: Device) -> None:
        transition_of(self).apply(aggregate)
        self.evolve(aggregate)

    def evolve(self, device: Device) -> None:
        """What the event changes beyond the lifecycle fields: nothing, unless it says so."""


class NewDevice(TypedDict):
    """What registering a device is told, passed through whole from the caller; the device
    normalises it and records it as `Registered` (with `replacement_for`)."""

    serial: str
    model: str
    category: str
    company_cost: Money
    contract_type: ContractType
    lease_start: date | None
    renewal_date: date | None


class Registered(LessorCreated):
    class_version = 1
    serial: str
    model: str
    category: str
    company_cost: Money
    contract_type: ContractType
    lease_start: date | None
    renewal_date: date | None
    replacement_for: UUID | None


class Assigned(DeviceEvent):
    class_version = 1
    member_id: UUID

    def evolve(self, device: Device) -> None:
        device.assignee_id = self.member_id


class Unassigned(DeviceEvent):
    class_version = 1
    member_id: UUID

    def evolve(self, device: Device) -> None:
        device.assignee_id = None


# --- end of lease (SPEC §2.2)
class EndOfLeaseOpened(DeviceEvent):
    class_version = 1
    renewal_date: date
    options_from: datetime
    final_from: datetime


class PreliminaryChoiceMade(DeviceEvent):
    class_version = 1
    choice: Choice | None
    previous: Choice | None

    def evolve(self, device: Device) -> None:
        device.preliminary_choice = Choice(self.choice) if self.choice else None


class FinalDecisionRequested(DeviceEvent):
    class_version = 1
    member_id: UUID  # who must decide: the assignee
    deadline: date  # the renewal date
    price: Money | None  # None: no buyout offered, only return
    price_source: str | None


class ReturnChosen(DeviceEvent):
    class_version = 1
    member_id: UUID | None


class BuyoutCheckoutStarted(DeviceEvent):
    class_version = 1
    attempt: int
    session_id: str
    url: str
    amount: Money  # frozen: the price the employee pays, whatever the curve does later
    price_source: str
    expires_at: datetime

    def evolve(self, device: Device) -> None:
        device.checkout_attempts = self.attempt
        device.checkout_session_id = self.session_id
        device.checkout_url = self.url
        device.checkout_amount = self.amount
        device.checkout_expires_at = self.expires_at


class BuyoutCheckoutFailed(DeviceEvent):
    class_version = 1
    session_id: str
    reason: str  # failed | expired | cancelled

    def evolve(self, device: Device) -> None:
        device.checkout_session_id = None
        device.checkout_url = None
        device.checkout_amount = None
        device.checkout_expires_at = None


class BuyoutPaid(DeviceEvent):
    class_version = 1
    session_id: str
    payment_id: str | None
    amount: Money
    paid_at: datetime

    def evolve(self, device: Device) -> None:
        device.paid_amount = self.amount
        device.paid_session_id = self.session_id
        device.buyer_id = device.assignee_id


class BuyoutPaymentRejected(DeviceEvent):
    """A payment that does not match the open checkout: flagged, never fulfilled (a fact
    for the event log and reconciliation; the device does not change)."""

    class_version = 1
    session_id: str
    payment_id: str | None
    amount: Money | None
    reason: str


class MarkedOverdue(DeviceEvent):
    class_version = 1
    renewal_date: date


# --- replacement, receipt, release, return
class ReplacementLinked(DeviceEvent):
    class_version = 1
    replacement_id: UUID

    def evolve(self, device: Device) -> None:
        device.replacement_id = self.replacement_id


class DeliveryReported(DeviceEvent):
    class_version = 1

    def evolve(self, device: Device) -> None:
        device.delivered = True


class MarkedReceived(DeviceEvent):
    class_version = 1
    method: str  # manual | auto (delivered and the company auto-marks received)


class SerialRecorded(DeviceEvent):
    class_version = 1
    serial: str

    def evolve(self, device: Device) -> None:
        device.serial = self.serial


class Released(DeviceEvent):
    class_version = 1
    member_id: UUID | None
    reason: str  # replacement_received | offboarding


class ReturnConfirmed(DeviceEvent):
    class_version = 1


class Removed(DeviceEvent):
    class_version = 1


# --- rentals (seed 003): ready for the rental-credits work
class RmaSwapped(DeviceEvent):
    class_version = 1
    replacement_id: UUID

    def evolve(self, device: Device) -> None:
        device.replacement_id = self.replacement_id
        device.rental_active = False


class RentalDeactivated(DeviceEvent):
    class_version = 1

    def evolve(self, device: Device) -> None:
        device.rental_active = False


# --- buyout price inputs
class BuyoutPriceSet(DeviceEvent):
    class_version = 1
    amount: Money | None  # None clears the manual price
    source: str  # api | csv

    def evolve(self, device: Device) -> None:
        device.manual_price = self.amount
        device.manual_price_set_at = self.at if self.amount is not None else None


class BuyoutAvailabilitySet(DeviceEvent):
    class_version = 1
    available: bool

    def evolve(self, device: Device) -> None:
        device.buyout_available = self.available


def upcast_v1_v2(state: dict[str, Any]) -> None:
    """`Device.upcast_v1_v2`: snapshots before v2 lack what later slices added (all of it, if
    taken before the end-of-lease slice; `checkout_expires_at` until a checkout started).
    Such a device had none of it: it was at hand (received), outside the end-of-lease flow."""
    state.setdefault("received", True)
    state.setdefault("phase", Phase.NONE)
    state.setdefault("final_decision", None)
    state.setdefault("overdue", False)
    state.setdefault("rental_active", state["contract_type"] == ContractType.RENTAL)
    state.setdefault("checkout_attempts", 0)
    state.setdefault("delivered", False)
    state.setdefault("buyout_available", True)
    for name in _ABSENT_UNTIL_SET:
        state.setdefault(name, None)


# Attributes that are None until an event sets them (filled in by `upcast_v1_v2`).
_ABSENT_UNTIL_SET = (  # noqa: SIM905 (a list of names, compact)
    "replacement_id preliminary_choice checkout_session_id checkout_amount checkout_url"
    " checkout_expires_at paid_amount paid_session_id buyer_id manual_price manual_price_set_at"
).split()
