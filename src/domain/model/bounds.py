"""The largest amounts, counts, rates and dates the domain accepts (ADR 0014).

Every value a client sends is checked where the domain first takes it: money in `Money`
itself, the rest in the command that receives it, through the helpers here. A value past a
bound is bad input (InvalidValue, 422), refused before anything is written, so no stored
event can carry a number a view column cannot hold or a date that makes a loop run for
centuries. Values read back from the store are never checked again (history stays loadable
even if a bound tightens).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from domain.model.errors import InvalidValue
from domain.model.time import add_months

# |minor units| of any amount. The views hold money in 64-bit integers (BIGINT; SQLite's
# INTEGER); 10**15 leaves a factor of 9 000 for sums. It is 10 trillion in a currency with two
# decimals (SEK, EUR) and 1 quadrillion in one without (JPY): far beyond any real price.
MAX_MINOR: Final = 10**15

# Every business date or instant a client sends lies within these (inclusive) dates.
EARLIEST_DATE: Final = date(2000, 1, 1)
LATEST_DATE: Final = date(2100, 12, 31)

# A subscription may start at most this many years before today: one longest term (5y).
MAX_BACKDATED_YEARS: Final = 5

# Seats on one subscription line, in total (and so in one request); lines on one sale.
MAX_SEATS: Final = 100_000
MAX_LINES: Final = 50

# A VAT rate is a percentage within 0..100 with at most this many decimals.
VAT_DECIMALS: Final = 3


def business_date(value: object, what: str) -> date:
    """`value` if it is a business date within EARLIEST_DATE..LATEST_DATE; else InvalidValue."""
    # A datetime is a date subclass; accepting it would blur business dates and instants.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidValue(f"{what} must be a date, got {value!r}")
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InvalidValue(f"{what} must lie within {_window()}, got {value.isoformat()}")
    return value


def optional_date(value: date | None, what: str) -> date | None:
    return None if value is None else business_date(value, what)


def instant(value: datetime, what: str) -> datetime:
    """`value` if it is an aware instant whose UTC date lies within the window."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(f"{what} must be an instant with a time zone offset, got {value!r}")
    try:
        day: date | None = value.astimezone(UTC).date()
    except OverflowError:  # within hours of year 1 or year 9999
        day = None
    if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidValue(f"{what} must lie within {_window()} (UTC), got {value.isoformat()}")
    return value


def optional_instant(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else instant(value, what)


def backdated_start(start: date, today: date) -> date:
    """A subscription's start date: in the window, and at most MAX_BACKDATED_YEARS ago."""
    business_date(start, "The start date")
    earliest = add_months(today, -12 * MAX_BACKDATED_YEARS)
    if start < earliest:
        raise InvalidValue(
            f"The start date may lie at most {MAX_BACKDATED_YEARS} years in the past"
            f" (not before {earliest.isoformat()}), got {start.isoformat()}"
        )
    return start


def seats(value: object, what: str, *, least: int = 1) -> int:
    """A whole number of seats within least..MAX_SEATS."""
    fewest = "one seat" if least == 1 else f"{least} seats"
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_SEATS:
        raise InvalidValue(
            f"{what} must be a whole number of at least {fewest} and at most {MAX_SEATS:,},"
            f" got {value!r}"
        )
    return value


def vat_rate(value: object) -> Decimal:
    """A VAT rate: a finite Decimal percentage within 0..100 with at most VAT_DECIMALS."""
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 100:
        raise InvalidValue("The VAT rate is a percentage between 0 and 100.")
    if value != value.quantize(Decimal(1).scaleb(-VAT_DECIMALS)):
        raise InvalidValue(f"The VAT rate has at most {VAT_DECIMALS} decimals, got {value}.")
    return value


def _window() -> str:
    return f"{EARLIEST_DATE.isoformat()}..{LATEST_DATE.isoformat()}"
