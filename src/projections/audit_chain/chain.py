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


_LENGTH = struct.Struct(">I")
_INT64 = struct.Struct(">q")


def record_digest(record: StoredRecord) -> bytes:
    """SHA-256 of the record's stored bytes (not its position: see `next_link`)."""
    originator = str(record.originator_id).encode("utf-8")
    topic = record.topic.encode("utf-8")
    state = bytes(record.state)
    return hashlib.sha256(
        b"".join(
            (
                _DIGEST_PREFIX,
                _LENGTH.pack(len(originator)),
                originator,
                _INT64.pack(record.originator_version),
                _LENGTH.pack(len(topic)),
                topic,
                _LENGTH.pack(len(state)),
                state,
            )
        )
    ).digest()


def next_link(previous: bytes, position: int, digest: bytes) -> bytes:
    return hashlib.sha256(previous + _INT64.pack(position) + digest).digest()
