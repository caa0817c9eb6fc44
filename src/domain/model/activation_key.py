"""Activation keys: prepaid service credits sold in batches, redeemed once, ever (SPEC §4).

A key is a human-typable code, `ISC-XXXX-XXXX-XXXX`: eleven random characters and a check
character from a base-32 alphabet without the look-alikes 0/O and 1/I, so a typo is
caught before any lookup (Luhn mod 32: every single wrong character, and every swap of two
neighbours but 2 ↔ Z). The code is shown once when issued and stored only as a hash: the key's id
derives from that hash, so a redemption is one read and two redemptions of one key collide
on its version (exactly one wins).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.errors import InvalidValue, RuleViolation, Throttled
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.money import Money
from domain.model.text import bounded_text

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32: no 0/O, no 1/I
PREFIX: Final = "ISC"
BODY_LENGTH: Final = 11  # random characters: 55 bits
MAX_KEY_CREDITS: Final = 1_000_000
MAX_KEYS_PER_BATCH: Final = 1_000
MAX_LABEL: Final = 200


class NotRedeemable(InvalidValue):
    """Unknown, already redeemed, voided or another company's key: one answer for all, so
    nobody learns which codes exist."""

    title = "Key not redeemable"

    def __init__(self) -> None:
        super().__init__("The key is unknown or already redeemed.")


def check_character(body: str) -> str:
    """Luhn mod N over ALPHABET: catches any one wrong character and adjacent swaps (but
    of the alphabet's first and last characters, as Luhn's 09 ↔ 90)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def code_from(random_bits: int) -> str:
    """The code for `random_bits` (≥ 55 random bits, e.g. a version 4 uuid's int)."""
    chars = []
    for _ in range(BODY_LENGTH):
        random_bits, index = divmod(random_bits, len(ALPHABET))
        chars.append(ALPHABET[index])
    body = "".join(chars)
    whole = body + check_character(body)
    return "-".join([PREFIX, whole[0:4], whole[4:8], whole[8:12]])


def parse_code(text: str) -> str:
    """The canonical code a user typed (any case, spaces or dashes, with or without the
    prefix), or InvalidValue when it cannot be a key: wrong length, a character outside the
    alphabet, or a check character that does not match (a typo)."""
    if not isinstance(text, str) or len(text) > 40:
        raise InvalidValue("An activation key looks like ISC-XXXX-XXXX-XXXX.")
    compact = "".join(text.split()).replace("-", "").upper()
    if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + BODY_LENGTH + 1:
        compact = compact[len(PREFIX) :]
    if len(compact) != BODY_LENGTH + 1 or any(c not in ALPHABET for c in compact):
        raise InvalidValue("An activation key looks like ISC-XXXX-XXXX-XXXX.")
    if check_character(compact[:-1]) != compact[-1]:
        raise InvalidValue("The activation key has a typo: its check character does not match.")
    return "-".join([PREFIX, compact[0:4], compact[4:8], compact[8:12]])


def key_hash(code: str) -> str:
    """SHA-256 of the canonical code (55 random bits, and redemption failures are throttled)."""
    return hashlib.sha256(parse_code(code).encode("utf-8")).hexdigest()


def key_id_for(hashed: str) -> UUID:
    return natural_id("activation-key", hashed)


def key_credits(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_KEY_CREDITS:
        raise InvalidValue(
            f"A key is worth a whole number of credits from 1 to {MAX_KEY_CREDITS:,}, got {value!r}"
        )
    return value


def key_count(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_KEYS_PER_BATCH
    ):
        raise InvalidValue(f"A batch holds from 1 to {MAX_KEYS_PER_BATCH:,} keys, got {value!r}")
    return value


def batch_label(value: str) -> str:
    return bounded_text(value, "batch label", MAX_LABEL)


class KeyStatus(StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    VOIDED = "voided"


class KeyBatch(Aggregate):
    """One issue of keys: what each is worth, for whom, at what price (never the codes)."""

    class_version = 1

    class Issued(LessorCreated):
        class_version = 1
        credits: int
        count: int
        price: Money | None  # the sale to `company_id`: a charge on its next invoice
        label: str
        key_ids: list[UUID]

    class Voided(LessorEvent):
        class_version = 1
        key_ids: list[UUID]  # the keys still unredeemed, voided now

    @classmethod
    def issue(
        cls,
        *,
        batch_id: UUID,
        credits: int,
        key_ids: list[UUID],
        company_id: UUID | None,
        price: Money | None,
        label: str,
        cause: Cause,
    ) -> KeyBatch:
        key_credits(credits)
        key_count(len(key_ids))
        if price is not None:
            if company_id is None:
                raise InvalidValue("A price is for a key sold to a named company.")
            if price.is_negative:
                raise InvalidValue("A key's price cannot be negative.")
        return cls._create(
            cls.Issued,
            id=batch_id,
            credits=credits,
            count=len(key_ids),
            price=price,
            label=batch_label(label),
            key_ids=list(key_ids),
            **cause.stamp(company_id),
        )

    @event(Issued)
    def __init__(
        self,
        *,
        credits: int,
        count: int,
        price: Money | None,
        label: str,
        key_ids: list[UUID],
        company_id: UUID | None,
        at: datetime,
    ) -> None:
        self.company_id = company_id
        self.credits = credits
        self.count = count
        self.price = price
        self.label = label
        self.key_ids = list(key_ids)
        self.issued_at = at
        self.voided_at: datetime | None = None

    def void(self, unredeemed: list[UUID], *, cause: Cause) -> None:
        if self.voided_at is not None:
            raise RuleViolation("The batch is already voided.")
        self.trigger_event(self.Voided, key_ids=list(unredeemed), **cause.stamp(self.company_id))

    @event(Voided)
    def _voided(self, *, at: datetime) -> None:
        self.voided_at = at


class ActivationKey(Aggregate):
    """One key, by the hash of its code. Redeemed once, by one account, ever."""

    class_version = 1

    class Issued(LessorCreated):
        class_version = 1
        batch_id: UUID
        credits: int

    class Redeemed(LessorEvent):
        class_version = 1
        account_id: UUID
        redeemed_by: UUID  # the company whose account took the credits

    class Voided(LessorEvent):
        class_version = 1

    @classmethod
    def issue(
        cls, *, hashed: str, batch_id: UUID, credits: int, company_id: UUID | None, cause: Cause
    ) -> ActivationKey:
        return cls._create(
            cls.Issued,
            id=key_id_for(hashed),
            batch_id=batch_id,
            credits=key_credits(credits),
            **cause.stamp(company_id),
        )

    @event(Issued)
    def __init__(self, *, batch_id: UUID, credits: int, company_id: UUID | None) -> None:
        self.batch_id = batch_id
        self.credits = credits
        self.sold_to = company_id  # None: sold through a partner, any company may redeem it
        self.status = KeyStatus.ISSUED
        self.redeemed_by: UUID | None = None

    @property
    def company_id(self) -> UUID | None:
        """Keys are the provider's until redeemed; tenancy is checked by `redeem`."""
        return self.redeemed_by or self.sold_to

    def redeem(self, *, company_id: UUID, account_id: UUID, cause: Cause) -> None:
        if self.status != KeyStatus.ISSUED or self.sold_to not in (None, company_id):
            raise NotRedeemable
        self.trigger_event(
            self.Redeemed,
            account_id=account_id,
            redeemed_by=company_id,
            **cause.stamp(company_id),
        )

    def void(self, *, cause: Cause) -> None:
        if self.status == KeyStatus.ISSUED:
            self.trigger_event(self.Voided, **cause.stamp(self.sold_to))

    @event(Redeemed)
    def _redeemed(self, *, redeemed_by: UUID) -> None:
        self.status = KeyStatus.REDEEMED
        self.redeemed_by = redeemed_by

    @event(Voided)
    def _voided(self) -> None:
        self.status = KeyStatus.VOIDED


# ------------------------------------------------------------ throttling failures

MAX_FAILURES: Final = 5  # failed redemptions per company within the window …
FAILURE_WINDOW: Final = timedelta(minutes=15)  # … before further tries wait


class TooManyFailures(Throttled):
    """A company made too many failed redemptions recently (429 with Retry-After)."""

    title = "Too many failed redemptions"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            f"Too many failed key redemptions; try again in {seconds} seconds.",
            retry_after_s=seconds,
        )


@dataclass(eq=False)
class RedemptionThrottle:
    """Failed redemptions per company, in business time. Pure bookkeeping: the service
    holds one per process (a restart forgets, which only ever lets a company try sooner)."""

    failures: dict[UUID, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # requests run in threads

    def check(self, company_id: UUID, at: datetime) -> None:
        with self._lock:
            recent = self._recent(company_id, at)
            wait = recent[0] + FAILURE_WINDOW - at if len(recent) >= MAX_FAILURES else None
        if wait is not None:
            raise TooManyFailures(wait)

    def failed(self, company_id: UUID, at: datetime) -> None:
        with self._lock:
            self._recent(company_id, at).append(at)

    def _recent(self, company_id: UUID, at: datetime) -> deque[datetime]:
        recent = self.failures.setdefault(company_id, deque(maxlen=MAX_FAILURES))
        while recent and recent[0] <= at - FAILURE_WINDOW:
            recent.popleft()
        return recent
