"""The device's rules, declared once as data (SPEC §2, §2.2; docs/adr/0009).

- `TRANSITIONS`: what each event does to a device's lifecycle fields: the status it moves to
  (if its conditions hold) and the phase and flags it sets.
- `IN_LEASE_FLOW`: when the end-of-lease rules apply to a device.
- `RELEASABLE`, `REPLACEMENT_READY`, `offboarding_due`: when a bought device may be released.

The aggregate applies these declarations in Python (`Transition.apply`, `holds`). The hardware
overview turns the same declarations into SQL (`projections/device_rules_sql.py`), so it still
writes each event in one statement without a read, and view queries filter on the same rules.
A condition is read on the state before the event, as the right-hand side of an SQL `UPDATE`
is. Tests check that the aggregate and the view agree on every sequence of commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.model.end_of_lease import Choice, Phase


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

# The fields the transitions own, on the aggregate and as the view's columns alike.
LIFECYCLE_FIELDS = ("status", "phase", "received", "final_decision", "overdue")


@dataclass(frozen=True, slots=True)
class Check:
    """One fact about a device: `field` equals `value` or, `negated`, differs from it.
    `None` is a value like any other: `Check("assignee_id", None, negated=True)` is "assigned"."""

    field: str
    value: str | bool | None
    negated: bool = False

    def holds(self, subject: object) -> bool:
        equal: bool = getattr(subject, self.field) == self.value
        return equal != self.negated


Rule = tuple[Check, ...]  # every check holds (the empty rule always holds)


def is_(field: str, value: str | bool | None) -> Check:
    return Check(field, value)


def is_not(field: str, value: str | bool | None) -> Check:
    return Check(field, value, negated=True)


def holds(rule: Rule, subject: object) -> bool:
    return all(check.holds(subject) for check in rule)


@dataclass(frozen=True, slots=True)
class Transition:
    """What one event does to the lifecycle fields: it moves the status to `status` when
    `when` holds before the event, and sets each other field given here (None: untouched)."""

    status: DeviceStatus | None = None
    when: Rule = ()
    phase: Phase | None = None
    received: bool | None = None
    final_decision: Choice | None = None
    overdue: bool | None = None

    def sets(self) -> dict[str, str | bool]:
        """The fields this event sets outright, whatever the state before."""
        given = {
            "phase": self.phase,
            "received": self.received,
            "final_decision": self.final_decision,
            "overdue": self.overdue,
        }
        return {name: value for name, value in given.items() if value is not None}

    def changes(self, before: object) -> dict[str, str | bool]:
        """The fields this event changes on a device in the state `before`."""
        moved = {"status": self.status} if self.status and holds(self.when, before) else {}
        return {**moved, **self.sets()}

    def apply(self, device: object) -> None:
        for name, value in self.changes(device).items():
            setattr(device, name, value)


S = DeviceStatus
_IN_STOCK = is_("status", S.IN_STOCK)

# Keyed by the event class's name, which is part of its stored topic and so never changes.
# Events not named here move none of the lifecycle fields.
TRANSITIONS: Mapping[str, Transition] = {
    # A replacement becomes active on assignment only once received, and on receipt if assigned.
    "Assigned": Transition(S.ACTIVE, when=(_IN_STOCK, is_("received", True))),
    "MarkedReceived": Transition(
        S.ACTIVE, when=(_IN_STOCK, is_not("assignee_id", None)), received=True
    ),
    "Unassigned": Transition(S.IN_STOCK, when=(is_("status", S.ACTIVE),)),
    "EndOfLeaseOpened": Transition(phase=Phase.PRELIMINARY),
    "FinalDecisionRequested": Transition(phase=Phase.FINAL),
    "BuyoutCheckoutStarted": Transition(phase=Phase.CHECKOUT_OPEN),
    "BuyoutCheckoutFailed": Transition(phase=Phase.FINAL),  # back to the options: retry
    "ReturnChosen": Transition(
        S.ACTIVE_PENDING_RETURN, phase=Phase.DECIDED, final_decision=Choice.RETURN, overdue=False
    ),
    "BuyoutPaid": Transition(
        S.ACTIVE_BOUGHT_BY_EMPLOYEE,
        phase=Phase.DECIDED,
        final_decision=Choice.BUYOUT,
        overdue=False,
    ),
    "MarkedOverdue": Transition(overdue=True),
    "Released": Transition(S.BOUGHT_BY_EMPLOYEE),
    "ReturnConfirmed": Transition(S.RETURNED),
    "Removed": Transition(S.REMOVED),
    "RmaSwapped": Transition(S.RMA_PENDING),
}


NO_TRANSITION = Transition()


def transition_of(event: object) -> Transition:
    """What the event does to the lifecycle fields, by its class name (the stored topic's)."""
    return TRANSITIONS.get(type(event).__name__, NO_TRANSITION)


def registered(*, replacement: bool) -> dict[str, str | bool | None]:
    """The lifecycle fields of a device just registered: in stock, outside the end-of-lease
    flow; a replacement awaits receipt, other devices are at hand."""
    return {
        "status": S.IN_STOCK,
        "phase": Phase.NONE,
        "received": not replacement,
        "final_decision": None,
        "overdue": False,
    }


# The end-of-lease rules (windows, final decision, overdue) apply to a device in use on a lease.
IN_LEASE_FLOW: Rule = (
    is_("contract_type", ContractType.LEASED),
    is_not("renewal_date", None),
    is_not("assignee_id", None),
    is_("status", S.ACTIVE),
)

# Only a device its employee bought can be released: when its linked replacement meets every
# criterion, or when the buyer's offboarding release time has passed (SPEC §2.2 steps 5, 7).
RELEASABLE: Rule = (is_("status", S.ACTIVE_BOUGHT_BY_EMPLOYEE),)


@dataclass(frozen=True, slots=True)
class Criterion:
    unmet: str  # the reason given while the rule does not hold
    rule: Rule


REPLACEMENT_READY: tuple[Criterion, ...] = (
    Criterion(
        "the replacement is not received (active)",
        (is_("received", True), is_("status", S.ACTIVE)),
    ),
    Criterion("the replacement has no serial number recorded", (is_not("serial", ""),)),
)
NO_REPLACEMENT = "no replacement device is linked"


def replacement_unmet(replacement: object | None) -> list[str]:
    if replacement is None:
        return [NO_REPLACEMENT]
    return [c.unmet for c in REPLACEMENT_READY if not holds(c.rule, replacement)]


def offboarding_due(release_from: datetime | None, now: datetime) -> bool:
    """From 05:00 on the buyer's last employment day (`release_from`) the device may go."""
    return release_from is not None and now >= release_from


def ready_to_release(
    device: object, replacement: object | None, release_from: datetime | None, now: datetime
) -> bool:
    return holds(RELEASABLE, device) and (
        offboarding_due(release_from, now) or not replacement_unmet(replacement)
    )
