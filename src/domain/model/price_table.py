"""Validating a price file: manual buyout prices and buyout availability (SPEC §2.1).

The table (`PriceTable`, as `adapters/price_csv.py` reads it from the upload) starts with a
header that names its columns in any order and any case:

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

Validation never stops at the first problem: every bad cell becomes a `RowError`
(line, field, message), beside the errors reading found, so a dry run reports every row at
once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    PriceTable,
    RawRow,
    RowError,
    serial_key,
)

Problem = Callable[[str, str], None]  # (field, message) of the row being read

_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})
# ASCII digits only: Decimal would also read other scripts' digits ("٣٤٢٠").
_AMOUNT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# ------------------------------------------------------------------------------- columns


def _columns(table: PriceTable, errors: list[RowError]) -> dict[str, int]:
    """Column name → index, or {} (and why) when the header is missing or unusable."""
    if table.header is None:
        if not errors:  # an unreadable file says so already
            errors.append(
                RowError(1, FILE, f"the file is empty: start with the header {','.join(COLUMNS)}")
            )
        return {}
    found = _named_columns(table.header, errors)
    if found and not table.rows and not errors:
        errors.append(RowError(table.header.line, FILE, "the file has a header but no rows"))
    return found


def _named_columns(header: RawRow, errors: list[RowError]) -> dict[str, int]:
    line, cells = header.line, header.cells
    found: dict[str, int] = {}
    bad = False
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if name not in COLUMNS:
            hint = (
                ": columns are separated by commas"
                if len(cells) == 1 and (";" in cell or "\t" in cell)
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


def serials_in(table: PriceTable) -> list[str]:
    """The serials the table's rows name (stripped, first spelling of each), so that the
    caller can look up exactly those devices; [] when the header is missing or unusable."""
    columns = _named_columns(table.header, []) if table.header is not None else {}
    if SERIAL not in columns:
        return []
    index = columns[SERIAL]
    seen: dict[str, str] = {}
    for row in table.rows:
        if index < len(row.cells) and (serial := row.cells[index].strip()):
            seen.setdefault(serial.casefold(), serial)
    return list(seen.values())


# ---------------------------------------------------------------------------------- rows


def validate_price_table(
    table: PriceTable,
    *,
    currency: str,
    known_serials: Mapping[str, UUID],
    today: date,
) -> PriceImport:
    """Every valid row and every error of a price table, those of its reading included.

    `known_serials` maps the company's serials (any case) to device ids; `today` is the
    import's business date in the company's time zone: no effective date may lie after it.
    """
    errors = list(table.errors)
    columns = _columns(table, errors)
    rows: list[PriceRow] = []
    if columns:
        width = len(columns)  # a usable header names only known columns, each once
        devices = {serial_key(serial): device for serial, device in known_serials.items()}
        first_line: dict[str, int] = {}
        for raw in table.rows:
            row_errors: list[RowError] = []
            row = _parse_row(raw, columns, width, currency, devices, first_line, today, row_errors)
            errors += row_errors
            if row is not None and not row_errors:
                rows.append(row)
    return PriceImport(sha256=table.sha256, rows=tuple(rows), errors=tuple(sorted(errors)))


def _parse_row(
    raw: RawRow,
    columns: Mapping[str, int],
    width: int,
    currency: str,
    devices: Mapping[str, UUID],
    first_line: dict[str, int],
    today: date,
    errors: list[RowError],
) -> PriceRow | None:
    line, cells = raw.line, raw.cells
    if len(cells) != width:
        errors.append(
            RowError(
                line,
                ROW,
                f"the row has {len(cells)} fields, the header {width}"
                " (quote values that contain commas)",
            )
        )
        return None
    cell = {name: cells[index].strip() for name, index in columns.items()}

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
        price_given=PRICE in columns,
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
