"""CSV import of manual buyout prices and availability (SPEC §2.1): dry run, all-or-nothing apply.

The caller reads the upload into a `PriceTable` (adapters/price_csv.py); this validates and
applies it. The file names devices by serial. There is no serial index in the application,
but every device's serial is held by a UniqueClaim ("device-serial") whose id derives from
the company and the serial, so each serial of the file is looked up exactly, without a view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from domain.application.companies import Companies
from domain.application.core import ApplicationCore, CommandContext, operation
from domain.model.actor import DEVICE_MANAGERS
from domain.model.device import Device
from domain.model.errors import NotFound, VersionConflict
from domain.model.price_import import (
    Change,
    PriceImportRecord,
    PriceImportRejected,
    PriceTable,
    RowError,
    RowOutcome,
    apply_rows,
    price_import_id,
    serial_key,
    serials_in,
    validate_price_table,
)
from domain.model.time import local_date


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did — or, for a dry run, would do — row by row."""

    import_id: UUID
    company_id: UUID
    sha256: str
    dry_run: bool
    applied: bool  # this call wrote the import
    repeated: bool  # the same file was imported before: nothing written now
    rows: tuple[RowOutcome, ...]  # the valid rows and their changes
    errors: tuple[RowError, ...]
    position: int  # the log position the result reflects

    def count(self, change: Change) -> int:
        return sum(change in outcome.changes for outcome in self.rows)

    @property
    def devices_changed(self) -> int:
        return sum(bool(outcome.changes) for outcome in self.rows)


@dataclass(frozen=True, eq=False)
class PriceImports:
    core: ApplicationCore
    companies: Companies

    # Not replayed under its Idempotency-Key like other commands (a replay would answer
    # with an Outcome): the same file is recognised by its content and answered as a repeat.
    @operation("import_buyout_prices")
    def import_buyout_prices(
        self, ctx: CommandContext, company_id: UUID, table: PriceTable, *, dry_run: bool
    ) -> ImportResult:
        """Check a price file, as read into `table` (dry run), or apply it: every device and
        the import record in one commit, or nothing when any row has an error
        (PriceImportRejected)."""
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(*DEVICE_MANAGERS)
        sha256 = table.sha256
        import_id = price_import_id(company_id, sha256)
        if (earlier := self._earlier_import(import_id)) is not None:
            return self._repeated(earlier, dry_run=dry_run)

        devices = self._devices_by_serial(company_id, serials_in(table))
        parsed = validate_price_table(
            table,
            currency=company.currency,
            known_serials={device.serial: device.id for device in devices},
            today=local_date(ctx.cause.at, company.time_zone),
        )
        # The devices are loaded for this call only: changing them and not saving is a dry run.
        outcomes, refused = apply_rows(
            {device.id: device for device in devices}, parsed.rows, cause=ctx.cause
        )
        errors = tuple(sorted([*parsed.errors, *refused]))
        result = ImportResult(
            import_id=import_id,
            company_id=company_id,
            sha256=sha256,
            dry_run=dry_run,
            applied=False,
            repeated=False,
            rows=tuple(outcomes),
            errors=errors,
            position=self.core.head(),
        )
        if dry_run:
            return result
        if errors:
            raise PriceImportRejected(errors)
        record = PriceImportRecord.record(
            company_id=company_id, sha256=sha256, outcomes=outcomes, cause=ctx.cause
        )
        changed = [device for device in devices if device.pending_events]
        try:
            outcome = self.core.commit(ctx, record, *changed, created=True)
        except VersionConflict:
            # The same file, imported concurrently, won the race: this one is a repeat.
            if (earlier := self._earlier_import(import_id)) is not None:
                return self._repeated(earlier, dry_run=dry_run)
            raise  # a device changed meanwhile: nothing was written, try again
        # Not a dry run and without errors: the checked result, now written.
        return replace(result, applied=True, position=outcome.position)

    def _devices_by_serial(self, company_id: UUID, serials: list[str]) -> list[Device]:
        """The company's devices with these serials, found through their serial claims."""
        found: dict[UUID, Device] = {}
        for serial in serials:
            claim = self.core.held_claim("device-serial", company_id, serial)
            if claim is None or claim.owner_id is None:
                continue
            try:
                device = self.core.load(Device, claim.owner_id, "Device")
            except NotFound:
                continue
            if device.company_id == company_id and serial_key(device.serial) == serial_key(serial):
                found[device.id] = device
        return list(found.values())

    def _earlier_import(self, import_id: UUID) -> PriceImportRecord | None:
        try:
            return self.core.load(PriceImportRecord, import_id, "")
        except NotFound:
            return None

    def _repeated(self, earlier: PriceImportRecord, *, dry_run: bool) -> ImportResult:
        return ImportResult(
            import_id=earlier.id,
            company_id=earlier.company_id,
            sha256=earlier.sha256,
            dry_run=dry_run,
            applied=False,
            repeated=True,
            rows=earlier.outcomes,
            errors=(),
            position=self.core.head(),
        )
