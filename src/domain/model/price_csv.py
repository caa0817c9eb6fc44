"""Reading a price file: manual buyout prices and buyout availability as CSV (SPEC §2.1).

The file is UTF-8 (a BOM is allowed), comma separated with RFC 4180 quoting, and starts
with a header row that names its columns in any order and any case:

    serial,price,available,effective_date
    C02XL0GHJGH5,3420.00,yes,2026-03-01
    SN-0002,,no,2026-03-01

- ``serial``: one of the company's devices, matched as the serial claims match (surrounding
  blanks ignored, case-insensitive); each device at most once per file. Required.
- ``price``: major units in the company currency (3420.00 SEK), never more decimals than
  the currency has, and positive. A blank cell clears the manual price; a file without a
  price column leaves every price as it is.
- ``available``: true/false, yes/no or 1/0. A blank cell (or no column) leaves it as it is.
- ``effective_date``: YYYY-MM-DD, not after the import's business date; recorded with the
  import for audit. Required.

Reading is pure and never stops at the first problem: every bad cell becomes a `RowError`
(line, field, message), so a dry run reports every row at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final
from uuid import UUID

from domain.model import bounds
from domain.model.errors import InvalidValue
from domain.model.money import Money
from domain.model.price_rows import (
    AVAILABLE,
    COLUMNS,
    EFFECTIVE_DATE,
    FILE,
    HEADER,
    PRICE,
    REQUIRED_COLUMNS,
    ROW,
    SERIAL,
    PriceImport,
    PriceRow,
    RowError,
    content_sha256,
    serial_key,
)

Problem = Callable[[str, str], None]  # (field, message) of the row being read

_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})
# ASCII digits only: Decimal would also read other scripts' digits ("٣٤٢٠").
_AMOUNT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# ------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Table:
    columns: dict[str, int]  # column name → index; empty when the header is unusable
    width: int
    records: list[tuple[int, list[str]]]  # (line, cells), blank lines left out
    errors: list[RowError]


def _read(content: bytes) -> _Table:
    """Decode, split into records and check the header; errors instead of exceptions."""
    errors: list[RowError] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        message = f"line {line} is not UTF-8 text: save the file as UTF-8 (CSV UTF-8)"
        return _Table({}, 0, [], [RowError(line, FILE, message)])
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return _Table({}, 0, [], [RowError(line, FILE, "the file contains a NUL character")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
    except csv.Error as e:
        errors.append(
            RowError(start, FILE, f"unreadable CSV from line {start} on ({e}): check the quotes")
        )
    if not records:
        if not errors:
            errors.append(
                RowError(1, FILE, f"the file is empty: start with the header {','.join(COLUMNS)}")
            )
        return _Table({}, 0, [], errors)
    (header_line, header), *rows = records
    columns = _columns(header_line, header, errors)
    if columns and not rows and not errors:
        errors.append(RowError(header_line, FILE, "the file has a header but no rows"))
    return _Table(columns, len(header), rows, errors)


def _columns(line: int, header: list[str], errors: list[RowError]) -> dict[str, int]:
    found: dict[str, int] = {}
    bad = False
    for index, cell in enumerate(header):
        name = cell.strip().lower()
        if name not in COLUMNS:
            hint = (
                ": columns are separated by commas"
                if len(header) == 1 and (";" in cell or "\t" in cell)
                else f" (the columns are {', '.join(COLUMNS)})"
            )
            shown = f"'{cell.strip()}'" if cell.strip() else "without a name"
            errors.append(RowError(line, HEADER, f"unknown column {shown}{hint}"))
            bad = True
        elif name in found:
            errors.append(RowError(line, name, f"the column '{name}' appears twice"))
            bad = True
        else:
            found[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in found:
            errors.append(RowError(line, name, f"the required column '{name}' is missing"))
            bad = True
    if PRICE not in found and AVAILABLE not in found:
        errors.append(
            RowError(line, HEADER, "nothing to import: add a price or an available column")
        )
        bad = True
    return {} if bad else found


def serials_in(content: bytes) -> list[str]:
    """The serials the file's rows name (stripped, first spelling of each), so that the
    caller can look up exactly those devices; [] when the file or its header is unusable."""
    table = _read(content)
    if SERIAL not in table.columns:
        return []
    index = table.columns[SERIAL]
    seen: dict[str, str] = {}
    for _, cells in table.records:
        if index < len(cells) and (serial := cells[index].strip()):
            seen.setdefault(serial.casefold(), serial)
    return list(seen.values())


# ------------------------------------------------------------------------------- parsing


def parse_price_csv(
    content: bytes,
    *,
    currency: str,
    known_serials: Mapping[str, UUID],
    today: date,
) -> PriceImport:
    """Every valid row and every error of a price file.

    `known_serials` maps the company's serials (any case) to device ids; `today` is the
    import's business date in the company's time zone: no effective date may lie after it.
    """
    table = _read(content)
    errors = list(table.errors)
    rows: list[PriceRow] = []
    if table.columns:
        devices = {serial_key(serial): device for serial, device in known_serials.items()}
        first_line: dict[str, int] = {}
        for line, cells in table.records:
            row_errors: list[RowError] = []
            row = _parse_row(line, cells, table, currency, devices, first_line, today, row_errors)
            errors += row_errors
            if row is not None and not row_errors:
                rows.append(row)
    return PriceImport(
        sha256=content_sha256(content), rows=tuple(rows), errors=tuple(sorted(errors))
    )


def _parse_row(
    line: int,
    cells: list[str],
    table: _Table,
    currency: str,
    devices: Mapping[str, UUID],
    first_line: dict[str, int],
    today: date,
    errors: list[RowError],
) -> PriceRow | None:
    if len(cells) != table.width:
        errors.append(
            RowError(
                line,
                ROW,
                f"the row has {len(cells)} fields, the header {table.width}"
                " (quote values that contain commas)",
            )
        )
        return None
    cell = {name: cells[index].strip() for name, index in table.columns.items()}

    def problem(field: str, message: str) -> None:
        errors.append(RowError(line, field, message))

    device_id = _serial(cell[SERIAL], line, devices, first_line, problem)
    price = _price(cell.get(PRICE, ""), currency, problem)
    available = _available(cell.get(AVAILABLE, ""), problem)
    effective = _effective_date(cell[EFFECTIVE_DATE], today, problem)
    if device_id is None or effective is None or errors:
        return None
    return PriceRow(
        line=line,
        serial=cell[SERIAL],
        device_id=device_id,
        price_given=PRICE in table.columns,
        price=price,
        available=available,
        effective_date=effective,
    )


def _serial(
    serial: str,
    line: int,
    devices: Mapping[str, UUID],
    first_line: dict[str, int],
    problem: Problem,
) -> UUID | None:
    if not serial:
        problem(SERIAL, "a serial number is required")
        return None
    key = serial.casefold()
    if key in first_line:
        problem(SERIAL, f"the serial '{serial}' is already on line {first_line[key]}")
        return None
    first_line[key] = line
    device_id = devices.get(key)
    if device_id is None:
        problem(SERIAL, f"no device with the serial '{serial}' in this company")
    return device_id


def _price(text: str, currency: str, problem: Problem) -> Money | None:
    if not text:
        return None  # clears the manual price
    if not _AMOUNT.fullmatch(text):
        problem(PRICE, f"'{text}' is not an amount: write major units with a point, e.g. 3420.00")
        return None
    try:
        price = Money.of(text, currency)
    except InvalidValue as e:
        problem(PRICE, e.detail)
        return None
    if not price.is_positive:
        problem(PRICE, f"the price must be positive, not {text}")
        return None
    return price


def _available(text: str, problem: Problem) -> bool | None:
    flag = text.lower()
    if not flag:
        return None
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    problem(AVAILABLE, f"'{text}' is not one of true/false, yes/no, 1/0 (or blank: unchanged)")
    return None


def _effective_date(text: str, today: date, problem: Problem) -> date | None:
    if not text:
        problem(EFFECTIVE_DATE, "an effective date is required (YYYY-MM-DD)")
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        effective = date.fromisoformat(text)
    except ValueError:
        problem(EFFECTIVE_DATE, f"'{text}' is not a date written YYYY-MM-DD")
        return None
    if effective > today:
        problem(EFFECTIVE_DATE, f"{text} lies in the future (today is {today.isoformat()})")
        return None
    if effective < bounds.EARLIEST_DATE:
        problem(EFFECTIVE_DATE, f"{text} lies before {bounds.EARLIEST_DATE.isoformat()}")
        return None
    return effective
