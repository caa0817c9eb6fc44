"""The hash chain over the stored events (SPEC §7.2, docs/adr/0044-audit-chain.md).

Each stored event has a digest of its bytes as stored — originator id, version, topic and
state, each length-prefixed so no two records encode alike — and a link:
`link_n = SHA-256(link_{n-1} ‖ position_n ‖ digest_n)`, from a genesis link of 32 zero
bytes. The link at the head therefore commits to every record and its position before it;
the per-event digest lets `lessor audit verify` tell a changed event from a moved one.
"""

from __future__ import annotations

import hashlib
import struct

from projections.base import StoredRecord

GENESIS = bytes(32)
_DIGEST_PREFIX = b"lessor-audit-chain/1\x00"


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def record_digest(record: StoredRecord) -> bytes:
    """SHA-256 of the record's stored bytes (not its position: see `next_link`)."""
    return hashlib.sha256(
        _DIGEST_PREFIX
        + _field(str(record.originator_id).encode("utf-8"))
        + struct.pack(">q", record.originator_version)
        + _field(record.topic.encode("utf-8"))
        + _field(bytes(record.state))
    ).digest()


def next_link(previous: bytes, position: int, digest: bytes) -> bytes:
    return hashlib.sha256(previous + struct.pack(">q", position) + digest).digest()
