"""The answers of /v1/reconciliations: a run's status and, when done, its report."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from api.http.schemas.common import Body


class DiscrepancyOut(Body):
    subject: str = Field(description="what disagrees, with its ids")
    problem: str = Field(description="how, with the amounts")
    amounts: dict[str, str] = Field(description="the amounts involved (JSON text if not text)")


class CheckOut(Body):
    name: str
    checked: int = Field(description="subjects checked (accounts, invoices, subscriptions, …)")
    discrepancies: list[DiscrepancyOut]


class ReconciliationOut(Body):
    id: str
    status: Literal["running", "done", "failed"]
    requested_at: str = Field(description="when it was asked for (UTC, ISO 8601)")
    finished_at: str | None
    agrees: bool | None = Field(description="done: whether every check agrees")
    checks: list[CheckOut] = Field(description="done: one per check; running: empty")
    error: str | None = Field(description="failed: why")


def reconciliation_out(run: dict[str, Any]) -> ReconciliationOut:
    return ReconciliationOut(
        id=run["id"],
        status=run["status"],
        requested_at=run["requested_at"],
        finished_at=run["finished_at"],
        agrees=run["agrees"],
        checks=[
            CheckOut(
                name=c["name"],
                checked=c["checked"],
                discrepancies=[
                    DiscrepancyOut(
                        subject=d["subject"],
                        problem=d["problem"],
                        amounts={
                            k: v if isinstance(v, str) else json.dumps(v)
                            for k, v in d["amounts"].items()
                        },
                    )
                    for d in c["discrepancies"]
                ],
            )
            for c in run["checks"]
        ],
        error=run["error"],
    )
