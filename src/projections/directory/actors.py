"""The people behind actor ids, for other read models' queries: the event log shows who did
what by name, read from the directory in the reader's own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.model.actor import Caller, Role
from projections.reading import ViewReads


def named_actors(
    tx: ViewReads, caller: Caller, actors: Iterable[tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """(actor id, role) → the actor as people read it: `id` and `role`, and `name`, `email`
    and `label` — a member's name and email, a service account's (or operator token's) label,
    else the role ("operator" for the console, "system" for the scheduler and payments).
    The provider's own token labels are for operators only."""
    wanted = dict(actors)
    found: dict[str, tuple[Any, ...]] = {}
    if wanted:
        ids = sorted(wanted)
        for row in tx.fetchall(
            "SELECT t.token_id, t.label, m.name, m.email FROM directory_tokens t"  # noqa: S608
            " LEFT JOIN directory_members m ON m.member_id = t.member_id"
            f" WHERE t.token_id IN ({', '.join('?' * len(ids))})",
            ids,
        ):
            found[row[0]] = row
    named = {}
    for actor_id, role in wanted.items():
        token = found.get(actor_id)
        label = (token[1] or None) if token else None
        if role == Role.OPERATOR and caller.role != Role.OPERATOR:
            label = None
        member_name, email = (token[2], token[3]) if token else (None, None)
        named[actor_id] = {
            "id": actor_id,
            "role": role,
            "name": member_name or label or role,
            "email": email,
            "label": label,
        }
    return named
