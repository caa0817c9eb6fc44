"""Keep this process's token cache in step with the log (docs/adr/0050-token-cache.md)."""

from __future__ import annotations

import logging
import threading

from domain.application.tokens import Tokens

log = logging.getLogger("lessor.token_watch")

# How often the log is read for revocations and other credential changes: well inside the
# one second within which another process's revocation must be refused (issue 16).
WATCH_INTERVAL_S = 0.25


def watch_tokens(tokens: Tokens, stop: threading.Event, interval_s: float) -> None:
    """Until `stop`: catch up every `interval_s`. A failed read forgets the cache (it cannot
    know what it missed) until a read succeeds; every request meanwhile reads the store."""
    while not stop.wait(interval_s):
        try:
            tokens.catch_up()
        except Exception:  # the store is unreachable, say: authenticate from the store
            log.exception("Reading the log for token changes failed; the cache is off")
            tokens.cache.forget()
