"""Device: a piece of hardware a company leases, rents or bought (SPEC §2).

This is the foundation slice: registration, assignment and the status field. The
end-of-lease flow (buyout, return, release) adds its events here later.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Actor
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.money import Money


class ContractType(StrEnum):
    LEASED = "leased"
    PURCHASED = "purchased"
    RENTAL = "rental"


class DeviceStatus(StrEnum):
    IN_STOCK = "in_stock"
    ACTIVE = "active"
    ACTIVE_PENDING_RETURN = "active_pending_return"
    ACTIVE_BOUGHT_BY_EMPLOYEE = "active_bought_by_employee"
    BOUGHT_BY_EMPLOYEE = "bought_by_employee"
    RETURNED = "returned"
    REMOVED = "removed"
    RMA_PENDING = "rma_pending"


TERMINAL_STATUSES = (DeviceStatus.BOUGHT_BY_EMPLOYEE, DeviceStatus.REMOVED)


def normalise_serial(serial: str) -> str:
    cleaned = serial.strip()
    if not cleaned:
        raise InvalidValue("A serial number cannot be blank.")
    return cleaned


def normalise_category(category: str) -> str:
    cleaned = category.strip().lower()
    if not cleaned:
        raise InvalidValue("A device needs a category (e.g. laptop, phone).")
    return cleaned


class Device(Aggregate):
    class Registered(LessorCreated):
        serial: str
        model: str
        category: str
        company_cost: Money
        contract_type: ContractType
        lease_start: date | None
        renewal_date: date | None
        replacement_for: UUID | None

    class Assigned(LessorEvent):
        member_id: UUID

    class Unassigned(LessorEvent):
        member_id: UUID

    @classmethod
    def register(
        cls,
        *,
        device_id: UUID,
        company_id: UUID,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
        replacement_for: UUID | None = None,
        cause: Cause,
    ) -> Device:
        if not model.strip():
            raise InvalidValue("A device needs a model.")
        if company_cost.minor < 0:
            raise InvalidValue("The company cost cannot be negative.")
        if contract_type == ContractType.LEASED:
            if lease_start is None or renewal_date is None:
                raise InvalidValue("A leased device needs a lease start and a renewal date.")
            if renewal_date <= lease_start:
                raise InvalidValue("The renewal date must come after the lease start.")
        elif renewal_date is not None:
            raise InvalidValue("Only leased devices have a renewal date.")
        return cls._create(
            cls.Registered,
            id=device_id,
            serial=normalise_serial(serial),
            model=model.strip(),
            category=normalise_category(category),
            company_cost=company_cost,
            contract_type=contract_type,
            lease_start=lease_start,
            renewal_date=renewal_date,
            replacement_for=replacement_for,
            **cause.stamp(company_id),
        )

    @event(Registered)
    def __init__(
        self,
        *,
        serial: str,
        model: str,
        category: str,
        company_cost: Money,
        contract_type: ContractType,
        lease_start: date | None,
        renewal_date: date | None,
        replacement_for: UUID | None,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        assert company_id is not None  # every device belongs to a company
        self.company_id: UUID = company_id
        self.serial = serial
        self.model = model
        self.category = category
        self.company_cost = company_cost
        self.contract_type = ContractType(contract_type)
        self.lease_start = lease_start
        self.renewal_date = renewal_date
        self.replacement_for = replacement_for
        self.assignee_id: UUID | None = None
        self.status = DeviceStatus.IN_STOCK
        self.registered_at = at

    def assign(self, member_id: UUID, *, cause: Cause) -> None:
        self._refuse_if_terminal("assign")
        if self.assignee_id == member_id:
            raise RuleViolation("The device is already assigned to this member.")
        if self.assignee_id is not None:
            raise RuleViolation("The device is assigned to someone else: unassign it first.")
        self._assigned(member_id=member_id, **cause.stamp(self.company_id))

    def unassign(self, *, cause: Cause) -> None:
        self._refuse_if_terminal("unassign")
        if self.assignee_id is None:
            raise RuleViolation("The device is not assigned to anyone.")
        self._unassigned(member_id=self.assignee_id, **cause.stamp(self.company_id))

    def _refuse_if_terminal(self, action: str) -> None:
        if self.status in TERMINAL_STATUSES:
            raise RuleViolation(f"Cannot {action} a device whose status is '{self.status}'.")

    @event(Assigned)
    def _assigned(
        self,
        *,
        member_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.assignee_id = member_id
        if self.status == DeviceStatus.IN_STOCK:
            self.status = DeviceStatus.ACTIVE

    @event(Unassigned)
    def _unassigned(
        self,
        *,
        member_id: UUID,
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        self.assignee_id = None
        if self.status == DeviceStatus.ACTIVE:
            self.status = DeviceStatus.IN_STOCK
