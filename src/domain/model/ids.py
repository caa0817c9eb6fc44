"""Deterministic ids from natural keys: creating the same thing twice becomes a version conflict."""

from __future__ import annotations

from uuid import UUID, uuid5

LESSOR_NAMESPACE = UUID("7f0d1e2a-5b3c-5d4e-8f60-1a2b3c4d5e6f")


def natural_id(kind: str, *parts: object) -> UUID:
    """The id of the one `kind` identified by `parts`, e.g. ("serial", company_id, "SN-1")."""
    return uuid5(LESSOR_NAMESPACE, "/".join([kind, *(str(p) for p in parts)]))
