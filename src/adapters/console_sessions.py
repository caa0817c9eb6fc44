"""Console sign-in sessions, kept in the view database so every API worker shares them.

A session is a random secret in the browser's cookie; the table keeps only its SHA-256
(a leaked table opens no session), beside the hash of the API token it was opened with
(the hash the event store already keeps, never the token), so each request can ask the
token again whether it still stands: a revoked token ends its sessions (ADR 0041).
Idle expiry runs on the wall clock, not on business time: moving a sandbox clock a month
ahead must not sign everyone out, and a stolen cookie must not live longer in a demo.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from adapters.clock import Clock
from adapters.sql import Database
from projections.jsonable import utc_text

TABLE = "console_sessions"


def session_hash(secret: str) -> str:
    """256 random bits need no slow hash: there is nothing to brute-force."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    session_hash: str
    token_hash: str
    company_id: UUID | None  # the company an operator picked; an admin's own
    csrf_token: str
    last_seen_at: datetime


class ConsoleSessions:
    def __init__(self, db: Database, wall: Clock, *, idle: timedelta) -> None:
        self._db = db
        self._wall = wall
        self.idle = idle

    @staticmethod
    def create_schema(db: Database) -> None:
        with db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                " session_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, company_id TEXT,"
                " csrf_token TEXT NOT NULL, created_at TEXT NOT NULL,"
                " last_seen_at TEXT NOT NULL)"
            )
            tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_by_token ON {TABLE} (token_hash)")

    def open(self, token_hash: str, company_id: UUID | None) -> str:
        """A new session; the secret returned goes into the cookie and nowhere else.
        Sessions left idle past expiry are deleted on the way (the table stays small)."""
        secret = secrets.token_urlsafe(32)
        wall = self._wall.now()
        now = utc_text(wall)
        with self._db.transaction() as tx:
            tx.execute(
                f"DELETE FROM {TABLE} WHERE last_seen_at <= ?", (utc_text(wall - self.idle),)
            )
            tx.execute(
                f"INSERT INTO {TABLE} (session_hash, token_hash, company_id, csrf_token,"
                " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session_hash(secret),
                    token_hash,
                    str(company_id) if company_id else None,
                    secrets.token_urlsafe(32),
                    now,
                    now,
                ),
            )
        return secret

    def find(self, secret: str) -> ConsoleSession | None:
        """The live session behind a cookie, its idle time restarted; an expired one is
        deleted and answers None."""
        key = session_hash(secret)
        now = self._wall.now()
        with self._db.transaction() as tx:
            row = tx.fetchone(
                f"SELECT session_hash, token_hash, company_id, csrf_token, last_seen_at"
                f" FROM {TABLE} WHERE session_hash = ?",
                (key,),
            )
            if row is None:
                return None
            last_seen = datetime.fromisoformat(row[4])
            if now - last_seen >= self.idle:
                tx.execute(f"DELETE FROM {TABLE} WHERE session_hash = ?", (key,))
                return None
            tx.execute(
                f"UPDATE {TABLE} SET last_seen_at = ? WHERE session_hash = ?",
                (utc_text(now), key),
            )
        return ConsoleSession(
            session_hash=row[0],
            token_hash=row[1],
            company_id=UUID(row[2]) if row[2] else None,
            csrf_token=row[3],
            last_seen_at=now,
        )

    def select_company(self, secret: str, company_id: UUID | None) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                f"UPDATE {TABLE} SET company_id = ? WHERE session_hash = ?",
                (str(company_id) if company_id else None, session_hash(secret)),
            )

    def close(self, secret: str) -> None:
        with self._db.transaction() as tx:
            tx.execute(f"DELETE FROM {TABLE} WHERE session_hash = ?", (session_hash(secret),))

    def close_all_of(self, token_hash: str) -> int:
        """Every session opened with a token that no longer stands (revoked, member gone)."""
        with self._db.transaction() as tx:
            return tx.execute(f"DELETE FROM {TABLE} WHERE token_hash = ?", (token_hash,))
