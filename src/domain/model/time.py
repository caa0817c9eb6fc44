"""Business time: aware UTC instants, local business dates, half-open periods, month arithmetic.

Instants are stored in UTC; a company's time zone only decides which local date (or local
midnight) an instant belongs to. Nothing here reads a clock: every instant is passed in.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.model.errors import InvalidValue

TimeZoneName: TypeAlias = str
"""An IANA time zone name such as "Europe/Stockholm" (a name, not a ZoneInfo object)."""

DEFAULT_TIME_ZONE: Final[TimeZoneName] = "Europe/Stockholm"


def zone(name: TimeZoneName) -> ZoneInfo:
    """The IANA zone called `name`; InvalidValue for an unknown or malformed name."""
    if not isinstance(name, str):
        raise InvalidValue(f"a time zone name must be a string, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {name!r}") from None


def require_utc(instant: datetime) -> datetime:
    """`instant` converted to UTC; a naive datetime is refused, since its instant is unknown."""
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise InvalidValue(f"an instant must be a timezone-aware datetime, got {instant!r}")
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or year 9999
        raise InvalidValue(f"{instant!r} is outside the representable range") from None


def add_months(d: date, months: int) -> date:
    """`d` moved by whole calendar months, clamped to the month's end (Jan 31 + 1 → Feb 28/29).

    Clamping means add_months(add_months(d, 1), -1) is not always d (Mar 31 → Apr 30 → Mar 30).
    """
    _require_date(d)
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidValue(f"months must be an int, got {months!r}")
    year, month_index = divmod(d.year * 12 + d.month - 1 + months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise InvalidValue(f"{d} + {months} months is outside the calendar")
    month = month_index + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def completed_months(start: date, end: date) -> int:
    """Whole months from `start` to `end`: the largest k ≥ 0 with add_months(start, k) <= end.

    Consistent with add_months' clamping, so 2024-01-31 → 2024-02-29 is one completed month.
    An `end` before `start` gives 0.
    """
    _require_date(start)
    _require_date(end)
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    # add_months(start, months) lands in end's month; only its day can overshoot end.
    return months - 1 if add_months(start, months) > end else months


def month_start(d: date) -> date:
    """The first day of `d`'s month."""
    _require_date(d)
    return d.replace(day=1)


def month_end_exclusive(d: date) -> date:
    """The first day of the month after `d`'s: the exclusive end of `d`'s month."""
    return add_months(month_start(d), 1)


def local_date(instant: datetime, tz: TimeZoneName) -> date:
    """The calendar date in zone `tz` at `instant` (aware)."""
    return require_utc(instant).astimezone(zone(tz)).date()


def local_midnight(d: date, tz: TimeZoneName) -> datetime:
    """The UTC instant at which local date `d` begins in zone `tz`."""
    return local_instant(d, time(0), tz)


def local_instant(d: date, t: time, tz: TimeZoneName) -> datetime:
    """The UTC instant of wall time `t` (naive) on local date `d` in zone `tz`.

    A wall time skipped by a DST change (02:30 on a spring-forward night in Stockholm) moves
    forward by the gap (to 03:30 local); a wall time that happens twice (02:30 on the
    fall-back night) is its first occurrence. Both follow from fold=0 and a UTC round trip.
    """
    _require_date(d)
    if not isinstance(t, time) or t.tzinfo is not None:
        raise InvalidValue(f"a wall time must be a naive time, got {t!r}")
    wall = datetime.combine(d, t.replace(fold=0), tzinfo=zone(tz))
    return wall.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """Business dates [start, end): `end` is the first day not included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        _require_date(self.start)
        _require_date(self.end)
        if self.start > self.end:
            raise InvalidValue(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @classmethod
    def month_of(cls, d: date) -> Period:
        """The calendar month containing `d`."""
        return cls(month_start(d), month_end_exclusive(d))

    def __contains__(self, d: date) -> bool:
        _require_date(d)
        return self.start <= d < self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def overlaps(self, other: Period) -> bool:
        """True if at least one day lies in both periods (an empty period overlaps nothing)."""
        return max(self.start, other.start) < min(self.end, other.end)


@dataclass(frozen=True, slots=True)
class Interval:
    """Instants [start, end), both aware; stored in UTC whatever offset they arrive with."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # Normalised so that equal intervals also serialise identically.
        object.__setattr__(self, "start", require_utc(self.start))
        object.__setattr__(self, "end", require_utc(self.end))
        if self.start > self.end:
            raise InvalidValue(
                f"an interval cannot end ({self.end}) before it starts ({self.start})"
            )

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= require_utc(instant) < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def _require_date(d: object) -> None:
    # A datetime is a date subclass; accepting it would blur business dates and instants.
    if not isinstance(d, date) or isinstance(d, datetime):
        raise InvalidValue(f"expected a business date, got {d!r}")
