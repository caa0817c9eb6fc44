"""Ids for new aggregates: random (version 4) UUIDs, so they reveal nothing and never clash."""

from __future__ import annotations

from uuid import UUID, uuid4


class RandomIds:
    """The `IdSource` of production (domain/ports.py)."""

    def new_id(self) -> UUID:
        return uuid4()
