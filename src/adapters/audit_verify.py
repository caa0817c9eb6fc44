"""`lessor audit verify`: recompute the audit chain from the events table and compare it
with the stored chain and the signed checkpoints (docs/adr/0044-audit-chain.md).

Both tables are streamed in windows of positions, each window one query per table, so the
cost is a scan, not a round trip per event. Each event's digest is compared with the one
chained when it was folded, so every changed, removed, moved or slipped-in event is named
by its position; the stored links are re-derived from the stored digests, so an edited
chain is named too; and each checkpoint's head must equal the link recomputed from the
events at its position, under a signature that verifies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from adapters.audit_checkpoints import Checkpoint, read_checkpoints
from adapters.event_pages import EventPages, LoggedEvent
from adapters.projection_positions import read_position
from adapters.signing import PublicKey
from adapters.sql import Database
from adapters.view_tables import live_names
from projections.audit_chain import (
    GENESIS,
    AuditChain,
    ChainLink,
    chain_window,
    next_link,
    record_digest,
)

WINDOW = 5000  # positions per query
Progress = Callable[[int, int], None]  # (position reached, chain position)


class NoAuditChain(LookupError):
    """The views hold no audit chain (run `lessor db init`)."""


@dataclass(frozen=True, slots=True)
class Finding:
    position: int
    problem: str  # changed | removed | moved | added | link
    chained_at: int | None = None  # moved: where the event was chained


@dataclass(frozen=True, slots=True)
class CheckpointCheck:
    checkpoint: Checkpoint
    signature_valid: bool
    head_matches: bool  # the link recomputed from the events at its position

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.head_matches


@dataclass
class ChainReport:
    chain_position: int  # the chain covers the log up to here
    events_checked: int = 0
    unchained: int = 0  # events after chain_position: not folded yet, nothing to compare
    findings: list[Finding] = field(default_factory=list)
    checkpoints: list[CheckpointCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and all(c.ok for c in self.checkpoints)


@dataclass
class _Walk:
    """The state of one pass: the chain recomputed from the events, and from the stored
    digests (to check the stored links), and what differs."""

    from_events: bytes = GENESIS
    from_stored: bytes = GENESIS
    events_at: dict[int, bytes] = field(default_factory=dict)  # differing: event's digest
    chained_at: dict[int, bytes] = field(default_factory=dict)  # differing: chained digest
    findings: list[Finding] = field(default_factory=list)
    link_broken: bool = False

    def step(self, position: int, event: LoggedEvent | None, stored: ChainLink | None) -> None:
        digest = record_digest(event) if event is not None else None
        if digest is not None:
            self.from_events = next_link(self.from_events, position, digest)
        if stored is None:
            self.findings.append(Finding(position, "added"))
            return
        self.from_stored = next_link(self.from_stored, position, stored.digest)
        if self.from_stored != stored.link and not self.link_broken:
            self.link_broken = True  # every later link differs too: name the first
            self.findings.append(Finding(position, "link"))
        if digest is None:
            self.findings.append(Finding(position, "removed"))
        elif digest != stored.digest:
            self.events_at[position], self.chained_at[position] = digest, stored.digest

    def changed_or_moved(self) -> list[Finding]:
        """An event whose digest was chained at another differing position was moved."""
        chained = {digest: position for position, digest in self.chained_at.items()}
        return [
            Finding(p, "moved", chained[d]) if chained.get(d, p) != p else Finding(p, "changed")
            for p, d in self.events_at.items()
        ]


def verify_chain(
    events_db: Database,
    pages: EventPages,
    views_db: Database,
    checkpoints_db: Database,
    keys: list[PublicKey],
    *,
    progress: Progress | None = None,
) -> ChainReport:
    """Compare the events of `events_db` with the chain in `views_db` and the checkpoints
    in `checkpoints_db`; only reads."""
    chain = live_names(AuditChain())
    try:
        with views_db.transaction() as tx:
            chain_position = read_position(tx, AuditChain.name)
    except (sqlite3.Error, psycopg.Error) as error:  # not a views database at all
        raise NoAuditChain(f"not a views database ({error})") from error
    if chain_position is None:
        raise NoAuditChain("the views hold no audit chain: run `lessor db init`")
    with checkpoints_db.transaction() as tx:
        checkpoints = read_checkpoints(tx)
    report = ChainReport(chain_position=chain_position)
    pending = sorted({c.position for c in checkpoints}, reverse=True)
    heads: dict[int, bytes] = {}
    walk, after = _Walk(), 0
    while after < chain_position:
        until = min(after + WINDOW, chain_position)
        with events_db.transaction() as tx:
            events = {e.position: e for e in pages.after(tx, after, WINDOW, stop=until)}
        with views_db.transaction() as tx:
            links = chain_window(tx.with_names(chain), after, until)
        stored = {link.position: link for link in links}
        for position in sorted(events.keys() | stored.keys()):
            while pending and pending[-1] < position:
                heads[pending.pop()] = walk.from_events
            walk.step(position, events.get(position), stored.get(position))
        report.events_checked += len(events)
        after = until
        if progress:
            progress(after, chain_position)
    heads.update(dict.fromkeys(pending, walk.from_events))
    with events_db.transaction() as tx:
        report.unchained = pages.count_after(tx, chain_position)
    report.findings = sorted(walk.findings + walk.changed_or_moved(), key=lambda f: f.position)
    report.checkpoints = [
        CheckpointCheck(
            checkpoint=c,
            signature_valid=c.verifies(keys),
            head_matches=heads.get(c.position, b"").hex() == c.head,
        )
        for c in checkpoints
    ]
    return report
