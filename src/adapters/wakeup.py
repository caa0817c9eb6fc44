"""Wake a projector worker when another process commits (PostgreSQL LISTEN/NOTIFY).

The library NOTIFYs the events table's channel inside every insert transaction. This is
only a wake-up: the projector still reads the log itself, so a lost notification (a dropped
connection) costs at most one poll interval, never an event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("lessor.wakeup")


def listen_for_commits(
    conninfo: str, channel: str, wake: Callable[[], None], stop: threading.Event
) -> threading.Thread:
    def listen() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    while not stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            wake()
            except psycopg.Error as error:  # reconnect; polling covers the gap
                log.warning("LISTEN connection lost (%s); reconnecting", error)
                stop.wait(1.0)

    thread = threading.Thread(target=listen, name="lessor-listen", daemon=True)
    thread.start()
    return thread
