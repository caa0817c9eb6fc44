"""The sandbox clock (SPEC §8, ADR 0011): business time = the wall clock + an offset.

An operator moves the offset forward (`set`, `advance`); business time then runs on with
the wall clock from there. The offset is one row in the view database, so every process on
that database (`lessor serve`, `lessor scheduler tick`, `lessor clock …`) reads the same
time. It is read on every `now()`: one primary-key row, and on SQLite from a connection of
its own outside any transaction, so a read never waits for (or inside) a writer's lock.
Only a deployment in sandbox mode builds this clock; production uses the wall clock alone.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from adapters.clock import Clock
from adapters.sql import Database, SqliteDatabase
from adapters.stripe_standin import StandInGateway
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.time import add_months
from domain.ports import CheckoutRequest, CheckoutSession, PaymentGateway

TABLE = "sandbox_clock"
_SELECT = f"SELECT offset_us FROM {TABLE} WHERE id = 1"
_UPSERT = (
    f"INSERT INTO {TABLE} (id, offset_us, changed_at) VALUES (1, ?, ?) ON CONFLICT (id)"
    " DO UPDATE SET offset_us = excluded.offset_us, changed_at = excluded.changed_at"
)

# 30d, 2h, 90m (minutes), 3mo (months), 1y, 1w; parts may be combined: 1d12h.
_COMPACT_PART = re.compile(r"(\d+)(mo|y|w|d|h|m|s)")
_ISO = re.compile(
    r"P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)
_FIXED = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_FIXED |= {"m": timedelta(minutes=1), "s": timedelta(seconds=1)}


class ClockWouldGoBack(RuleViolation):
    """Business time only moves forward: events keep their order and the rules their sense."""

    title = "Business time only moves forward"


@dataclass(frozen=True)
class ClockStep:
    """How far `advance` moves business time: calendar months (in UTC), then a duration."""

    months: int = 0
    duration: timedelta = timedelta(0)

    def after(self, instant: datetime) -> datetime:
        if self.months:
            day = add_months(instant.date(), self.months)
            instant = instant.replace(year=day.year, month=day.month, day=day.day)
        return instant + self.duration


def parse_step(text: str) -> ClockStep:
    """'30d', '2h', '1d12h', '3mo', '1y' or ISO 8601 ('P1M', 'PT2H', 'P1Y2M3DT4H'); > 0."""
    given = text.strip()
    counts: dict[str, int] = {}
    iso = _ISO.fullmatch(given.upper())
    if iso is not None and any(iso.groupdict().values()) and not given.upper().endswith("T"):
        counts = {unit: int(n) for unit, n in iso.groupdict().items() if n is not None}
    elif given and _COMPACT_PART.sub("", given.lower()) == "":
        for n, unit in _COMPACT_PART.findall(given.lower()):
            counts[unit] = counts.get(unit, 0) + int(n)
    else:
        raise InvalidValue(
            f"'{text}' is not a duration: use e.g. 30d, 2h, 1d12h, 3mo, 1y or P1M, PT2H."
        )
    step = ClockStep(
        months=12 * counts.get("y", 0) + counts.get("mo", 0),
        duration=sum((_FIXED[u] * counts.get(u, 0) for u in _FIXED), timedelta(0)),
    )
    if step.months == 0 and step.duration <= timedelta(0):
        raise InvalidValue(f"'{text}' does not move the clock: advance by more than zero.")
    return step


@dataclass(frozen=True)
class SandboxTime:
    now: datetime  # business time
    offset: timedelta  # business time − wall time


class SandboxClock:
    """A `Clock` whose time an operator can move forward, shared through the database."""

    def __init__(self, db: Database, wall: Clock) -> None:
        self._db = db
        self._wall = wall
        self._lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None

    @staticmethod
    def create_schema(db: Database) -> None:
        """At most one row; none yet means offset 0 (business time is wall time)."""
        with db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                " id INTEGER PRIMARY KEY CHECK (id = 1),"
                " offset_us BIGINT NOT NULL, changed_at TEXT NOT NULL)"
            )

    def now(self) -> datetime:
        return self._wall.now() + self._offset()

    def show(self) -> SandboxTime:
        offset = self._offset()
        return SandboxTime(self._wall.now() + offset, offset)

    def to_business_time(self, wall_instant: datetime) -> datetime:
        """A time another system stamped by the wall clock (Stripe's `created`), moved along."""
        return wall_instant + self._offset()

    def set(self, instant: datetime) -> SandboxTime:
        """Business time becomes `instant` (then runs on); refused if that is in its past."""
        if instant.tzinfo is None:
            raise InvalidValue("The sandbox clock needs an instant with a time zone offset.")
        return self._move(lambda _: instant.astimezone(UTC))

    def advance(self, step: ClockStep) -> SandboxTime:
        return self._move(step.after)

    def _move(self, target_of: Callable[[datetime], datetime]) -> SandboxTime:
        with self._db.transaction() as tx:  # serialises concurrent moves (row lock)
            row = tx.fetchone(_SELECT + self._db.for_update())
            wall = self._wall.now()
            current = wall + timedelta(microseconds=row[0] if row else 0)
            target = target_of(current)
            if target < current:
                raise ClockWouldGoBack(
                    f"The sandbox clock reads {current.isoformat()}; it cannot go back to "
                    f"{target.isoformat()}. To start over, use a fresh database."
                )
            offset = target - wall
            tx.execute(_UPSERT, (offset // timedelta(microseconds=1), wall.isoformat()))
        return SandboxTime(target, offset)

    def _offset(self) -> timedelta:
        if isinstance(self._db, SqliteDatabase):
            with self._lock:
                if self._reader is None:  # autocommit: each SELECT is its own short read
                    self._reader = sqlite3.connect(
                        self._db.path, isolation_level=None, check_same_thread=False
                    )
                row = self._reader.execute(_SELECT).fetchone()
        else:
            with self._db.transaction() as tx:
                row = tx.fetchone(_SELECT)
        return timedelta(microseconds=row[0] if row else 0)

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None


class SandboxGateway:
    """The payment gateway of a sandbox. The provider stamps a session's expiry by its wall
    clock, and the device compares it with business time (a lost "expired" webhook): moved
    along by the offset, a checkout opened months ahead does not count as long expired."""

    def __init__(self, provider: PaymentGateway, clock: SandboxClock) -> None:
        self.provider = provider
        self._clock = clock

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session = self.provider.open_checkout(request)
        return replace(session, expires_at=self._clock.to_business_time(session.expires_at))

    def expire_checkout(self, session_id: str) -> None:
        self.provider.expire_checkout(session_id)

    def close(self) -> None:
        if isinstance(self.provider, StandInGateway):
            self.provider.close()
