"""How a command answers: the resource at the version the command reached, and its position.

The body is rebuilt from the stored (id, version), so a replayed Idempotency-Key gets
the very same body; the log position travels in the `Lessor-Position` header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from domain.application import Outcome

POSITION_HEADER = "Lessor-Position"


def command_response(
    outcome: Outcome, body: dict[str, Any], location: Callable[[str], str] | None = None
) -> JSONResponse:
    headers = {POSITION_HEADER: str(outcome.position)}
    if outcome.created and location is not None:
        headers["Location"] = location(str(outcome.subject_id))
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=201 if outcome.created else 200, headers=headers)
