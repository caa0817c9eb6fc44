"""A price file as the model sees it (SPEC §2.1): the table as read (`PriceTable`, plain
strings), its valid rows and errors once validated, and what applying a row changed.
`adapters/price_csv.py` reads an upload into a `PriceTable`; `price_table` validates it;
`price_import` applies the rows and records the import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from domain.model.errors import InvalidValue
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
class RawRow:
    """One record of a price table: the line it starts on and its cells, unchecked."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PriceTable:
    """A price file as read, before any rule: what its columns and cells mean, and whether
    they are valid, is for `price_table.validate_price_table` to say."""

    sha256: str  # of the file as uploaded: the import's identity (the same file is a no-op)
    header: RawRow | None  # the first record that says something; None: there is none
    rows: tuple[RawRow, ...] = ()  # the records after it; blank ones left out
    errors: tuple[RowError, ...] = ()  # why the file, or its rest from a line on, is unreadable


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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, as the import record stores it."""
        row = self.row
        return {
            "line": row.line,
            "serial": row.serial,
            "device_id": str(row.device_id),
            "price_given": row.price_given,
            "price": row.price.to_dict() if row.price is not None else None,
            "available": row.available,
            "effective_date": row.effective_date.isoformat(),
            "changes": [change.value for change in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RowOutcome:
        price = data["price"]
        return cls(
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


def serial_key(serial: str) -> str:
    """How serials compare: surrounding blanks ignored, case-insensitive (as the claims)."""
    return serial.strip().casefold()
