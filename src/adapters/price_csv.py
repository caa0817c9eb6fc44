"""Reading an uploaded price file (SPEC §2.1): CSV bytes into the model's `PriceTable`.

The file is UTF-8 (a BOM is allowed), comma separated with RFC 4180 quoting (a quoted cell
may hold commas, doubled quotes and line breaks), its first record the header:

    serial,price,available,effective_date
    C02XL0GHJGH5,3420.00,yes,2026-03-01

Reading does not know what the columns mean: it decodes, splits the text into records,
numbers each by the line it starts on and leaves out the blank ones. What the header and
the cells must say is the model's (`domain/model/price_table.py`). A file it cannot read
becomes an error on the table, not an exception, so that a dry run reports it like any
other.
"""

from __future__ import annotations

import csv
import hashlib
import io

from domain.model.price_rows import FILE, PriceTable, RawRow, RowError


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_price_csv(content: bytes) -> PriceTable:
    """The header and rows of an uploaded file, with what made it unreadable."""
    sha256 = content_sha256(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        message = f"line {line} is not UTF-8 text: save the file as UTF-8 (CSV UTF-8)"
        return PriceTable(sha256, header=None, errors=(RowError(line, FILE, message),))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        error = RowError(line, FILE, "the file contains a NUL character")
        return PriceTable(sha256, header=None, errors=(error,))
    records, errors = _records(text)
    if not records:
        return PriceTable(sha256, header=None, errors=errors)
    header, *rows = records
    return PriceTable(sha256, header=header, rows=tuple(rows), errors=errors)


def _records(text: str) -> tuple[list[RawRow], tuple[RowError, ...]]:
    """The records that say something, up to the first one the csv module cannot read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[RawRow] = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                records.append(RawRow(line, tuple(cells)))
    except csv.Error as e:
        message = f"unreadable CSV from line {start} on ({e}): check the quotes"
        return records, (RowError(start, FILE, message),)
    return records, ()
