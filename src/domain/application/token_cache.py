"""The credentials this process has authenticated, kept in memory (docs/adr/0050-token-cache.md).

An entry is what a token stands for — its caller, or that it is revoked — and when its
member's employment ends. An entry goes as soon as an event of its token, member or company
is known: saved by this process (at once, before the command's response) or read from the
log by `catch_up`, which the serving process runs at least every second. Only known tokens
are kept: an unknown one is read from the store each time, so a token issued by another
process works on its first request.

A load that overlaps an eviction of one of its ids is answered but not kept: it may have
read the state before the event that evicted it (`_stale`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.model.actor import Caller
from domain.model.api_token import ApiToken
from domain.model.company import Company
from domain.model.member import Member

MAX_ENTRIES = 10_000  # tokens per process (LRU)
MAX_TOUCHED = 100_000  # ids evicted recently, kept to refuse stale loads (then forgotten)
CATCH_UP_PAGE = 500


def _event_topics(*kinds: type[Aggregate]) -> list[str]:
    return [
        get_topic(member)
        for kind in kinds
        for member in vars(kind).values()
        if isinstance(member, type) and issubclass(member, Aggregate.Event)
    ]


WATCHED = (ApiToken, Member, Company)  # the aggregates an entry is read from
WATCHED_TOPICS = _event_topics(*WATCHED)


@dataclass(frozen=True, slots=True)
class Credential:
    """What a token stood for when it was read: its caller (None once revoked), and the
    moment its member's employment ends (None: it does not)."""

    caller: Caller | None
    ends_at: datetime | None
    ids: tuple[UUID, ...]  # an event of any of these evicts the entry

    def caller_at(self, at: datetime) -> Caller | None:
        if self.ends_at is not None and at >= self.ends_at:
            return None
        return self.caller


class TokenCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Credential] = OrderedDict()
        self._by_id: dict[UUID, set[str]] = {}
        self._touched: dict[UUID, int] = {}  # id → the eviction generation that touched it
        self._generation = 0
        self._forgotten_before = 0  # loads begun before this generation are never kept
        self.position: int | None = None  # the last log position `catch_up` has read
        # Set once catch_up has noted a position and runs on; until then nothing is kept,
        # and a load begun before it is not kept either (it may predate that position).
        self.watching = False

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token_hash: object) -> bool:
        return token_hash in self._entries

    def authenticate(
        self, token_hash: str, at: datetime, load: Callable[[], Credential | None]
    ) -> Caller | None:
        with self._lock:
            found = self._entries.get(token_hash)
            if found is not None:
                self._entries.move_to_end(token_hash)
                return found.caller_at(at)
            began, watched = self._generation, self.watching
        credential = load()
        if credential is None:
            return None
        with self._lock:
            if watched and not self._stale(credential, began):
                self._keep(token_hash, credential)
        return credential.caller_at(at)

    def evict(self, ids: Iterable[UUID]) -> None:
        """Forget every entry read from one of `ids` (their aggregates have changed)."""
        with self._lock:
            self._generation += 1
            if len(self._touched) >= MAX_TOUCHED:
                self._touched.clear()
                self._forgotten_before = self._generation
            for aggregate_id in ids:
                self._touched[aggregate_id] = self._generation
                for token_hash in self._by_id.pop(aggregate_id, ()):
                    self._entries.pop(token_hash, None)

    def forget(self) -> None:
        """Drop everything and keep nothing until catch_up runs again (it failed: changes
        in the log may go unseen meanwhile)."""
        with self._lock:
            self.watching = False
            self._entries.clear()
            self._by_id.clear()
            self._generation += 1
            self._forgotten_before = self._generation

    def saved(self, aggregates: Iterable[Aggregate]) -> None:
        """A core's saved_listener: this process's own changes evict at once."""
        self.evict(a.id for a in aggregates if isinstance(a, WATCHED))

    def catch_up(self, head: int, changed_since: Callable[[int, int], Iterable[UUID]]) -> None:
        """Evict what changed in the log after `position`, up to `head`; the first call only
        notes the head (nothing was kept before it)."""
        if self.position is not None and head > self.position:
            self.evict(changed_since(self.position, head))
        self.position = head if self.position is None else max(self.position, head)

    def _stale(self, credential: Credential, began: int) -> bool:
        if began < self._forgotten_before:
            return True
        return any(self._touched.get(i, -1) > began for i in credential.ids)

    def _keep(self, token_hash: str, credential: Credential) -> None:
        self._entries[token_hash] = credential
        for aggregate_id in credential.ids:
            self._by_id.setdefault(aggregate_id, set()).add(token_hash)
        while len(self._entries) > MAX_ENTRIES:
            oldest, dropped = self._entries.popitem(last=False)
            for aggregate_id in dropped.ids:
                hashes = self._by_id.get(aggregate_id)
                if hashes is not None:
                    hashes.discard(oldest)
                    if not hashes:
                        del self._by_id[aggregate_id]
