"""The audit chain read model: one row per stored event, its digest and its link."""

from __future__ import annotations

from projections.audit_chain.chain import GENESIS, next_link, record_digest
from projections.base import RecordProjection, StoredRecord, ViewSession


class AuditChain(RecordProjection):
    name = "audit_chain"
    tables = {  # noqa: RUF012 (declarative table spec)
        "audit_chain": """
            position BIGINT PRIMARY KEY,
            digest TEXT NOT NULL,
            link TEXT NOT NULL
        """,
    }

    def __init__(self) -> None:
        # The last link written, and the view session (one transaction) it was written in:
        # within a batch the next event chains onto it without a read; a new batch (or a
        # rolled-back one) reads the head from the table again.
        self._last: tuple[ViewSession, bytes] | None = None

    def apply_record(self, record: StoredRecord, view: ViewSession) -> None:
        digest = record_digest(record)
        link = next_link(self._previous(view), record.position, digest)
        view.execute(
            "INSERT INTO {audit_chain} (position, digest, link) VALUES (?, ?, ?)",
            (record.position, digest.hex(), link.hex()),
        )
        self._last = (view, link)

    def _previous(self, view: ViewSession) -> bytes:
        last = self._last
        if last is not None and last[0] is view:
            return last[1]
        row = view.fetchone("SELECT link FROM {audit_chain} ORDER BY position DESC LIMIT 1")
        return bytes.fromhex(row[0]) if row else GENESIS
