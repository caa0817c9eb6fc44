"""CSV import of manual buyout prices and buyout availability (SPEC §2.1).

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

Parsing is pure and never stops at the first problem: every bad cell becomes a `RowError`
(line, field, message), so a dry run reports every row at once. Applying is all or nothing:
`apply_rows` decides what each row changes, and the application commits every device and
the `PriceImportRecord` together — or, on any error, nothing. The record's id derives from
the company and the file's SHA-256, so importing the same file again is a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.actor import Actor
from domain.model.device import Device
from domain.model.errors import DomainError, InvalidValue
from domain.model.events import Cause, LessorCreated
from domain.model.ids import natural_id
from domain.model.money import Money

SERIAL: Final = "serial"
PRICE: Final = "price"
AVAILABLE: Final = "available"
EFFECTIVE_DATE: Final = "effective_date"
COLUMNS: Final = (SERIAL, PRICE, AVAILABLE, EFFECTIVE_DATE)
REQUIRED_COLUMNS: Final = (SERIAL, EFFECTIVE_DATE)

# Errors about the file as a whole, or its header, rather than one cell.
FILE: Final = "file"
HEADER: Final = "header"
ROW: Final = "row"

Problem = Callable[[str, str], None]  # (field, message) of the row being read

_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})
# ASCII digits only: Decimal would also read other scripts' digits ("٣٤٢٠").
_AMOUNT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Change(StrEnum):
    """What applying a row does to its device."""

    PRICE_SET = "price_set"
    PRICE_CLEARED = "price_cleared"
    AVAILABILITY_SET = "availability_set"


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    line: int  # the file's line where the record starts; the header is line 1
    field: str  # a column name, or "file", "header", "row"
    message: str


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One valid row: the device it names and what the file says about it."""

    line: int
    serial: str  # as the file writes it, without surrounding blanks
    device_id: UUID
    price_given: bool  # False: the file has no price column, the price stays as it is
    price: Money | None  # with price_given, None clears the manual price
    available: bool | None  # None: unchanged
    effective_date: date


@dataclass(frozen=True, slots=True)
class PriceImport:
    """A parsed file: its valid rows and every error found (both in line order)."""

    sha256: str
    rows: tuple[PriceRow, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """A row and what applying it changes (or changed): nothing, when the device already
    is as the row says — except a price, which is set again (see `apply_row`)."""

    row: PriceRow
    changes: tuple[Change, ...]


class PriceImportRejected(InvalidValue):
    """A price file with errors cannot be applied: nothing is written."""

    title = "The price file has errors"

    def __init__(self, errors: Sequence[RowError]) -> None:
        lines = len({e.line for e in errors})
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(
            f"{count} on {lines} line{'s' if lines != 1 else ''}; nothing was imported. "
            "Fix the file (a dry run lists every error) and import it again."
        )
        self.errors = tuple(errors)


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def serial_key(serial: str) -> str:
    """How serials compare: surrounding blanks ignored, case-insensitive (as the claims)."""
    return serial.strip().casefold()


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
    return effective


# ------------------------------------------------------------------------------ applying


def apply_row(device: Device, row: PriceRow, *, cause: Cause) -> tuple[Change, ...]:
    """Bring `device` to what `row` says; what changed.

    A given price is set even when it equals the current manual price: re-stating it makes
    it newer than the last time automatic valuation was switched on, so it wins again
    (SPEC §2.1). Clearing a price that is not set, or setting the availability it already
    has, records nothing.
    """
    changes: list[Change] = []
    if row.price_given:
        if row.price is not None:
            device.set_buyout_price(row.price, source="csv", cause=cause)
            changes.append(Change.PRICE_SET)
        elif device.manual_price is not None:
            device.set_buyout_price(None, source="csv", cause=cause)
            changes.append(Change.PRICE_CLEARED)
    if row.available is not None and row.available != device.buyout_available:
        device.set_buyout_availability(row.available, cause=cause)
        changes.append(Change.AVAILABILITY_SET)
    return tuple(changes)


def apply_rows(
    devices: Mapping[UUID, Device], rows: Iterable[PriceRow], *, cause: Cause
) -> tuple[list[RowOutcome], list[RowError]]:
    """Apply every row to its (loaded, unsaved) device; a rule a device refuses becomes an
    error of that row. The caller saves the devices only when there are no errors."""
    outcomes: list[RowOutcome] = []
    errors: list[RowError] = []
    for row in rows:
        try:
            outcomes.append(RowOutcome(row, apply_row(devices[row.device_id], row, cause=cause)))
        except DomainError as e:
            errors.append(RowError(row.line, SERIAL, e.detail))
    return outcomes, errors


# ------------------------------------------------------------------------------- record


def price_import_id(company_id: UUID, sha256: str) -> UUID:
    return natural_id("price-import", company_id, sha256)


def _row_to_dict(outcome: RowOutcome) -> dict[str, Any]:
    row = outcome.row
    return {
        "line": row.line,
        "serial": row.serial,
        "device_id": str(row.device_id),
        "price_given": row.price_given,
        "price": row.price.to_dict() if row.price is not None else None,
        "available": row.available,
        "effective_date": row.effective_date.isoformat(),
        "changes": [change.value for change in outcome.changes],
    }


def _row_from_dict(data: Mapping[str, Any]) -> RowOutcome:
    price = data["price"]
    return RowOutcome(
        row=PriceRow(
            line=int(data["line"]),
            serial=str(data["serial"]),
            device_id=UUID(str(data["device_id"])),
            price_given=bool(data["price_given"]),
            price=Money.from_dict(price) if price is not None else None,
            available=data["available"],
            effective_date=date.fromisoformat(str(data["effective_date"])),
        ),
        changes=tuple(Change(change) for change in data["changes"]),
    )


class PriceImportRecord(Aggregate):
    """One applied price file of one company: what each row said and what it changed.

    Saved in the same transaction as the devices' events. Its id is the company and the
    file's hash, so a second import of the same file collides with it and changes nothing.
    """

    class_version = 1

    class Applied(LessorCreated):
        class_version = 1
        sha256: str
        rows: list[dict[str, Any]]  # plain JSON: see _row_to_dict

    @classmethod
    def record(
        cls,
        *,
        company_id: UUID,
        sha256: str,
        outcomes: Sequence[RowOutcome],
        cause: Cause,
    ) -> PriceImportRecord:
        return cls._create(
            cls.Applied,
            id=price_import_id(company_id, sha256),
            sha256=sha256,
            rows=[_row_to_dict(outcome) for outcome in outcomes],
            **cause.stamp(company_id),
        )

    @event(Applied)
    def __init__(
        self,
        *,
        sha256: str,
        rows: list[dict[str, Any]],
        actor: Actor,
        at: datetime,
        correlation_id: str,
        company_id: UUID | None,
    ) -> None:
        assert company_id is not None  # every import belongs to a company
        self.company_id: UUID = company_id
        self.sha256 = sha256
        self.rows = [dict(row) for row in rows]
        self.applied_at = at

    @property
    def outcomes(self) -> tuple[RowOutcome, ...]:
        return tuple(_row_from_dict(row) for row in self.rows)
