"""When each time rule is next due: pure functions of what an aggregate's events show.

The `due` read model (projections/due) keeps, per aggregate and rule, the instant these
functions give, and the scheduler runs only what is due (docs/adr/0010). Each function
answers from what was already done, so a job that ran — and wrote its facts — moves its
row strictly later or removes it; nothing stays due to be run again every tick.

They are the rules themselves, not a copy: a device applies its time rules in the order
`next_due` names them (`Device.apply_due_rules`), and a subscription advances by
`subscription_next_due`, so the read model and the aggregates cannot disagree on what is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from domain.model.actor import Actor, Role
from domain.model.device_lifecycle import IN_LEASE_FLOW, ContractType, holds
from domain.model.end_of_lease import CHECKOUT_GRACE, Phase, offboarding_release_from, windows
from domain.model.time import (
    TimeZoneName,
    add_months,
    local_date,
    local_instant,
    local_midnight,
    month_start,
)

# Time rules are recorded as the scheduler's, whether its tick or a command catches them up.
SCHEDULER = Actor(id="scheduler", role=Role.SYSTEM)

DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = time(9, 0)


class Rule(StrEnum):
    """What a due row asks the scheduler to do. New capabilities add their own."""

    LEASE_OPTIONS = "lease_options"  # 00:00 on R − 3 months: options and price open
    LEASE_FINAL = "lease_final"  # 00:00 on R − 1 month: the final decision is requested
    LEASE_OVERDUE = "lease_overdue"  # 00:00 on R: an undecided device is flagged overdue
    CHECKOUT_LAPSE = "checkout_lapse"  # a checkout past its expiry (and grace) is closed
    SUBSCRIPTION_CHARGE = "subscription_charge"  # 00:00 on the term start: charge it
    SUBSCRIPTION_TERM_END = "subscription_term_end"  # 00:00 on the term end: renew or end
    RELEASE_DIGEST = "release_digest"  # Monday 09:00: the company's weekly digest
    OFFBOARDING_RELEASE = "offboarding_release"  # 05:00 on D: the device is ready; digest it
    # Room for what comes next (SPEC §4–§6), served by the same table and tick:
    RENTAL_CHARGE = "rental_charge"  # 00:00 daily
    INVOICE_RUN = "invoice_run"  # the monthly invoice run


DEVICE_RULES = (Rule.LEASE_OPTIONS, Rule.LEASE_FINAL, Rule.LEASE_OVERDUE, Rule.CHECKOUT_LAPSE)
SUBSCRIPTION_RULES = (Rule.SUBSCRIPTION_CHARGE, Rule.SUBSCRIPTION_TERM_END)
DIGEST_RULES = (Rule.RELEASE_DIGEST, Rule.OFFBOARDING_RELEASE)
RENTAL_RULES = (Rule.RENTAL_CHARGE,)
INVOICE_RULES = (Rule.INVOICE_RUN,)


@dataclass(frozen=True, slots=True)
class Due:
    rule: Rule
    at: datetime  # UTC


# ------------------------------------------------------------------ end of lease


@dataclass(frozen=True, slots=True)
class LeaseFacts:
    """What a device's events show, as far as its time rules care."""

    renewal_date: date | None  # None: not leased (no end-of-lease rules)
    in_lease_flow: bool  # leased, assigned, active: no final decision yet
    phase: Phase
    overdue: bool
    checkout_expires_at: datetime | None  # of the open checkout, if one is open


class LeaseState(Protocol):
    """What a device's time rules read, by the aggregate's names (a read model's row of the
    same facts answers as well)."""

    @property
    def contract_type(self) -> ContractType: ...
    @property
    def renewal_date(self) -> date | None: ...
    @property
    def assignee_id(self) -> object: ...
    @property
    def status(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def overdue(self) -> bool: ...
    @property
    def checkout_expires_at(self) -> datetime | None: ...


def lease_facts(device: LeaseState) -> LeaseFacts:
    leased = device.contract_type == ContractType.LEASED
    phase = Phase(device.phase)
    return LeaseFacts(
        renewal_date=device.renewal_date if leased else None,
        in_lease_flow=holds(IN_LEASE_FLOW, device),
        phase=phase,
        overdue=device.overdue,
        checkout_expires_at=device.checkout_expires_at if phase == Phase.CHECKOUT_OPEN else None,
    )


def next_due(device: LeaseState, tz: TimeZoneName) -> Due | None:
    """The device's next time rule and when it is due, in the company's zone `tz`."""
    return device_next_due(lease_facts(device), tz, CHECKOUT_GRACE)


def device_next_due(facts: LeaseFacts, tz: TimeZoneName, checkout_grace: timedelta) -> Due | None:
    """The next rule a device's catch-up acts on (`Device.apply_due_rules`).

    An open checkout holds every other rule (overdue waits for the payment), and its lapse
    is due even when the device has since been unassigned. Otherwise the windows follow in
    order; each is done once its event is written, so the next one is strictly later.
    """
    if facts.renewal_date is None:
        return None
    if facts.phase == Phase.CHECKOUT_OPEN:
        if facts.checkout_expires_at is None:
            return None
        return Due(Rule.CHECKOUT_LAPSE, facts.checkout_expires_at + checkout_grace)
    if not facts.in_lease_flow:
        return None
    w = windows(facts.renewal_date, tz)
    if facts.phase == Phase.NONE:
        return Due(Rule.LEASE_OPTIONS, w.options_from)
    if facts.phase == Phase.PRELIMINARY:
        return Due(Rule.LEASE_FINAL, w.final_from)
    if facts.phase == Phase.FINAL and not facts.overdue:
        return Due(Rule.LEASE_OVERDUE, w.overdue_from)
    return None  # overdue already, or decided


# ------------------------------------------------------------------ subscriptions


def subscription_next_due(
    charged_through: date, term_start: date, term_end: date
) -> tuple[Rule, date]:
    """The local date a subscription's time next acts on, while it has not ended: the term
    start while that term is uncharged (a charge), else the term end (renew, convert or end).
    `Subscription.advance` follows it, and the due read model keeps it."""
    if charged_through <= term_start:
        return Rule.SUBSCRIPTION_CHARGE, term_start
    return Rule.SUBSCRIPTION_TERM_END, term_end


def local_day_due(day: date, tz: TimeZoneName) -> datetime:
    """Date rules (term starts and ends, R) fall due at local midnight."""
    return local_midnight(day, tz)


# ------------------------------------------------------------------ rental charges


def rental_next_charge_day(
    *, rentals: int, suspended: bool, charged_through: date | None
) -> date | None:
    """The local day a rental account's daily charge next acts on (at its 00:00): the day
    after the last one charged, while it has rentals and is not suspended (only a redemption
    resumes it). `RentalAccount.catch_up` follows it, and the due read model keeps it."""
    if rentals == 0 or suspended or charged_through is None:
        return None
    return charged_through + timedelta(days=1)


# ------------------------------------------------------------------ the invoice run


def next_invoice_month(current: date | None, ran: date) -> date:
    """The first day of the month whose run is due next, after the run of `ran`'s month
    (a catch-up run of an earlier month does not bring the next one forward)."""
    following = add_months(month_start(ran), 1)
    return following if current is None else max(current, following)


def first_invoice_month(charged_on: date) -> date:
    """A company's runs start with its first charge: the run of the month it is charged in
    when that is the 1st (the tick charges before it runs), else of the next month."""
    return charged_on if charged_on.day == 1 else add_months(month_start(charged_on), 1)


def invoice_run_due(first_of_month: date, tz: TimeZoneName) -> datetime:
    """A company's monthly run falls due at 00:00 local on the 1st (after that day's
    subscription charges, in the same tick)."""
    return local_midnight(first_of_month, tz)


# ------------------------------------------------------------------ the Monday digest


def digest_due(now: datetime, time_zone: TimeZoneName) -> bool:
    """Monday from 09:00 local: the weekly digest's day. (Once per week is the company's
    own record; a scheduler down all Monday skips that week rather than mail mid-week.)"""
    today = local_date(now, time_zone)
    return today.weekday() == DIGEST_WEEKDAY and now >= local_instant(today, DIGEST_TIME, time_zone)


def digest_week(at: datetime, tz: TimeZoneName) -> str:
    """The ISO week a digest at `at` belongs to, as the company records it (2026-W31)."""
    return local_date(at, tz).strftime("%G-W%V")


def next_digest_at(after: datetime, tz: TimeZoneName, *, sent_week: str | None) -> datetime:
    """The first instant from `after` at which a digest may go out: `after` itself on a
    Monday from 09:00, else the next Monday 09:00 — skipping a week already sent."""
    candidate = after
    while not (digest_due(candidate, tz) and digest_week(candidate, tz) != sent_week):
        day = local_date(candidate, tz)
        monday = day + timedelta(days=(DIGEST_WEEKDAY - day.weekday()) % 7)
        if local_instant(monday, DIGEST_TIME, tz) <= candidate:
            monday += timedelta(days=7)  # past 09:00 on a Monday already sent: the next one
        candidate = local_instant(monday, DIGEST_TIME, tz)
    return candidate


def end_of_local_day(at: datetime, tz: TimeZoneName) -> datetime:
    """The next local midnight after `at`: a digest chance closes with its Monday."""
    return local_midnight(local_date(at, tz) + timedelta(days=1), tz)


def offboarding_digest_at(
    last_employment_day: date, tz: TimeZoneName, *, known_at: datetime, sent_week: str | None
) -> datetime:
    """The first digest that can list a device its buyer may take at 05:00 on D."""
    ready = max(offboarding_release_from(last_employment_day, tz), known_at)
    return next_digest_at(ready, tz, sent_week=sent_week)
