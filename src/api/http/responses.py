"""How a resource answers, built in one place.

A command answers with its subject at the version it reached, which the application
returns in the `Outcome` (a replayed Idempotency-Key gets it at the version its first
answer reached, so the very same body): no route loads the aggregate again. The log
position travels in `Lessor-Position`, the version in a strong `ETag: "<version>"`
(RFC 9110 §8.8.3), which a client sends back as `If-Match` (api/http/preconditions.py).
A read of one resource carries the same ETag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from eventsourcing.domain import Aggregate
from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.application import Outcome

POSITION_HEADER = "Lessor-Position"
REPLAYED_HEADER = "Idempotent-Replayed"

A = TypeVar("A", bound=Aggregate)


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class Resource(Generic[A]):
    """One kind of aggregate as the API shows it: its body, and where a new one lives.

    Every body is validated into `model`, the schema the OpenAPI shows for it: a field the
    render adds, drops or retypes fails at once instead of drifting from the document."""

    kind: type[A]
    render: Callable[[A], dict[str, Any]]
    model: type[BaseModel]
    collection: str | None = None  # a created one's Location is `{collection}/{id}`

    def body(self, aggregate: A) -> dict[str, Any]:
        return self.model.model_validate(self.render(aggregate)).model_dump(mode="json")

    def answer(self, outcome: Outcome) -> JSONResponse:
        """A command's answer: 201 with its Location when it created the subject, else 200."""
        headers = {POSITION_HEADER: str(outcome.position), "ETag": etag(outcome.version)}
        if outcome.created and self.collection is not None:
            headers["Location"] = f"{self.collection}/{outcome.subject_id}"
        if outcome.replayed:
            headers[REPLAYED_HEADER] = "true"
        body = self.body(outcome.subject_as(self.kind))
        return JSONResponse(body, status_code=201 if outcome.created else 200, headers=headers)

    def read(self, response: Response, aggregate: A) -> dict[str, Any]:
        """A read of one: its body, with its version as the ETag."""
        response.headers["ETag"] = etag(aggregate.version)
        return self.body(aggregate)
