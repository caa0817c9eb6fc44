"""Email delivery: the outbox projection's messages, sent at least once.

The outbox (projections/outbox.py) says *what* to send; it is a pure read model and is
rebuilt like any other. *Whether* a message went out lives here, in `email_deliveries`,
keyed by the message's deterministic id — rebuilds never touch it, so a rebuild sends
nothing again. `send_due(now)`:

1. selects messages with no delivery yet, or whose delivery is `failed` or `sending`
   with `next_attempt_at` passed (a `sending` claim is a lease: a sender that crashed
   mid-send leaves one, and it is retried once the lease runs out);
2. claims each one in its own transaction (`sending`, attempts + 1, lease) — two senders
   never both claim a message;
3. sends it with `Message-ID: <message_id>`, then marks it `sent` — or, on failure,
   `failed` with exponential backoff (1 min × 2^(attempts − 1), at most 1 h); or, when the
   server refuses the recipient or the message for good (a 5xx reply, RFC 5321 §4.2.1:
   "do not repeat the exact request"), `rejected`, never retried. A 5xx about our own
   set-up (authentication, the sender address) is retried: it is fixed by fixing the
   configuration, and then the message should still go.

So delivery is at least once, with a stable Message-ID: the only window for a duplicate
is a crash between the server accepting the message and our `sent` commit, and the
duplicate carries the same Message-ID (mail clients show it once).

A message older than `max_age` when first seen is not sent but recorded `expired`: when a
new outbox folds old history, nobody gets last year's reminders.

Transports: SMTP (stdlib smtplib; STARTTLS and login optional) or, without an SMTP host,
one `.eml` file per message id in a directory (development, demos).
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from adapters.loop import run_every
from adapters.sql import Database
from projections.jsonable import utc_text
from projections.outbox import MESSAGES_TABLE

log = logging.getLogger("lessor.email")

DELIVERIES_TABLE = "email_deliveries"
SENDING, SENT, FAILED, EXPIRED, REJECTED = "sending", "sent", "failed", "expired", "rejected"
_UTC_TEXT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: str
    recipient: str
    subject: str
    body: str
    created_at: str  # fixed-width UTC text (the event's business time)
    attachment: str | None = None  # e.g. "invoice:<id>": what the sender attaches


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    sent_at: str | None


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message over; raise (OSError, smtplib.SMTPException…) if not accepted."""


@dataclass(repr=False, eq=False)
class SmtpTransport:
    """One connection per message: a handful of emails a day needs no pooling."""

    host: str
    port: int = 25
    _: KW_ONLY
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)  # raises unless the one recipient was accepted

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port}, starttls={self.starttls})"


class EmlFileTransport:
    """Writes `<message_id>.eml` (atomically; a retry overwrites the same file)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, message_id: str) -> Path:
        return self.directory / (re.sub(r"[^A-Za-z0-9.@_-]", "_", message_id) + ".eml")

    def send(self, message: EmailMessage) -> None:
        message_id = str(message["Message-ID"]).strip("<>")
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(message_id)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(message.as_bytes(policy=SMTP))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        return f"EmlFileTransport({self.directory})"


@dataclass(eq=False)
class EmailSender:
    db: Database
    transport: Transport
    _: KW_ONLY
    sender: str
    lease: timedelta = timedelta(minutes=5)
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=1)
    max_age: timedelta = timedelta(days=7)
    batch_size: int = 100
    # A message's attachment by reference → (file name, PDF bytes), rendered at sending
    # from the fact it names, so a rebuild of the outbox never stores or changes it.
    attachments: Callable[[str], tuple[str, bytes]] | None = None

    # ------------------------------------------------------------------ schema

    def create_schema(self) -> None:
        """An explicit step, run by `lessor db init`."""
        with self.db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {DELIVERIES_TABLE} ("
                " message_id TEXT PRIMARY KEY,"
                " status TEXT NOT NULL,"
                " attempts INTEGER NOT NULL,"
                " next_attempt_at TEXT,"
                " last_error TEXT,"
                " sent_at TEXT)"
            )
            tx.execute(
                f"CREATE INDEX IF NOT EXISTS {DELIVERIES_TABLE}_due"
                f" ON {DELIVERIES_TABLE} (status, next_attempt_at)"
            )

    # ----------------------------------------------------------------- sending

    def send_due(self, now: datetime) -> int:
        """Send every message due at `now`; returns how many were sent."""
        sent = 0
        seen: set[str] = set()
        while True:
            due = [e for e in self._due(now) if e.message_id not in seen]
            if not due:
                return sent
            for email in due:
                seen.add(email.message_id)
                attempt = self._claim(email, now)
                if attempt is None:
                    continue  # sent, expired, or another sender holds it
                try:
                    self.transport.send(self.build(email))
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                    if refused_for_good(error):
                        self._rejected(email.message_id, error)
                    else:
                        self._failed(email.message_id, attempt, now, error)
                    continue  # the server answered: the next message may fare better
                except OSError as error:
                    self._failed(email.message_id, attempt, now, error)
                    return sent  # unreachable or timing out: don't wait on it for each one
                except Exception as error:  # a bad message must not block the others
                    log.exception("email %s could not be sent", email.message_id)
                    self._failed(email.message_id, attempt, now, error)
                    continue
                self._sent(email.message_id, now)
                sent += 1

    def build(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.recipient
        message["Subject"] = email.subject
        message["Message-ID"] = f"<{email.message_id}>"
        message["Date"] = format_datetime(_parse_utc(email.created_at))
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        message.set_content(email.body)
        if email.attachment is not None:
            if self.attachments is None:
                raise ValueError(f"no renderer for the attachment {email.attachment}")
            filename, data = self.attachments(email.attachment)
            message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
        return message

    def backoff(self, attempts: int) -> timedelta:
        """After the n-th failed attempt: first_retry × 2^(n − 1), at most max_retry."""
        return min(self.first_retry * (1 << min(max(attempts - 1, 0), 30)), self.max_retry)

    def run_forever(
        self, clock: Callable[[], datetime], stop: threading.Event, *, interval_s: float = 5.0
    ) -> None:
        run_every(
            self.send_due,
            clock,
            stop,
            interval_s=interval_s,
            log=log,
            failure="sending email failed; retrying",
        )

    # ----------------------------------------------------------------- queries

    def deliveries(self) -> list[Delivery]:
        with self.db.transaction() as tx:
            rows = tx.fetchall(
                "SELECT message_id, status, attempts, next_attempt_at, last_error, sent_at"
                f" FROM {DELIVERIES_TABLE} ORDER BY message_id"
            )
        return [Delivery(r[0], r[1], int(r[2]), r[3], r[4], r[5]) for r in rows]

    def delivery(self, message_id: str) -> Delivery | None:
        return next((d for d in self.deliveries() if d.message_id == message_id), None)

    # ----------------------------------------------------------------- steps

    def _due(self, now: datetime) -> list[OutgoingEmail]:
        with self.db.transaction() as tx:
            rows = tx.fetchall(
                "SELECT m.message_id, m.recipient, m.subject, m.body, m.created_at, m.attachment"
                f" FROM {MESSAGES_TABLE} m"
                f" LEFT JOIN {DELIVERIES_TABLE} d ON d.message_id = m.message_id"
                " WHERE d.message_id IS NULL"
                " OR (d.status IN (?, ?) AND d.next_attempt_at <= ?)"
                " ORDER BY m.position, m.message_id LIMIT ?",
                (SENDING, FAILED, utc_text(now), self.batch_size),
            )
        return [OutgoingEmail(*row) for row in rows]

    def _claim(self, email: OutgoingEmail, now: datetime) -> int | None:
        """Take the message for one attempt (its own transaction); the attempt number."""
        lease_until = utc_text(now + self.lease)
        with self.db.transaction() as tx:
            row = tx.fetchone(
                f"SELECT status, attempts, next_attempt_at FROM {DELIVERIES_TABLE}"
                f" WHERE message_id = ?{self.db.for_update()}",
                (email.message_id,),
            )
            if row is None:
                if email.created_at < utc_text(now - self.max_age):
                    log.warning("email %s is too old to send: expired", email.message_id)
                    tx.execute(
                        f"INSERT INTO {DELIVERIES_TABLE} (message_id, status, attempts,"
                        " next_attempt_at, last_error, sent_at) VALUES (?, ?, 0, NULL, ?, NULL)"
                        " ON CONFLICT (message_id) DO NOTHING",
                        (email.message_id, EXPIRED, f"older than {self.max_age} when first seen"),
                    )
                    return None
                inserted = tx.execute(
                    f"INSERT INTO {DELIVERIES_TABLE} (message_id, status, attempts,"
                    " next_attempt_at, last_error, sent_at) VALUES (?, ?, 1, ?, NULL, NULL)"
                    " ON CONFLICT (message_id) DO NOTHING",
                    (email.message_id, SENDING, lease_until),
                )
                return 1 if inserted == 1 else None
            status, attempts, next_attempt_at = row
            if status not in (SENDING, FAILED) or next_attempt_at is None:
                return None
            if next_attempt_at > utc_text(now):
                return None  # backing off, or another sender's lease is still running
            tx.execute(
                f"UPDATE {DELIVERIES_TABLE} SET status = ?, attempts = ?, next_attempt_at = ?"
                " WHERE message_id = ?",
                (SENDING, int(attempts) + 1, lease_until, email.message_id),
            )
            return int(attempts) + 1

    def _sent(self, message_id: str, now: datetime) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE {DELIVERIES_TABLE} SET status = ?, next_attempt_at = NULL,"
                " last_error = NULL, sent_at = ? WHERE message_id = ?",
                (SENT, utc_text(now), message_id),
            )

    def _rejected(self, message_id: str, error: BaseException) -> None:
        text = f"{type(error).__name__}: {error}"[:1000]
        log.warning("email %s rejected for good, not retried: %s", message_id, text)
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE {DELIVERIES_TABLE} SET status = ?, next_attempt_at = NULL, last_error = ?"
                " WHERE message_id = ? AND status = ?",
                (REJECTED, text, message_id, SENDING),
            )

    def _failed(self, message_id: str, attempt: int, now: datetime, error: BaseException) -> None:
        retry_at = now + self.backoff(attempt)
        text = f"{type(error).__name__}: {error}"[:1000]
        log.warning(
            "email %s failed (attempt %d): %s; retry at %s",
            message_id,
            attempt,
            text,
            retry_at.isoformat(),
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE {DELIVERIES_TABLE} SET status = ?, next_attempt_at = ?, last_error = ?"
                " WHERE message_id = ? AND status = ?",
                (FAILED, utc_text(retry_at), text, message_id, SENDING),
            )


def refused_for_good(error: smtplib.SMTPException) -> bool:
    """A permanent (5xx) refusal of this recipient or this message's content."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _parse_utc(text: str) -> datetime:
    return datetime.strptime(text, _UTC_TEXT).replace(tzinfo=UTC)


__all__ = [
    "DELIVERIES_TABLE",
    "Delivery",
    "EmailSender",
    "EmlFileTransport",
    "OutgoingEmail",
    "SmtpTransport",
    "Transport",
]
