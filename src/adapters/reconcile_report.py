"""What a reconciliation reports: per check, how many subjects it checked and each
discrepancy with the ids and amounts involved (docs/adr/0045-reconciliation-checks.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Discrepancy:
    subject: str  # e.g. "account <id>", "invoice <id> (2026-000001)"
    problem: str
    amounts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CheckReport:
    name: str
    checked: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)


@dataclass(slots=True)
class Reconciliation:
    checks: list[CheckReport]
    company_seen: bool

    @property
    def agrees(self) -> bool:
        return not any(c.discrepancies for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON values (amounts as text or numbers), for the CLI and the API."""
        return {
            "agrees": self.agrees,
            "checks": [_jsonable(asdict(c)) for c in self.checks],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
