"""/v1/devices/buyout-prices/import: what an import checked, would change or changed."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from api.http.problems import FieldError, Problem
from api.http.schemas.common import Body, MoneyOut
from domain.model.price_import import Change


class RowErrorOut(Body):
    line: int = Field(description="the file's line where the record starts; the header is 1")
    field: str = Field(description='a column name, or "file", "header", "row"')
    message: str


class CsvFileProblem(Problem):
    """422: a file with errors lists each of them (nothing imported); a request the schema
    refuses lists each refusal, as everywhere."""

    errors: list[RowErrorOut] | list[FieldError] | None = None


class ImportCountsOut(Body):
    rows: int
    errors: int
    devices_changed: int
    price_set: int
    price_cleared: int
    availability_set: int


class ImportRowOut(Body):
    line: int
    serial: str
    device_id: UUID
    price: MoneyOut | None
    price_given: bool = Field(description="false: the file has no price column (price unchanged)")
    available: bool | None
    effective_date: date
    changes: list[Change]


class ImportResultOut(Body):
    import_id: UUID
    company_id: UUID
    sha256: str
    dry_run: bool
    valid: bool = Field(description="no errors")
    applied: bool
    repeated: bool = Field(description="the same file was applied before: nothing written")
    counts: ImportCountsOut
    rows: list[ImportRowOut]
    errors: list[RowErrorOut]
