"""/v1/members/import and /v1/members.csv: bulk provisioning by CSV (ADR 0033)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.http.schemas.common import Body
from api.http.schemas.price_imports import RowErrorOut
from domain.application.member_imports import MemberImportResult


class MemberImportRowOut(Body):
    line: int
    email: str
    member_id: str
    created: bool
    assigned: list[str] = Field(description="Product codes assigned by this row")
    unassigned: list[str] = Field(description="Product codes unassigned by this row")
    last_employment_day_set: bool


class MemberImportCounts(Body):
    rows: int
    errors: int
    created: int
    changed: int


class MemberImportOut(Body):
    company_id: str
    dry_run: bool
    valid: bool
    applied: bool = Field(description="This request wrote the changes")
    counts: MemberImportCounts
    rows: list[MemberImportRowOut]
    errors: list[RowErrorOut]


def member_import_out(result: MemberImportResult) -> dict[str, Any]:
    rows = [
        {
            "line": r.line,
            "email": r.email,
            "member_id": str(r.member_id),
            "created": r.created,
            "assigned": list(r.assigned),
            "unassigned": list(r.unassigned),
            "last_employment_day_set": r.last_employment_day_set,
        }
        for r in result.rows
    ]
    return {
        "company_id": str(result.company_id),
        "dry_run": result.dry_run,
        "valid": not result.errors,
        "applied": result.applied,
        "counts": {
            "rows": len(result.rows),
            "errors": len(result.errors),
            "created": sum(r.created for r in result.rows),
            "changed": sum(r.changed or r.last_employment_day_set for r in result.rows),
        },
        "rows": rows,
        "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in result.errors],
    }
