"""Reading the chain: its head, and its rows window by window (for `verify`)."""

from __future__ import annotations

from dataclasses import dataclass

from projections.audit_chain.chain import GENESIS
from projections.base import ViewSession


@dataclass(frozen=True, slots=True)
class ChainLink:
    position: int
    digest: bytes
    link: bytes


def chain_head(view: ViewSession) -> ChainLink:
    """The last link (position 0 and the genesis link when the log is empty)."""
    row = view.fetchone(
        "SELECT position, digest, link FROM {audit_chain} ORDER BY position DESC LIMIT 1"
    )
    if row is None:
        return ChainLink(0, b"", GENESIS)
    return ChainLink(int(row[0]), bytes.fromhex(row[1]), bytes.fromhex(row[2]))


def chain_window(view: ViewSession, after: int, until: int) -> list[ChainLink]:
    """The links at positions in (after, until], in log order."""
    rows = view.fetchall(
        "SELECT position, digest, link FROM {audit_chain}"
        " WHERE position > ? AND position <= ? ORDER BY position",
        (after, until),
    )
    return [ChainLink(int(p), bytes.fromhex(d), bytes.fromhex(k)) for p, d, k in rows]
