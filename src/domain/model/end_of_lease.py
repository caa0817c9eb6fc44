"""End-of-lease time rules (SPEC §2.2), in the company's time zone.

Let R be the renewal date. Options and price show from 00:00 on R − 3 months; the
preliminary choice can change until 00:00 on R − 1 month, when the final decision is
requested; at 00:00 on R an undecided device is overdue. An offboarding employee's bought
device may be released from 05:00 on their last employment day. Month arithmetic clamps
to month end (R = 31 May → R − 3 months = 28/29 Feb). A buyout checkout past its expiry,
plus `CHECKOUT_GRACE` for a late webhook, is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.model.time import add_months, local_instant, local_midnight

OFFBOARDING_RELEASE_TIME = time(5, 0)
# The provider's "expired" webhook may be late or lost: past this, the session is dead anyway.
CHECKOUT_GRACE = timedelta(hours=1)


class Phase(StrEnum):
    NONE = "none"  # before R − 3 months
    PRELIMINARY = "preliminary"  # options visible, preliminary choice changeable
    FINAL = "final"  # R − 1 month: the final decision is due
    CHECKOUT_OPEN = "checkout_open"  # a buyout payment is under way
    DECIDED = "decided"  # return chosen, or buyout paid


_PHASE_ORDER = tuple(Phase)  # each phase comes after those declared before it


def later_phase(a: Phase, b: Phase) -> Phase:
    return max(Phase(a), Phase(b), key=_PHASE_ORDER.index)


class Choice(StrEnum):
    BUYOUT = "buyout"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class Windows:
    renewal_date: date
    options_from: datetime  # UTC instant of 00:00 local on R − 3 months
    final_from: datetime  # UTC instant of 00:00 local on R − 1 month
    overdue_from: datetime  # UTC instant of 00:00 local on R

    def phase_due(self, now: datetime) -> Phase:
        """Which phase the clock alone puts the device in."""
        if now >= self.final_from:
            return Phase.FINAL
        if now >= self.options_from:
            return Phase.PRELIMINARY
        return Phase.NONE


def windows(renewal_date: date, tz: str) -> Windows:
    return Windows(
        renewal_date=renewal_date,
        options_from=local_midnight(add_months(renewal_date, -3), tz),
        final_from=local_midnight(add_months(renewal_date, -1), tz),
        overdue_from=local_midnight(renewal_date, tz),
    )


def offboarding_release_from(last_employment_day: date, tz: str) -> datetime:
    """05:00 local on the last employment day, as a UTC instant."""
    return local_instant(last_employment_day, OFFBOARDING_RELEASE_TIME, tz)
