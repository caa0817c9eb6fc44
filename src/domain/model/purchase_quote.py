"""Purchase confirmation (SPEC §3, seed 001, ADR 0032): a quote names what it priced in a
quote id valid for QUOTE_VALIDITY; confirming it re-prices the same purchase now and
refuses it as stale when the list price, the provider's terms or the time moved on.

The quote id is a fingerprint, not a stored record: its expiry in clear, then a hash of
the purchase (company, subject, products, seats, prices, amounts, term, terms version,
expiry). Nothing is written for a quote, and a confirmation that re-prices to the same
id is exactly what was shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from domain.model import bounds
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import LessorEvent
from domain.model.money import Money
from domain.model.subscription_lines import SeatLine

if TYPE_CHECKING:
    from domain.model.subscription import Subscription

QUOTE_VALIDITY: Final = timedelta(minutes=30)
_STAMP: Final = "%Y%m%dT%H%M%SZ"
MAX_QUOTE_ID_CHARS: Final = 64


class PurchaseConfirmed(LessorEvent):
    """The purchase (creation or added seats) was confirmed from a quote, accepting the
    provider's terms of that version. `Subscription` nests a subclass of the same name."""

    class_version = 1
    quote_id: str
    purchase: str  # "create" or "add_seats"
    terms_version: str | None  # None: the provider had published no terms
    total: Money


class StaleQuote(RuleViolation):
    """The quote no longer prices the purchase: `fresh` is the quote in force now."""

    title = "Stale quote"

    def __init__(self, detail: str, *, fresh: Any) -> None:
        super().__init__(detail)
        self.fresh = fresh


@dataclass(frozen=True, slots=True)
class Offer:
    """What a quote id fingerprints."""

    purpose: str  # "create" or "add_seats"
    company_id: UUID
    subject: str  # the term bought, or the subscription seats are added to
    lines: list[tuple[UUID, int, Money, Money]]  # product, seats, unit price, amount
    terms_version: str | None


def quote_id(offer: Offer, expires_at: datetime) -> str:
    canonical = json.dumps(
        [
            offer.purpose,
            str(offer.company_id),
            offer.subject,
            [[str(p), n, u.to_dict(), a.to_dict()] for p, n, u, a in offer.lines],
            offer.terms_version,
            expires_at.astimezone(UTC).strftime(_STAMP),
        ],
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"{expires_at.astimezone(UTC).strftime(_STAMP)}-{digest}"


def expiry(at: datetime) -> datetime:
    """When a quote made at `at` expires (whole seconds: the id keeps seconds)."""
    return (at + QUOTE_VALIDITY).astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A command's `quote_id` and `accept_terms`, parsed where they enter the domain."""

    quote_id: str
    expires_at: datetime
    accepted_terms: str | None

    @classmethod
    def of(cls, quote_id: str | None, accept_terms: str | None) -> Confirmation | None:
        """None when neither is given (a purchase without review, ADR 0032)."""
        if quote_id is None:
            if accept_terms is not None:
                raise InvalidValue("accept_terms confirms a quote: name its quote_id too.")
            return None
        stamp, _, digest = quote_id.partition("-")
        try:
            expires_at = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
        except ValueError:
            expires_at = None
        if expires_at is None or len(quote_id) > MAX_QUOTE_ID_CHARS or len(digest) != 32:
            raise InvalidValue("The quote_id is not one this API issued.")
        return cls(quote_id, expires_at, accept_terms)

    def check(self, offer: Offer, now: datetime, fresh: Any) -> None:
        """Refuse (StaleQuote, with the `fresh` quote) unless `offer` — the purchase priced
        now — is what the quote showed, within its validity, with its terms accepted."""
        current = offer.terms_version
        if current is None and self.accepted_terms is not None:
            raise InvalidValue("The provider has published no terms: leave out accept_terms.")
        if current is not None and self.accepted_terms is None:
            raise InvalidValue(f"Accept the provider's terms: accept_terms '{current}'.")
        if now >= self.expires_at or self.expires_at > expiry(now):
            raise StaleQuote(
                f"The quote expired at {self.expires_at.isoformat()}: confirm the new quote.",
                fresh=fresh,
            )
        if self.accepted_terms != current:
            raise StaleQuote(
                f"The provider's terms are now version '{current}', not"
                f" '{self.accepted_terms}': review them and confirm the new quote.",
                fresh=fresh,
            )
        if quote_id(offer, self.expires_at) != self.quote_id:
            raise StaleQuote(
                "The quote no longer matches this purchase: the list price or the terms"
                " changed, or it priced other products, seats or another term.",
                fresh=fresh,
            )


def added_seats_amount(
    subscription: Subscription, line: SeatLine, seats: int, unit_price: Money, today: date
) -> Money:
    """What `Subscription.add_seats` charges for `seats` today: pro rata once the current
    term is charged, nothing before (the first term's charge covers them)."""
    bounds.seats(seats, "The seats to add")
    charge = subscription.charge_for_added_seats(line, seats, unit_price, today)
    return Money.zero(unit_price.currency) if charge is None else charge.amount
