"""RentalAccount: a company's prepaid service credits and the rentals that burn them (SPEC §4).

One per company (its id derives from the company's), opened on first use. The balance is an
integer number of credits and is never negative by construction: every debit is decided in
a command against the balance it finds, and a debit that does not fit is refused
(activation) or suspends every rental of the account (the daily charge), never applied.

Days are the company's local dates, given by the caller (the model has no clock and no
zone): a DST day of 23 or 25 hours is still one day. Every command first catches the
account up to today — each missed day charged in order, as of that day, and suspension on
the day the balance ran out — so a scheduler outage changes nothing but when it is written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.due import rental_next_charge_day
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id

MAX_DAILY_RATE: Final = 100_000  # credits per rental and day
MAX_RENTALS: Final = 10_000  # on one account: a daily charge writes one line per rental
MAX_CATCH_UP_DAYS: Final = 366  # a command catches up at most a year (the rest: next time)


def account_id_for(company_id: UUID) -> UUID:
    return natural_id("rental-account", company_id)


def daily_rate(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAILY_RATE:
        raise InvalidValue(
            f"A daily rate is a whole number of credits from 1 to {MAX_DAILY_RATE:,}, got {value!r}"
        )
    return value


def runway_of(rentals: list[dict[str, Any]], balance: int, *, suspended: bool) -> date | None:
    """The last day every rental is paid for: the days already paid, then (unless suspended)
    as many more as `balance` pays at the rentals' daily total. None without rentals."""
    if not rentals:
        return None
    paid: date = min(r["paid_through"] for r in rentals)
    if suspended:
        return paid
    return paid + timedelta(days=balance // sum(int(r["rate"]) for r in rentals))


class RentalAccount(Aggregate):
    class_version = 1

    class Opened(LessorCreated):
        class_version = 1

    class CreditsRedeemed(LessorEvent):
        class_version = 1
        key_id: UUID
        credits: int
        day: date
        balance: int  # after
        runway: date | None  # the last day the rentals are paid for, after

    class RentalActivated(LessorEvent):
        class_version = 1
        device_id: UUID
        rate: int
        day: date  # charged at once, in full
        balance: int
        runway: date | None

    class DayCharged(LessorEvent):
        class_version = 1
        day: date
        lines: dict[str, int]  # device id → credits charged for the day
        total: int
        balance: int
        runway: date | None

    class Suspended(LessorEvent):
        class_version = 1
        day: date  # the first day the balance could not pay
        needed: int  # the day's total for all rentals
        balance: int  # kept on the account

    class Resumed(LessorEvent):
        class_version = 1
        day: date

    class RentalDeactivated(LessorEvent):
        class_version = 1
        device_id: UUID
        day: date
        runway: date | None

    class RentalSwapped(LessorEvent):
        class_version = 1
        device_id: UUID  # the unit that leaves
        replacement_id: UUID  # takes over rate and paid days
        day: date

    @classmethod
    def open(cls, *, company_id: UUID, cause: Cause) -> RentalAccount:
        return cls._create(cls.Opened, id=account_id_for(company_id), **cause.stamp(company_id))

    @event(Opened)
    def __init__(self, *, company_id: UUID) -> None:
        self.company_id = company_id
        self.balance = 0
        self.redeemed_total = 0
        self.charged_total = 0
        self.rentals: dict[str, dict[str, Any]] = {}  # device id → {rate, paid_through, since}
        self.charged_through: date | None = None  # the last day the daily charge handled
        self.suspended_since: date | None = None

    # ------------------------------------------------------------------- reads

    @property
    def daily_total(self) -> int:
        return sum(int(r["rate"]) for r in self.rentals.values())

    @property
    def is_suspended(self) -> bool:
        return self.suspended_since is not None

    def rental(self, device_id: UUID) -> dict[str, Any] | None:
        return self.rentals.get(str(device_id))

    def paid_through(self, device_id: UUID) -> date | None:
        rental = self.rental(device_id)
        return None if rental is None else rental["paid_through"]

    @property
    def runway(self) -> date | None:
        """The last day every rental is paid for: the days already paid, then as many more
        as the balance pays at the current daily total. None without rentals."""
        return self._runway_with(balance=self.balance)

    def next_charge_day(self) -> date | None:
        """The local day the daily charge next acts on (at its 00:00), or None: no rentals,
        or suspended (only a redemption resumes)."""
        return rental_next_charge_day(
            rentals=len(self.rentals),
            suspended=self.is_suspended,
            charged_through=self.charged_through,
        )

    # ---------------------------------------------------------------- commands

    def catch_up(self, today: date, *, cause: Cause) -> None:
        """Charge each day up to `today` not yet charged, in order; suspend on the first the
        balance cannot pay. Idempotent: a day once handled is never handled again."""
        for _ in range(MAX_CATCH_UP_DAYS):
            day = self.next_charge_day()
            if day is None or day > today:
                return
            self._charge(day, cause)

    def redeem(self, key_id: UUID, credits: int, today: date, *, cause: Cause) -> None:
        if credits < 1:
            raise InvalidValue("A key adds at least one credit.")
        self.catch_up(today, cause=cause)
        balance = self.balance + credits
        self._record(
            self.CreditsRedeemed,
            cause,
            key_id=key_id,
            credits=credits,
            day=today,
            balance=balance,
            runway=self._runway_with(balance=balance),
        )
        if self.is_suspended and self.balance >= self.daily_total:
            self._record(self.Resumed, cause, day=today)
            self._charge(today, cause)

    def activate(self, device_id: UUID, rate: int, today: date, *, cause: Cause) -> None:
        daily_rate(rate)
        if str(device_id) in self.rentals:
            raise RuleViolation("The device's rental is already active.")
        if len(self.rentals) >= MAX_RENTALS:
            raise RuleViolation(f"An account holds at most {MAX_RENTALS:,} rentals.")
        self.catch_up(today, cause=cause)
        if self.is_suspended:
            raise RuleViolation(
                "The account's rentals are suspended: redeem credits before activating another."
            )
        if self.balance < rate:
            raise RuleViolation(
                f"The balance ({self.balance} credits) cannot pay the first day ({rate});"
                " the account would go negative."
            )
        balance = self.balance - rate
        self._record(
            self.RentalActivated,
            cause,
            device_id=device_id,
            rate=rate,
            day=today,
            balance=balance,
            runway=self._runway_with(balance=balance, extra=rate, first_day=today),
        )

    def deactivate(self, device_id: UUID, today: date, *, cause: Cause) -> None:
        """The rental ends; its paid day is not refunded."""
        self._require_rental(device_id)
        self.catch_up(today, cause=cause)
        remaining = [r for k, r in self.rentals.items() if k != str(device_id)]
        runway = runway_of(remaining, self.balance, suspended=self.is_suspended)
        self._record(self.RentalDeactivated, cause, device_id=device_id, day=today, runway=runway)

    def swap(self, device_id: UUID, replacement_id: UUID, today: date, *, cause: Cause) -> None:
        """RMA: the replacement takes over the rental — its rate and the days already paid,
        so there is no gap and no second charge for the day."""
        self._require_rental(device_id)
        if str(replacement_id) in self.rentals:
            raise RuleViolation("The replacement device is already rented.")
        self.catch_up(today, cause=cause)
        self._record(
            self.RentalSwapped, cause, device_id=device_id, replacement_id=replacement_id, day=today
        )

    # ----------------------------------------------------------------- helpers

    def _require_rental(self, device_id: UUID) -> None:
        if str(device_id) not in self.rentals:
            raise NotFound("The device has no active rental.")

    def _charge(self, day: date, cause: Cause) -> None:
        lines = {k: int(r["rate"]) for k, r in self.rentals.items() if r["paid_through"] < day}
        total = sum(lines.values())
        if total > self.balance:
            self._record(self.Suspended, cause, day=day, needed=total, balance=self.balance)
            return
        balance = self.balance - total
        paid = [{**r, "paid_through": max(r["paid_through"], day)} for r in self.rentals.values()]
        runway = runway_of(paid, balance, suspended=False)
        self._record(
            self.DayCharged,
            cause,
            day=day,
            lines=lines,
            total=total,
            balance=balance,
            runway=runway,
        )

    def _runway_with(
        self, *, balance: int, extra: int = 0, first_day: date | None = None
    ) -> date | None:
        rentals = list(self.rentals.values())
        if first_day is not None:
            rentals.append({"rate": extra, "paid_through": first_day})
        return runway_of(rentals, balance, suspended=self.is_suspended)

    def _record(self, event_class: type[LessorEvent], cause: Cause, **fields: Any) -> None:
        self.trigger_event(event_class, **fields, **cause.stamp(self.company_id))

    # ---------------------------------------------------------------- mutators

    @event(CreditsRedeemed)
    def _credits_redeemed(self, *, credits: int, balance: int) -> None:
        self.balance = balance
        self.redeemed_total += credits

    @event(RentalActivated)
    def _rental_activated(self, *, device_id: UUID, rate: int, day: date, balance: int) -> None:
        if not self.rentals:
            self.charged_through = day
        self.rentals[str(device_id)] = {"rate": rate, "paid_through": day, "since": day}
        self.charged_total += self.balance - balance
        self.balance = balance

    @event(DayCharged)
    def _day_charged(self, *, day: date, lines: dict[str, int], total: int, balance: int) -> None:
        for device_id in lines:
            if device_id in self.rentals:
                self.rentals[device_id]["paid_through"] = day
        self.charged_through = day
        self.charged_total += total
        self.balance = balance

    @event(Suspended)
    def _suspended(self, *, day: date) -> None:
        self.suspended_since = day

    @event(Resumed)
    def _resumed(self) -> None:
        self.suspended_since = None

    @event(RentalDeactivated)
    def _rental_deactivated(self, *, device_id: UUID) -> None:
        self.rentals.pop(str(device_id), None)
        if not self.rentals:
            self.suspended_since = None
            self.charged_through = None

    @event(RentalSwapped)
    def _rental_swapped(self, *, device_id: UUID, replacement_id: UUID) -> None:
        rental = self.rentals.pop(str(device_id), None)
        if rental is not None:
            self.rentals[str(replacement_id)] = rental
