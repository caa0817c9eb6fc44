"""Applying a price file: all or nothing, and remembered (SPEC §2.1).

`apply_rows` decides what each row changes, and the application commits every device and
the `PriceImportRecord` together — or, on any error, nothing. The record's id derives from
the company and the file's SHA-256, so importing the same file again is a no-op. Reading
the upload is the adapters' (`adapters/price_csv.py`); validating the table it reads is
`price_table`; the table, rows and errors are `price_rows` (both re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model.device import Device
from domain.model.errors import DomainError
from domain.model.events import Cause, LessorCreated
from domain.model.ids import natural_id
from domain.model.price_rows import (
    SERIAL,
    Change,
    PriceImport,
    PriceImportRejected,
    PriceRow,
    PriceTable,
    RawRow,
    RowError,
    RowOutcome,
    serial_key,
)
from domain.model.price_table import serials_in, validate_price_table

__all__ = [
    "Change",
    "PriceImport",
    "PriceImportRecord",
    "PriceImportRejected",
    "PriceRow",
    "PriceTable",
    "RawRow",
    "RowError",
    "RowOutcome",
    "apply_row",
    "apply_rows",
    "price_import_id",
    "serial_key",
    "serials_in",
    "validate_price_table",
]


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


class PriceImportRecord(Aggregate):
    """One applied price file of one company: what each row said and what it changed.

    Saved in the same transaction as the devices' events. Its id is the company and the
    file's hash, so a second import of the same file collides with it and changes nothing.
    """

    class_version = 1

    class Applied(LessorCreated):
        class_version = 1
        sha256: str
        rows: list[dict[str, Any]]  # plain JSON: see RowOutcome.to_dict

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
            rows=[outcome.to_dict() for outcome in outcomes],
            **cause.stamp(company_id),
        )

    @event(Applied)
    def __init__(
        self,
        *,
        sha256: str,
        rows: list[dict[str, Any]],
        at: datetime,
        company_id: UUID,  # every import belongs to a company
    ) -> None:
        self.company_id = company_id
        self.sha256 = sha256
        self.rows = [dict(row) for row in rows]
        self.applied_at = at

    @property
    def outcomes(self) -> tuple[RowOutcome, ...]:
        return tuple(RowOutcome.from_dict(row) for row in self.rows)
