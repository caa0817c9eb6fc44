"""The token cache on its own: what it keeps, and what it refuses to keep (ADR 0050)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.application.token_cache import Credential, TokenCache
from domain.model.actor import Actor, Caller, Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN, MEMBER = uuid4(), uuid4()


def _credential(ends_at: datetime | None = None) -> Credential:
    caller = Caller(actor=Actor(id=str(TOKEN), role=Role.EMPLOYEE), company_id=uuid4())
    return Credential(caller=caller, ends_at=ends_at, ids=(TOKEN, MEMBER))


def _watching() -> TokenCache:
    cache = TokenCache()
    cache.catch_up(0, lambda _after, _head: [])
    cache.watching = True
    return cache


def test_a_credential_is_loaded_once_then_served_until_evicted() -> None:
    cache, loads = _watching(), []

    def load() -> Credential:
        loads.append(1)
        return _credential()

    assert cache.authenticate("h", NOW, load) is not None
    assert cache.authenticate("h", NOW, load) is not None
    assert len(loads) == 1
    cache.evict([MEMBER])  # its member changed
    assert "h" not in cache
    cache.authenticate("h", NOW, load)
    assert len(loads) == 2


def test_a_load_overlapping_an_eviction_of_its_ids_is_answered_but_not_kept() -> None:
    """It may have read the token before the change that evicted it."""
    cache = _watching()

    def load_while_revoked_elsewhere() -> Credential:
        found = _credential()
        cache.evict([TOKEN])  # the watcher saw the revocation meanwhile
        return found

    assert cache.authenticate("h", NOW, load_while_revoked_elsewhere) is not None
    assert "h" not in cache


def test_nothing_is_kept_without_a_watcher_nor_after_it_failed() -> None:
    unwatched = TokenCache()
    unwatched.authenticate("h", NOW, _credential)
    assert "h" not in unwatched
    cache = _watching()
    cache.authenticate("h", NOW, _credential)
    cache.forget()
    assert len(cache) == 0
    cache.authenticate("h", NOW, _credential)
    assert "h" not in cache


def test_catch_up_evicts_what_changed_after_its_position_up_to_the_head() -> None:
    cache, asked = _watching(), []
    cache.authenticate("h", NOW, _credential)

    def changed(after: int, head: int) -> list:
        asked.append((after, head))
        return [TOKEN]

    cache.catch_up(0, changed)  # nothing new: not even asked
    assert asked == []
    cache.catch_up(7, changed)
    assert asked == [(0, 7)]
    assert "h" not in cache
    assert cache.position == 7


def test_an_employment_end_is_obeyed_from_memory() -> None:
    cache = _watching()
    ends = NOW + timedelta(hours=1)
    assert cache.authenticate("h", NOW, lambda: _credential(ends)) is not None
    assert cache.authenticate("h", ends, _credential) is None  # from the cached end
    assert cache.authenticate("h", ends - timedelta(microseconds=1), _credential) is not None
