"""Usage billing's pure rules (SPEC §5): kinds, changes, an entity's intervals, local months.

Shared by the UsageLedger (which refuses a change that contradicts an entity's timeline) and
the usage read model (which folds the same timelines into month rows), so the two never
disagree about which interval a change opens or closes, or which months an interval touches.

An entity's timeline is its changes in instant order. It is consistent when it alternates
activated, deactivated, activated, … from an activation, with no two changes at one instant;
each activation opens an interval [activated, deactivated) and a last activation without a
deactivation leaves it open. Month M (in the company's time zone) counts every entity whose
interval overlaps [local midnight of M's 1st, local midnight of M+1's 1st).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from domain.model import bounds
from domain.model.errors import InvalidValue
from domain.model.text import clean_text
from domain.model.time import (
    TimeZoneName,
    add_months,
    local_date,
    local_midnight,
    require_utc,
)

MAX_BATCH: Final = 1_000  # changes in one request (one event, one transaction)
MAX_ID_LENGTH: Final = 100  # a change id or an entity's external id


class UsageKind(StrEnum):
    SUPERUSER = "superuser"
    PORTAL_USER = "portal_user"
    ARCHIVE_USER = "archive_user"
    SMART = "smart"
    COMPLETE = "complete"
    EXTRA_COMPANY = "extra_company"


# The invoice description of each kind until the operator sets another (SPEC §5): the same
# name the portal shows.
DEFAULT_DESCRIPTIONS: Final = {
    UsageKind.SMART: "Reporting – Smart",
    UsageKind.COMPLETE: "Reporting – Complete",
    UsageKind.EXTRA_COMPANY: "Reporting – Extra company",
    UsageKind.SUPERUSER: "Reporting – Superuser",
    UsageKind.PORTAL_USER: "Reporting – Portal user",
    UsageKind.ARCHIVE_USER: "Reporting – Archive user",
}


class UsageAction(StrEnum):
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class UsageChange:
    """One client-sent fact: entity (kind, external id) became active or inactive at `at`."""

    change_id: str
    kind: str  # a UsageKind value (plain str: snapshots restore enums as their values)
    entity_id: str
    action: str  # a UsageAction value
    at: datetime  # UTC

    @property
    def entity(self) -> str:
        """The timeline key: kind and external id (kinds hold no '/')."""
        return f"{self.kind}/{self.entity_id}"


def checked_change(
    *, change_id: object, kind: object, entity_id: object, action: object, at: object
) -> UsageChange:
    """A change as a client sent it, in normal form; InvalidValue naming what is wrong."""
    cid = _identifier(change_id, "change id")
    what = f"Change '{cid}'"
    if kind not in set(UsageKind):
        known = ", ".join(k.value for k in UsageKind)
        raise InvalidValue(f"{what}: unknown kind {kind!r} (one of {known}).")
    if action not in set(UsageAction):
        raise InvalidValue(f"{what}: the action is 'activated' or 'deactivated', got {action!r}.")
    if not isinstance(at, datetime):
        raise InvalidValue(f"{what}: the instant must be a datetime, got {at!r}.")
    instant = bounds.instant(at, f"{what}: the instant")
    return UsageChange(
        change_id=cid,
        kind=str(UsageKind(str(kind))),
        entity_id=_identifier(entity_id, f"{what}: entity id"),
        action=str(UsageAction(str(action))),
        at=require_utc(instant),
    )


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"The {what} must be text, got {value!r}.")
    text = clean_text(value, what)
    if not text or len(text) > MAX_ID_LENGTH:
        raise InvalidValue(f"The {what} must be 1 to {MAX_ID_LENGTH} characters, got {text!r}.")
    return text


# ------------------------------------------------------------------- timelines


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Why `change` cannot join its entity's timeline."""

    change: UsageChange
    reason: str

    @property
    def detail(self) -> str:
        c = self.change
        return (
            f"Change '{c.change_id}' ({c.action} {c.kind} '{c.entity_id}' at"
            f" {c.at.isoformat()}): {self.reason}"
        )


def contradictions(
    timeline: Sequence[UsageChange], new: Iterable[UsageChange]
) -> list[Contradiction]:
    """What is wrong with a consistent `timeline` once `new` (of the same entity) joins it,
    each blamed on a new change; empty when the merged timeline is consistent.

    Only the merged set matters, not the order the new changes are given in."""
    fresh = {c.change_id for c in new}
    merged = sorted([*timeline, *new], key=lambda c: (c.at, c.change_id))
    found: dict[str, Contradiction] = {}

    def blame(change: UsageChange, other: UsageChange, reason: str) -> None:
        culprit = change if change.change_id in fresh else other
        found.setdefault(culprit.change_id, Contradiction(culprit, reason))

    for i, change in enumerate(merged):
        if i == 0:
            if change.action == UsageAction.DEACTIVATED:
                blame(change, change, "it is deactivated before any activation.")
            continue
        previous = merged[i - 1]
        if change.at == previous.at:
            blame(change, previous, f"change '{previous.change_id}' is at the same instant.")
        elif change.action == previous.action == UsageAction.ACTIVATED:
            blame(
                change,
                previous,
                f"it is already active since {previous.at.isoformat()} (change"
                f" '{previous.change_id}'): the intervals would overlap.",
            )
        elif change.action == previous.action == UsageAction.DEACTIVATED:
            blame(
                change,
                previous,
                f"it is not active then: it was deactivated at {previous.at.isoformat()}"
                f" (change '{previous.change_id}') and not activated again before.",
            )
    return list(found.values())


def ordered(timeline: Iterable[UsageChange]) -> list[UsageChange]:
    return sorted(timeline, key=lambda c: (c.at, c.change_id))


@dataclass(frozen=True, slots=True)
class ActiveInterval:
    """[start, end) of one entity; `end` None while it is still active."""

    start: datetime
    end: datetime | None


def intervals(timeline: Iterable[UsageChange]) -> list[ActiveInterval]:
    """The intervals of a consistent timeline, in order."""
    found: list[ActiveInterval] = []
    start: datetime | None = None
    for change in ordered(timeline):
        if change.action == UsageAction.ACTIVATED:
            start = change.at
        elif start is not None:
            found.append(ActiveInterval(start, change.at))
            start = None
    if start is not None:
        found.append(ActiveInterval(start, None))
    return found


# ------------------------------------------------------------------- months


def month_text(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def parse_month(text: object) -> date:
    """The first day of month 'YYYY-MM' within the bounds; InvalidValue otherwise."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        raise InvalidValue(f"A month is written YYYY-MM, got {text!r}.")
    try:
        first = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise InvalidValue(f"A month is written YYYY-MM, got {text!r}.") from None
    return bounds.business_date(first, "The month")


def month_of(instant: datetime, tz: TimeZoneName) -> str:
    """The local month ('YYYY-MM') `instant` lies in."""
    return month_text(local_date(instant, tz))


def month_bounds(month: date, tz: TimeZoneName) -> tuple[datetime, datetime]:
    """[local midnight of the 1st, local midnight of the next month's 1st) as UTC instants."""
    first = month.replace(day=1)
    return local_midnight(first, tz), local_midnight(add_months(first, 1), tz)


def months_touched(interval: ActiveInterval, tz: TimeZoneName) -> tuple[str, str | None]:
    """The first and last local month the interval overlaps (last None while open). An
    interval that ends exactly at a local month start does not touch that month."""
    first = month_of(interval.start, tz)
    if interval.end is None:
        return first, None
    end_day = local_date(interval.end, tz)
    last = end_day.replace(day=1)
    if local_midnight(last, tz) >= interval.end:
        last = add_months(last, -1)
    return first, max(first, month_text(last))
