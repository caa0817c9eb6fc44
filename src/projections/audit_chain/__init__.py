"""The audit chain: a hash chain over the stored events, kept as a read model (ADR 0044)."""

from projections.audit_chain.chain import GENESIS, next_link, record_digest
from projections.audit_chain.projection import AuditChain
from projections.audit_chain.queries import ChainLink, chain_head, chain_window

__all__ = [
    "GENESIS",
    "AuditChain",
    "ChainLink",
    "chain_head",
    "chain_window",
    "next_link",
    "record_digest",
]
