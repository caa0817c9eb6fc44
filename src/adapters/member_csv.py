"""A member file (SPEC §3, ADR 0033) as CSV: read like the price file (adapters/price_csv.py),
written with the same header an import reads."""

from __future__ import annotations

import csv
import io

from adapters.price_csv import read_price_csv
from domain.application.member_imports import ExportRow
from domain.model.member_rows import COLUMNS
from domain.model.price_rows import PriceTable


def read_member_csv(content: bytes) -> PriceTable:
    """The header and rows of an uploaded member file (the reading is the price file's)."""
    return read_price_csv(content)


def write_member_csv(rows: list[ExportRow]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [r.email, r.name, r.role, r.plan, ";".join(r.options), r.last_employment_day]
        )
    return out.getvalue()
