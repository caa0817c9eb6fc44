"""The PostgreSQL event recorder, saving in one round trip (docs/adr/0049-command-round-trips.md).

The library's recorder sends a save in five turns: BEGIN (psycopg syncs a pipelined
transaction's start), the lock and the insert, a sync, COMMIT, and the pipeline's last sync.
This one pipelines the same statements — BEGIN; SET LOCAL lock_timeout; LOCK TABLE …
EXCLUSIVE (notification ids stay in commit order); NOTIFY; INSERT … RETURNING; COMMIT —
behind one Sync, so the server answers them together. A failed insert skips the rest up to
the Sync and leaves the transaction aborted, so it is rolled back before the error is raised
(the library's get_connection() turns it into its IntegrityError and the like).
Chosen with APPLICATION_RECORDER_TOPIC, a setting the library offers for this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import pq
from psycopg.sql import SQL

_BEGIN, _COMMIT, _ROLLBACK = SQL("BEGIN"), SQL("COMMIT"), SQL("ROLLBACK")


class OneTripRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events or self.datastore.enable_db_functions:
            library: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return library
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            assert conn.autocommit  # BEGIN and COMMIT are ours to send
            try:
                with conn.pipeline():  # its end sends the one Sync and reads every answer
                    curs.execute(_BEGIN)
                    self._insert_stored_events(curs, stored_events, **kwargs)
                    conn.execute(_COMMIT)
            except Exception:
                if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                    conn.execute(_ROLLBACK)  # the aborted transaction, before the pool
                raise
            ids: Sequence[int] | None = self._fetch_ids_after_insert_events(
                curs, stored_events, **kwargs
            )
            return ids
