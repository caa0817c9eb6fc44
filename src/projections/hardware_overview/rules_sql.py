"""The device's rules (`domain/model/device_lifecycle.py`) rendered into portable SQL.

The hardware overview's columns bear the names of the aggregate's fields, so a `Check` on a
field becomes a condition on its column, and an event's `Transition` becomes the `SET` list
of one `UPDATE` (`status = CASE WHEN … THEN … ELSE status END`) — no read, as ADR 0007 wants.
Values are our own enum values and flags, written as SQL literals: each statement's text is
fixed per event class, so a run of them still goes out as one `executemany`.
"""

from __future__ import annotations

from functools import cache

from domain.model.device_lifecycle import (
    IN_LEASE_FLOW,
    RELEASABLE,
    REPLACEMENT_READY,
    TRANSITIONS,
    Check,
    Rule,
    Transition,
)


def literal(value: str | bool | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "'" + str(value).replace("'", "''") + "'"


def condition(check: Check, alias: str = "") -> str:
    column = f"{alias}.{check.field}" if alias else check.field
    if check.value is None:
        return f"{column} IS NOT NULL" if check.negated else f"{column} IS NULL"
    return f"{column} {'<>' if check.negated else '='} {literal(check.value)}"


def rule_sql(rule: Rule, alias: str = "") -> str:
    return " AND ".join(condition(check, alias) for check in rule) if rule else "TRUE"


def assignments(transition: Transition) -> list[str]:
    """The `SET` items of an event's transition."""
    items = []
    if transition.status is not None:
        target = literal(transition.status)
        items.append(
            f"status = CASE WHEN {rule_sql(transition.when)} THEN {target} ELSE status END"
            if transition.when
            else f"status = {target}"
        )
    items += [f"{name} = {literal(value)}" for name, value in transition.sets().items()]
    return items


@cache
def transition_sql(event_name: str) -> tuple[str, ...]:
    """The `SET` items for the event class of that name (none if it moves no lifecycle field)."""
    transition = TRANSITIONS.get(event_name)
    return tuple(assignments(transition)) if transition is not None else ()


def in_lease_flow_sql(alias: str = "") -> str:
    return rule_sql(IN_LEASE_FLOW, alias)


def ready_to_release_sql(table: str = "hardware_overview", alias: str = "h") -> str:
    """Whether the row `alias` may be released at the instant bound to its one `?` (fixed-width
    UTC text): bought, and its buyer's offboarding release time passed (`offboarding_due`) or
    its linked replacement meets every criterion."""
    bought = rule_sql(RELEASABLE, alias)
    offboarding = f"{alias}.release_from IS NOT NULL AND {alias}.release_from <= ?"
    criteria = " AND ".join(rule_sql(c.rule, "r") for c in REPLACEMENT_READY)
    replacement_ready = (
        f"EXISTS (SELECT 1 FROM {table} r"  # noqa: S608 (names and values are ours)
        f" WHERE r.device_id = {alias}.replacement_id AND {criteria})"
    )
    return f"({bought} AND (({offboarding}) OR {replacement_ready}))"
