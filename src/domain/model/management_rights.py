"""Subscription management rights: what a company's admins and service accounts may change
in their subscriptions themselves, as the provider granted it (SPEC §3, seed 004, ADR 0031).

Operators (and the scheduler) are never limited. The rights limit what is bought and how
it renews; assigning the seats already bought to members is not limited by them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from domain.model.actor import Role
from domain.model.errors import InvalidValue, NotAllowed
from domain.model.pricing import Term
from domain.model.product import ProductKind


class ManagementRight(StrEnum):
    NONE = "none"  # read only
    MONTHLY_ONLY = "monthly_only"  # increase and decrease monthly licences
    INCREASE_ONLY = "increase_only"  # add seats to any subscription, remove none
    FULL = "full"  # everything the subscription rules allow


DEFAULT_RIGHT = ManagementRight.FULL


class SubscriptionChange(StrEnum):
    """The subscription commands a management right can refuse."""

    CREATE = "create a subscription"
    ADD_SEATS = "add seats"
    REMOVE_SEATS = "remove seats"
    CHANGE_RENEWAL = "change the renewal option"
    CANCEL = "cancel at term end"
    CHANGE_PO_REFERENCE = "change the PO reference"
    LICENCES = "assign or unassign licences"


R = ManagementRight
# Which rights allow each change; None: depends on the term (below).
_ALLOWED: dict[SubscriptionChange, frozenset[ManagementRight]] = {
    SubscriptionChange.CREATE: frozenset({R.FULL}),
    SubscriptionChange.CHANGE_RENEWAL: frozenset({R.FULL}),
    SubscriptionChange.CANCEL: frozenset({R.FULL}),
    SubscriptionChange.CHANGE_PO_REFERENCE: frozenset({R.MONTHLY_ONLY, R.INCREASE_ONLY, R.FULL}),
    SubscriptionChange.LICENCES: frozenset(R),
}
_SEATS_MONTHLY: dict[SubscriptionChange, frozenset[ManagementRight]] = {
    SubscriptionChange.ADD_SEATS: frozenset({R.MONTHLY_ONLY, R.INCREASE_ONLY, R.FULL}),
    SubscriptionChange.REMOVE_SEATS: frozenset({R.MONTHLY_ONLY, R.FULL}),
}
_SEATS_PREPAID: dict[SubscriptionChange, frozenset[ManagementRight]] = {
    SubscriptionChange.ADD_SEATS: frozenset({R.INCREASE_ONLY, R.FULL}),
    SubscriptionChange.REMOVE_SEATS: frozenset({R.FULL}),
}


def management_right(value: str) -> ManagementRight:
    """Parse a right at the boundary: one of the four names, nothing else."""
    try:
        return ManagementRight(value)
    except ValueError:
        names = ", ".join(r.value for r in ManagementRight)
        raise InvalidValue(f"Unknown management right '{value}' (one of: {names}).") from None


def allowed_rights(change: SubscriptionChange, term: Term | None) -> frozenset[ManagementRight]:
    """The rights under which a company's admin may make `change` to a subscription of
    `term` (None: no subscription yet, or the term does not matter)."""
    if change in _ALLOWED:
        return _ALLOWED[change]
    table = _SEATS_MONTHLY if term == Term.MONTHLY else _SEATS_PREPAID
    return table[change]


def require_right(
    role: Role, right: ManagementRight, change: SubscriptionChange, term: Term | None = None
) -> None:
    """Refuse (403) an admin's or service account's change their company's right does not
    cover, naming the right that is missing. Operators and the system are never limited."""
    if role in (Role.OPERATOR, Role.SYSTEM):
        return
    allowed = allowed_rights(change, term)
    if right in allowed:
        return
    needed = " or ".join(f"'{r.value}'" for r in ManagementRight if r in allowed)
    what = f"{change.value} on a {term.value} subscription" if term else change.value
    raise NotAllowed(
        f"The company's subscription management right is '{right.value}': to {what} it needs"
        f" {needed}. Ask your provider, or have an operator do it."
    )


def require_grantable(role: Role, kinds: Iterable[ProductKind]) -> None:
    """Custom products are free and granted by the provider: only an operator (or the
    system) puts them on a subscription."""
    if role not in (Role.OPERATOR, Role.SYSTEM) and ProductKind.CUSTOM in set(kinds):
        raise NotAllowed("Custom products are granted by the provider: ask an operator.")
