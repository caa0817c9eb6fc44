"""Signed checkpoints of the audit chain's head (SPEC §7.2, docs/adr/0044-audit-chain.md).

A checkpoint is the JSON (keys sorted, no spaces) of `v`, `kid`, `position`, `head` (the
link at that position, hex) and `signed_at`, and an Ed25519 signature over exactly those
bytes (base64url). They are kept in `audit_checkpoints`, beside the views but not a view:
a rebuild never touches them. The scheduler signs one on the first tick of each UTC day;
`lessor audit checkpoint` signs one on demand and prints it, to keep elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.projector import Projector, live_names
from adapters.signing import PublicKey, SigningKey, b64, signature_verifies, unb64
from adapters.sql import Database, SqlSession
from projections.audit_chain import AuditChain, chain_head
from projections.jsonable import utc_text

CHECKPOINTS_TABLE = "audit_checkpoints"
FORMAT_VERSION = 1
_CHAIN = live_names(AuditChain())


@dataclass(frozen=True, slots=True)
class Checkpoint:
    payload: str  # the signed JSON, as signed
    signature: str  # base64url

    @property
    def facts(self) -> dict[str, Any]:
        """The payload's fields ({} when it is not JSON: then it cannot verify either)."""
        try:
            facts = json.loads(self.payload)
        except ValueError:
            return {}
        return facts if isinstance(facts, dict) else {}

    @property
    def position(self) -> int:
        """-1 when the payload names no whole position (it cannot verify then either)."""
        position = self.facts.get("position")
        return position if isinstance(position, int) else -1

    @property
    def head(self) -> str:
        return str(self.facts.get("head", ""))

    @property
    def signed_at(self) -> str:
        return str(self.facts.get("signed_at", ""))

    def verifies(self, keys: list[PublicKey]) -> bool:
        """Signed by one of `keys` (the one its `kid` names), over exactly this payload."""
        key = next((k for k in keys if k.key_id == self.facts.get("kid")), None)
        try:
            signature = unb64(self.signature)
        except ValueError:
            return False
        return key is not None and signature_verifies(key, signature, self.payload.encode())

    def as_json(self) -> str:
        return json.dumps({"payload": self.facts, "signature": self.signature}, sort_keys=True)


@dataclass(frozen=True, slots=True)
class CheckpointStatus:
    """What the console shows: the last checkpoint and whether its signature verifies."""

    position: int
    signed_at: str  # UTC, fixed-width ISO text
    head: str  # hex
    key_id: str
    signature_valid: bool


def create_checkpoints_table(db: Database) -> None:
    """An explicit step, run by `lessor db init`."""
    with db.transaction() as tx:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} ("
            " signed_at TEXT NOT NULL, position BIGINT NOT NULL,"
            " payload TEXT NOT NULL, signature TEXT NOT NULL,"
            " PRIMARY KEY (signed_at, position))"
        )


def read_checkpoints(tx: SqlSession) -> list[Checkpoint]:
    """Every checkpoint, oldest first."""
    rows = tx.fetchall(
        f"SELECT payload, signature FROM {CHECKPOINTS_TABLE} ORDER BY signed_at, position"
    )
    return [Checkpoint(str(payload), str(signature)) for payload, signature in rows]


def last_checkpoint(db: Database, keys: list[PublicKey]) -> CheckpointStatus | None:
    """The newest checkpoint with its signature checked against `keys`; None before the first."""
    with db.transaction() as tx:
        row = tx.fetchone(
            f"SELECT payload, signature FROM {CHECKPOINTS_TABLE}"
            " ORDER BY signed_at DESC, position DESC LIMIT 1"
        )
    if row is None:
        return None
    checkpoint = Checkpoint(str(row[0]), str(row[1]))
    return CheckpointStatus(
        position=checkpoint.position,
        signed_at=checkpoint.signed_at,
        head=checkpoint.head,
        key_id=str(checkpoint.facts.get("kid", "")),
        signature_valid=checkpoint.verifies(keys),
    )


class AuditCheckpoints:
    """Signs the chain's head with the audit key; the scheduler's daily job."""

    def __init__(self, db: Database, projector: Projector, key: SigningKey) -> None:
        self.db = db
        self.projector = projector
        self.key = key

    @property
    def public_keys(self) -> list[PublicKey]:
        return [self.key.public]

    def sign_head(self, now: datetime) -> Checkpoint:
        """Chain what is in the log now and sign the head, as of `now`."""
        self.projector.catch_up(AuditChain.name)
        with self.db.transaction() as tx:
            head = chain_head(tx.with_names(_CHAIN))
            facts = {
                "v": FORMAT_VERSION,
                "kid": self.key.public.key_id,
                "position": head.position,
                "head": head.link.hex(),
                "signed_at": utc_text(now),
            }
            payload = json.dumps(facts, sort_keys=True, separators=(",", ":"))
            checkpoint = Checkpoint(payload, b64(self.key.sign(payload.encode())))
            tx.execute(
                f"INSERT INTO {CHECKPOINTS_TABLE} (signed_at, position, payload, signature)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (facts["signed_at"], head.position, payload, checkpoint.signature),
            )
        return checkpoint

    def sign_if_due(self, now: datetime) -> Checkpoint | None:
        """At least daily: a checkpoint unless one was signed on `now`'s UTC day or later."""
        with self.db.transaction() as tx:
            row = tx.fetchone(f"SELECT MAX(signed_at) FROM {CHECKPOINTS_TABLE}")
        today = now.astimezone(UTC).date().isoformat()
        if row is not None and row[0] is not None and str(row[0])[:10] >= today:
            return None
        return self.sign_head(now)
