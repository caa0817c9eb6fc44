"""CSV import of manual buyout prices (SPEC §2.1): strict parsing, every error, all or nothing.

A file is read into a table (adapters/price_csv.py, tested alone in test_price_csv.py) and
the pure model validates the table: valid rows and (line, field, message) errors out. The
application part runs in memory: a dry run writes nothing, an apply writes every device and
the import record at once, a file with any error writes nothing, the same file twice is a
no-op.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.price_csv import content_sha256, read_price_csv
from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType, Device
from domain.model.errors import NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.price_import import (
    Change,
    PriceImport,
    PriceImportRecord,
    PriceImportRejected,
    PriceRow,
    PriceTable,
    RawRow,
    RowError,
    RowOutcome,
    apply_row,
    apply_rows,
    price_import_id,
    serials_in,
    validate_price_table,
)
from tests.apps import in_memory_app

TODAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEADER = "serial,price,available,effective_date"
# Serials that need quoting, or span lines, are serials all the same.
KNOWN: dict[str, UUID] = {
    "SN-0001": UUID(int=1),
    "SN-0002": UUID(int=2),
    "C02XL0GHJGH5": UUID(int=3),
    "SN,42": UUID(int=4),
    'SN "Q" 7': UUID(int=5),
    "SN\nTWO-LINES": UUID(int=6),
    "sn-lower": UUID(int=7),
    "Ölandsgatan-1": UUID(int=8),
}


def parse(
    content: str | bytes, *, currency: str = "SEK", today: date = TODAY, known: Any = None
) -> PriceImport:
    data = content.encode() if isinstance(content, str) else content
    return validate_price_table(
        read_price_csv(data),
        currency=currency,
        known_serials=KNOWN if known is None else known,
        today=today,
    )


def sek(amount: str) -> Money:
    return Money.of(amount, "SEK")


def errors_of(content: str | bytes, **kwargs: Any) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in parse(content, **kwargs).errors]


def only_error(content: str | bytes, **kwargs: Any) -> RowError:
    [error] = parse(content, **kwargs).errors
    return error


# --- reading a good file --------------------------------------------------------------------


def test_a_file_parses_to_its_rows() -> None:
    parsed = parse(
        f"{HEADER}\n"
        "SN-0001,3420.00,yes,2026-03-01\n"
        "SN-0002,,no,2026-03-02\n"
        "C02XL0GHJGH5,12.5,,2025-12-31\n"
    )

    assert parsed.ok
    assert parsed.rows == (
        PriceRow(2, "SN-0001", UUID(int=1), True, sek("3420.00"), True, date(2026, 3, 1)),
        PriceRow(3, "SN-0002", UUID(int=2), True, None, False, date(2026, 3, 2)),
        PriceRow(4, "C02XL0GHJGH5", UUID(int=3), True, sek("12.50"), None, date(2025, 12, 31)),
    )
    assert parsed.sha256 == content_sha256(
        f"{HEADER}\nSN-0001,3420.00,yes,2026-03-01\n"
        "SN-0002,,no,2026-03-02\nC02XL0GHJGH5,12.5,,2025-12-31\n".encode()
    )


def test_a_byte_order_mark_crlf_and_any_column_order_and_case_are_fine() -> None:
    content = (
        "\ufeffEffective_Date , AVAILABLE,Serial,Price\r\n2026-03-01,TRUE, sn-0001 ,99\r\n"
    ).encode()

    [row] = parse(content).rows

    assert row == PriceRow(2, "sn-0001", UUID(int=1), True, sek("99"), True, date(2026, 3, 1))


def test_quoted_fields_may_hold_commas_quotes_and_line_breaks() -> None:
    parsed = parse(
        f"{HEADER}\n"
        '"SN,42","3420.00",yes,2026-03-01\n'
        '"SN ""Q"" 7",1,0,2026-03-01\n'
        '"SN\nTWO-LINES",2,1,2026-03-01\n'
        "SN-0001,3,false,2026-03-01\n"
    )

    assert parsed.ok, parsed.errors
    assert [(r.line, r.serial, r.device_id) for r in parsed.rows] == [
        (2, "SN,42", UUID(int=4)),
        (3, 'SN "Q" 7', UUID(int=5)),
        (4, "SN\nTWO-LINES", UUID(int=6)),
        (6, "SN-0001", UUID(int=1)),  # the quoted line break took line 5
    ]


def test_serials_match_without_regard_to_case_or_surrounding_blanks() -> None:
    parsed = parse(f"{HEADER}\n  SN-LOWER ,1,,2026-03-01\nölandsgatan-1,2,,2026-03-01\n")

    assert [r.device_id for r in parsed.rows] == [UUID(int=7), UUID(int=8)]


def test_without_a_price_column_prices_stay_and_without_available_availability_stays() -> None:
    [only_availability] = parse("serial,available,effective_date\nSN-0001,no,2026-03-01\n").rows
    [only_price] = parse("serial,price,effective_date\nSN-0001,,2026-03-01\n").rows

    assert (only_availability.price_given, only_availability.price) == (False, None)
    assert only_availability.available is False
    assert (only_price.price_given, only_price.price) == (True, None)  # blank: clear it
    assert only_price.available is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        (" TRUE ", True),
        ("false", False),
        ("NO", False),
        ("0", False),
        ("", None),
    ],
)
def test_availability_spellings(text: str, expected: bool | None) -> None:
    [row] = parse(f"{HEADER}\nSN-0001,1,{text},2026-03-01\n").rows

    assert row.available is expected


def test_amounts_follow_the_company_currency_digits() -> None:
    [jpy] = parse(f"{HEADER}\nSN-0001,3420,,2026-03-01\n", currency="JPY").rows
    [bhd] = parse(f"{HEADER}\nSN-0001,3.425,,2026-03-01\n", currency="BHD").rows

    [zeros] = parse(f"{HEADER}\nSN-0001,3420.5000,,2026-03-01\n").rows  # exact all the same
    assert zeros.price == sek("3420.50")
    assert jpy.price == Money(3420, "JPY")
    assert bhd.price == Money(3425, "BHD")
    assert only_error(f"{HEADER}\nSN-0001,3420.5,,2026-03-01\n", currency="JPY").field == "price"


def test_blank_lines_are_skipped_but_still_counted() -> None:
    parsed = parse(f"{HEADER}\n\nSN-0001,1,,2026-03-01\n,,,\n\nSN-0002,2,,2026-03-01\n\n")

    assert [r.line for r in parsed.rows] == [3, 6]
    assert parsed.ok


def test_an_effective_date_of_today_is_fine_and_the_date_is_kept_for_the_audit() -> None:
    [row] = parse(f"{HEADER}\nSN-0001,1,,2026-03-02\n").rows

    assert row.effective_date == TODAY


# --- every error, with its line and field ---------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ("NOPE-404,1,,2026-03-01", "serial", "no device with the serial 'NOPE-404'"),
        (",1,,2026-03-01", "serial", "required"),
        ("SN-0001,0,,2026-03-01", "price", "positive"),
        ("SN-0001,0.00,,2026-03-01", "price", "positive"),
        ("SN-0001,-5,,2026-03-01", "price", "positive"),
        ("SN-0001,3420.001,,2026-03-01", "price", "SEK has 2 decimals"),
        ('SN-0001,"3420,00",,2026-03-01', "price", "not an amount"),
        ('SN-0001,"3 420",,2026-03-01', "price", "not an amount"),
        ("SN-0001,1e3,,2026-03-01", "price", "not an amount"),
        ("SN-0001,+5,,2026-03-01", "price", "not an amount"),
        ("SN-0001,.5,,2026-03-01", "price", "not an amount"),
        ("SN-0001,5.,,2026-03-01", "price", "not an amount"),
        ("SN-0001,NaN,,2026-03-01", "price", "not an amount"),
        ("SN-0001,SEK 5,,2026-03-01", "price", "not an amount"),
        ("SN-0001,٣٤٢٠,,2026-03-01", "price", "not an amount"),
        ("SN-0001,1" + "0" * 40 + ",,2026-03-01", "price", "too large"),
        ("SN-0001,1,maybe,2026-03-01", "available", "'maybe' is not one of"),
        ("SN-0001,1,,", "effective_date", "required"),
        ("SN-0001,1,,2026-3-1", "effective_date", "YYYY-MM-DD"),
        ("SN-0001,1,,01/03/2026", "effective_date", "YYYY-MM-DD"),
        ("SN-0001,1,,20260301", "effective_date", "YYYY-MM-DD"),
        ("SN-0001,1,,2026-02-30", "effective_date", "YYYY-MM-DD"),
        ("SN-0001,1,,2026-03-01T00:00", "effective_date", "YYYY-MM-DD"),
        ("SN-0001,1,,2026-03-03", "effective_date", "future"),
        ("SN-0001,1,,2026-03-01,extra", "row", "5 fields, the header 4"),
        ("SN-0001,1,2026-03-01", "row", "3 fields, the header 4"),
    ],
)
def test_a_bad_cell_is_reported_with_its_line_and_field(cells: str, field: str, words: str) -> None:
    parsed = parse(f"{HEADER}\nSN-0002,1,,2026-03-01\n{cells}\n")

    [error] = parsed.errors
    assert (error.line, error.field) == (3, field)
    assert words in error.message
    assert [r.serial for r in parsed.rows] == ["SN-0002"]  # the good row still parses


def test_every_bad_field_of_a_row_is_reported() -> None:
    assert errors_of(f"{HEADER}\nNOPE,-1,perhaps,2026-13-01\n") == [
        (2, "available"),
        (2, "effective_date"),
        (2, "price"),
        (2, "serial"),
    ]


def test_a_serial_twice_is_an_error_on_the_later_line_whatever_its_case() -> None:
    error = only_error(f"{HEADER}\nSN-0001,1,,2026-03-01\n\n sn-0001 ,2,,2026-03-01\n")

    assert (error.line, error.field) == (4, "serial")
    assert "already on line 2" in error.message


def test_another_companys_serials_are_unknown() -> None:
    error = only_error(f"{HEADER}\nSN-0001,1,,2026-03-01\n", known={"SN-9999": UUID(int=9)})

    assert (error.line, error.field) == (2, "serial")


def test_the_future_is_judged_against_the_import_business_date() -> None:
    content = f"{HEADER}\nSN-0001,1,,2026-03-03\n"

    assert parse(content, today=date(2026, 3, 3)).ok
    assert errors_of(content, today=date(2026, 3, 2)) == [(2, "effective_date")]


def test_every_row_is_reported_not_just_the_first_bad_one() -> None:
    parsed = parse(
        f"{HEADER}\n"
        "SN-0001,abc,,2026-03-01\n"
        "SN-0002,1,,2026-03-01\n"
        "NOPE,1,,2026-03-01\n"
        "C02XL0GHJGH5,1,,tomorrow\n"
    )

    assert [(e.line, e.field) for e in parsed.errors] == [
        (2, "price"),
        (4, "serial"),
        (5, "effective_date"),
    ]
    assert [r.line for r in parsed.rows] == [3]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("serial,price,available,effective_date,currency", [(1, "header")]),
        ("serial,price,effective_date,", [(1, "header")]),
        ("serial,price,price,effective_date", [(1, "price")]),
        ("price,available,effective_date", [(1, "serial")]),
        ("serial,price,available", [(1, "effective_date")]),
        ("serial,effective_date", [(1, "header")]),
        (
            "serial;price;available;effective_date",
            [(1, "serial"), (1, "effective_date"), (1, "header")],
        ),
    ],
)
def test_a_bad_header_is_reported_and_no_row_is_read(
    header: str, expected: list[tuple[int, str]]
) -> None:
    parsed = parse(f"{header}\nSN-0001,1,yes,2026-03-01\n")

    assert {(e.line, e.field) for e in parsed.errors} >= set(expected)
    assert parsed.rows == ()


def test_a_semicolon_file_is_told_to_use_commas() -> None:
    parsed = parse("serial;price;available;effective_date\nSN-0001;1;yes;2026-03-01\n")

    assert any("separated by commas" in e.message for e in parsed.errors)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n", b" , \r\n"])
def test_an_empty_file_is_an_error(content: bytes) -> None:
    error = only_error(content)

    assert (error.line, error.field) == (1, "file")
    assert "empty" in error.message


def test_a_header_without_rows_is_an_error() -> None:
    error = only_error(f"{HEADER}\n\n")

    assert (error.line, error.field) == (1, "file")
    assert "no rows" in error.message


def test_a_file_that_is_not_utf8_is_an_error_naming_its_line() -> None:
    content = (
        f"{HEADER}\nSN-0001,1,,2026-03-01\n".encode()
        + "Ölandsgatan-1,2,,2026-03-01\n".encode("latin-1")
    )

    error = only_error(content)

    assert (error.line, error.field) == (3, "file")
    assert "UTF-8" in error.message


def test_a_nul_character_is_an_error() -> None:
    assert errors_of(f"{HEADER}\nSN-0001,1\x00,,2026-03-01\n") == [(2, "file")]


@pytest.mark.parametrize(
    ("tail", "line"),
    [('"SN-0001,1,,2026-03-01\n', 2), ('SN-0001,"1"x,,2026-03-01\n', 2)],
)
def test_broken_quoting_is_an_error(tail: str, line: int) -> None:
    parsed = parse(f"{HEADER}\n{tail}")

    assert [(e.line, e.field) for e in parsed.errors] == [(line, "file")]
    assert parsed.rows == ()


def test_serials_in_lists_each_serial_of_the_file_once() -> None:
    content = f"{HEADER}\n SN-0001 ,1,,x\nsn-0001,1,,x\n,1,,x\nNOPE,1,,x\n".encode()

    assert serials_in(read_price_csv(content)) == ["SN-0001", "NOPE"]
    assert serials_in(read_price_csv(b"no,header\n1,2\n")) == []
    assert serials_in(read_price_csv(b"\xff\xfe")) == []


def validate(table: PriceTable) -> PriceImport:
    return validate_price_table(table, currency="SEK", known_serials=KNOWN, today=TODAY)


def test_the_model_validates_a_table_built_without_any_csv() -> None:
    """Whatever reads a file (or a form, or a spreadsheet), the rules are the model's."""
    table = PriceTable(
        sha256="from-a-form",
        header=RawRow(1, ("Serial", "price", "effective_date")),
        rows=(
            RawRow(2, (" sn-0001 ", "3420.00", "2026-03-01")),
            RawRow(3, ("SN-0001", "1", "2026-03-01")),
            RawRow(4, ("SN-0002", "-1", "2026-03-01")),
            RawRow(7, ("NOPE", "1")),
        ),
    )

    parsed = validate(table)

    assert parsed.sha256 == "from-a-form"
    assert parsed.rows == (
        PriceRow(2, "sn-0001", UUID(int=1), True, sek("3420.00"), None, date(2026, 3, 1)),
    )
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "serial"), (4, "price"), (7, "row")]
    assert serials_in(table) == ["sn-0001", "SN-0002", "NOPE"]


def test_a_table_without_a_header_or_without_rows_has_nothing_to_import() -> None:
    header = RawRow(1, tuple(HEADER.split(",")))

    [empty] = validate(PriceTable("x", header=None)).errors
    [no_rows] = validate(PriceTable("x", header=header)).errors

    assert (empty.line, empty.field) == (1, "file")
    assert empty.message == "the file is empty: start with the header " + HEADER
    assert (no_rows.line, no_rows.field, no_rows.message) == (
        1,
        "file",
        "the file has a header but no rows",
    )


# --- properties ------------------------------------------------------------------------------

AVAILABLE_TEXT = {True: ["true", "TRUE", "yes", "Yes", "1"], False: ["false", "No", "0"]}


@dataclass(frozen=True)
class GeneratedFile:
    content: bytes
    rows: tuple[PriceRow, ...]
    columns: tuple[str, ...]
    cells: tuple[dict[str, str], ...]  # the rows as written, for mutations


def spelled_amount(money: Money) -> str:
    text = f"{money.amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@st.composite
def valid_files(draw: st.DrawFn, currency: str = "SEK") -> GeneratedFile:
    optional = draw(st.sampled_from([("price",), ("available",), ("price", "available")]))
    columns = tuple(draw(st.permutations(["serial", "effective_date", *optional])))
    header = [draw(st.sampled_from([c, c.upper(), c.title(), f" {c} "])) for c in columns]
    serials = draw(st.lists(st.sampled_from(sorted(KNOWN)), unique=True, min_size=1))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    line = 2
    rows: list[PriceRow] = []
    written: list[dict[str, str]] = []
    for serial in serials:
        blank_lines = draw(st.integers(0, 2))
        out.write(newline * blank_lines)
        line += blank_lines
        minor = draw(st.none() | st.integers(1, 10**12))
        price = Money(minor, currency) if minor is not None else None
        available = draw(st.none() | st.booleans())
        effective = draw(st.dates(min_value=date(2000, 1, 1), max_value=TODAY))
        spelled = draw(st.sampled_from([serial, serial.upper(), serial.lower(), f" {serial}  "]))
        cell = {
            "serial": spelled,
            "price": ""
            if price is None
            else draw(st.sampled_from([spelled_amount(price), f"{price.amount:f}"])),
            "available": ""
            if available is None
            else draw(st.sampled_from(AVAILABLE_TEXT[available])),
            "effective_date": effective.isoformat(),
        }
        before = out.tell()
        writer.writerow([cell[c] for c in columns])
        text = out.getvalue()[before:]
        rows.append(
            PriceRow(
                line=line,
                serial=spelled.strip(),
                device_id=KNOWN[serial],
                price_given="price" in columns,
                price=price if "price" in columns else None,
                available=available if "available" in columns else None,
                effective_date=effective,
            )
        )
        written.append(cell)
        line += text.count("\n")  # the row's own end, and any line break inside quotes
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return GeneratedFile((bom + out.getvalue()).encode(), tuple(rows), columns, tuple(written))


@given(valid_files())
def test_any_valid_file_parses_to_exactly_its_rows(file: GeneratedFile) -> None:
    parsed = parse(file.content)

    assert parsed.errors == ()
    assert parsed.rows == file.rows


BAD_CELLS = {
    "serial": ["NOPE-404", ""],
    "price": ["0", "-1", "1.001", "abc", "1,5"],
    "available": ["maybe", "2"],
    "effective_date": ["2026-03-03", "2026-02-30", "3/1/2026", ""],
}


@given(valid_files(), st.data())
def test_a_file_with_one_bad_row_reports_that_row_and_only_that_row(
    file: GeneratedFile, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(file.rows) - 1))
    field = data.draw(st.sampled_from(file.columns))
    bad = data.draw(st.sampled_from(BAD_CELLS[field]))
    # Rewrite the file with one cell replaced; line numbers stay as they were.
    text = file.content.decode("utf-8-sig")
    good = file.rows[index]
    cells = dict(file.cells[index])
    cells[field] = bad
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(
        [cells[c] for c in file.columns]
    )
    lines = _split_records(text)
    assume("\n" not in file.cells[index]["serial"])  # keep the record on one line
    lines[good.line - 1] = out.getvalue().rstrip("\n")
    content = "\n".join(lines).encode()

    parsed = parse(content)

    assert parsed.errors
    assert {e.line for e in parsed.errors} == {good.line}
    assert parsed.rows == tuple(r for r in file.rows if r.line != good.line)


def _split_records(text: str) -> list[str]:
    """Physical lines, each \r\n or \n ending removed (a quoted line break stays split)."""
    return text.replace("\r\n", "\n").split("\n")


# --- applying rows to devices ---------------------------------------------------------------

CAUSE = Cause(actor=Actor("tok-admin", Role.ADMIN), at=T0, correlation_id="req-1")
ACME = UUID(int=0xACE)


def a_device(serial: str = "SN-0001", device_id: UUID = UUID(int=1)) -> Device:
    device = Device.register(
        device_id=device_id,
        company_id=ACME,
        serial=serial,
        model="ThinkPad",
        category="laptop",
        company_cost=sek("12000"),
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
        cause=CAUSE,
    )
    device.collect_events()
    return device


def a_row(
    price: Money | None = None, *, price_given: bool = True, available: bool | None = None
) -> PriceRow:
    return PriceRow(2, "SN-0001", UUID(int=1), price_given, price, available, date(2026, 3, 1))


def test_a_price_is_set_even_when_it_is_the_same_so_it_wins_over_automatic_valuation() -> None:
    device = a_device()
    device.set_buyout_price(sek("3420"), source="api", cause=CAUSE)
    device.collect_events()

    changes = apply_row(device, a_row(sek("3420")), cause=CAUSE)

    assert changes == (Change.PRICE_SET,)
    [event] = device.collect_events()
    assert isinstance(event, Device.BuyoutPriceSet)
    assert (event.amount, event.source) == (sek("3420"), "csv")


def test_a_blank_price_clears_a_manual_price_and_otherwise_records_nothing() -> None:
    device = a_device()

    assert apply_row(device, a_row(None), cause=CAUSE) == ()
    assert device.collect_events() == []
    device.set_buyout_price(sek("100"), source="api", cause=CAUSE)
    device.collect_events()
    assert apply_row(device, a_row(None), cause=CAUSE) == (Change.PRICE_CLEARED,)
    assert device.manual_price is None
    assert apply_row(device, a_row(None, price_given=False), cause=CAUSE) == ()


def test_availability_is_recorded_only_when_it_changes() -> None:
    device = a_device()

    assert apply_row(device, a_row(price_given=False, available=True), cause=CAUSE) == ()
    assert apply_row(device, a_row(price_given=False, available=False), cause=CAUSE) == (
        Change.AVAILABILITY_SET,
    )
    assert device.buyout_available is False
    assert len(device.collect_events()) == 1


def test_a_device_that_refuses_a_row_makes_it_an_error_of_that_row() -> None:
    device = a_device()
    device.company_cost = Money(1_200_000, "EUR")  # a device in another currency

    outcomes, errors = apply_rows({device.id: device}, [a_row(sek("1"))], cause=CAUSE)

    assert outcomes == []
    assert [(e.line, e.field) for e in errors] == [(2, "serial")]


def test_the_rejection_counts_errors_and_lines() -> None:
    rejected = PriceImportRejected(
        [RowError(2, "price", "x"), RowError(2, "serial", "y"), RowError(5, "price", "z")]
    )

    assert rejected.detail.startswith("3 errors on 2 lines; nothing was imported.")
    assert len(rejected.errors) == 3


def test_the_import_record_survives_the_mapper_and_gives_back_its_rows() -> None:
    app = in_memory_app()
    parsed = parse(f"{HEADER}\nSN-0001,3420.00,no,2026-03-01\nSN-0002,,,2026-02-01\n")
    device = a_device()
    outcomes, _ = apply_rows({device.id: device}, parsed.rows[:1], cause=CAUSE)
    outcomes.append(RowOutcome(parsed.rows[1], ()))
    record = PriceImportRecord.record(
        company_id=ACME, sha256=parsed.sha256, outcomes=outcomes, cause=CAUSE
    )
    [applied] = record.collect_events()

    restored = app.mapper.to_domain_event(app.mapper.to_stored_event(applied))

    assert restored == applied
    assert record.id == price_import_id(ACME, parsed.sha256)
    rebuilt = restored.mutate(None)
    assert isinstance(rebuilt, PriceImportRecord)
    assert rebuilt.outcomes == tuple(outcomes)


# --- the application, in memory -------------------------------------------------------------

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)


def ctx(caller: Caller, at: datetime = T0) -> CommandContext:
    return CommandContext(
        caller=caller, cause=Cause(actor=caller.actor, at=at, correlation_id="req-1")
    )


@dataclass
class Shop:
    app: LessorApplication
    company_id: UUID
    admin: Caller
    devices: dict[str, UUID]


def a_shop(app: LessorApplication, name: str, serials: list[str]) -> Shop:
    company_id = app.companies.register(
        ctx(OPERATOR),
        name=name,
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={},
    ).subject_id
    admin = Caller(actor=Actor(f"tok-{name}-admin", Role.ADMIN), company_id=company_id)
    devices = {
        serial: app.devices.register(
            ctx(admin),
            company_id=company_id,
            serial=serial,
            model="ThinkPad X1",
            category="laptop",
            company_cost=sek("15000"),
            contract_type=ContractType.PURCHASED,
            lease_start=None,
            renewal_date=None,
        ).subject_id
        for serial in serials
    }
    return Shop(app, company_id, admin, devices)


@pytest.fixture
def shop() -> Shop:
    return a_shop(
        in_memory_app(),
        "acme",
        ["SN-1", "SN-2"],
    )


def head(app: LessorApplication) -> int:
    return int(app.recorder.max_notification_id() or 0)


GOOD = f"{HEADER}\nsn-1,3420.00,,2026-03-01\nSN-2,,no,2026-03-02\n".encode()


def test_a_dry_run_reports_what_would_change_and_writes_nothing(shop: Shop) -> None:
    before = head(shop.app)

    result = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(GOOD), dry_run=True
    )

    assert head(shop.app) == before
    assert (result.dry_run, result.applied, result.repeated, result.errors) == (
        True,
        False,
        False,
        (),
    )
    assert [o.changes for o in result.rows] == [(Change.PRICE_SET,), (Change.AVAILABILITY_SET,)]
    assert shop.app.devices.get(shop.admin, shop.devices["SN-1"]).manual_price is None


def test_an_apply_writes_every_device_and_the_record_at_once(shop: Shop) -> None:
    result = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(GOOD), dry_run=False
    )

    assert result.applied
    assert result.position == head(shop.app)
    first = shop.app.devices.get(shop.admin, shop.devices["SN-1"])
    second = shop.app.devices.get(shop.admin, shop.devices["SN-2"])
    assert (first.manual_price, first.buyout_available) == (sek("3420"), True)
    assert (second.manual_price, second.buyout_available) == (None, False)
    record = shop.app.repository.get(result.import_id)
    assert isinstance(record, PriceImportRecord)
    assert record.outcomes == result.rows
    assert [r.effective_date for r in (o.row for o in record.outcomes)] == [
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]


def test_the_same_file_twice_is_a_no_op_that_returns_the_earlier_outcome(shop: Shop) -> None:
    first = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(GOOD), dry_run=False
    )
    after_first = head(shop.app)

    again = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(GOOD), dry_run=False
    )
    dry = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(GOOD), dry_run=True
    )

    assert head(shop.app) == after_first
    assert (again.repeated, again.applied, again.import_id) == (True, False, first.import_id)
    assert again.rows == first.rows
    assert dry.repeated


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row(shop: Shop) -> None:
    before = head(shop.app)
    content = f"{HEADER}\nSN-1,3420.00,,2026-03-01\nSN-2,-1,,2026-03-01\n".encode()

    with pytest.raises(PriceImportRejected) as rejected:
        shop.app.price_imports.import_buyout_prices(
            ctx(shop.admin), shop.company_id, read_price_csv(content), dry_run=False
        )

    assert [(e.line, e.field) for e in rejected.value.errors] == [(3, "price")]
    assert head(shop.app) == before
    assert shop.app.devices.get(shop.admin, shop.devices["SN-1"]).manual_price is None


def test_another_companys_serials_are_unknown_here(shop: Shop) -> None:
    other = a_shop(shop.app, "globex", ["SN-G"])
    content = f"{HEADER}\nSN-G,1,,2026-03-01\n".encode()

    result = shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(content), dry_run=True
    )

    assert [(e.line, e.field) for e in result.errors] == [(2, "serial")]
    with pytest.raises(NotFound):
        shop.app.price_imports.import_buyout_prices(
            ctx(shop.admin), other.company_id, read_price_csv(content), dry_run=True
        )


def test_employees_may_not_import(shop: Shop) -> None:
    employee = Caller(actor=Actor("tok-ann", Role.EMPLOYEE), company_id=shop.company_id)

    with pytest.raises(NotAllowed):
        shop.app.price_imports.import_buyout_prices(
            ctx(employee), shop.company_id, read_price_csv(GOOD), dry_run=True
        )


def test_the_business_date_is_the_company_s_local_date(shop: Shop) -> None:
    # 23:30 UTC on 2 March is already 3 March in Stockholm.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    content = f"{HEADER}\nSN-1,1,,2026-03-03\n".encode()

    assert (
        shop.app.price_imports.import_buyout_prices(
            ctx(shop.admin, late), shop.company_id, read_price_csv(content), dry_run=True
        ).errors
        == ()
    )
    assert shop.app.price_imports.import_buyout_prices(
        ctx(shop.admin), shop.company_id, read_price_csv(content), dry_run=True
    ).errors


def test_a_device_changed_between_reading_and_writing_makes_the_import_refuse(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing under concurrency: a conflicting write means nothing of the file lands."""
    app = shop.app
    real_load = app.load
    raced = False

    def load_then_race(kind: Any, aggregate_id: UUID, what: str, version: int | None = None) -> Any:
        nonlocal raced
        loaded = real_load(kind, aggregate_id, what, version)
        if kind is Device and aggregate_id == shop.devices["SN-2"] and not raced:
            raced = True
            other = real_load(Device, aggregate_id, "Device")
            other.set_buyout_availability(False, cause=CAUSE)
            app.save(other)
        return loaded

    monkeypatch.setattr(app, "load", load_then_race)
    before = head(app)
    content = f"{HEADER}\nSN-1,1,,2026-03-01\nSN-2,2,,2026-03-01\n".encode()

    with pytest.raises(RuleViolation):
        app.price_imports.import_buyout_prices(
            ctx(shop.admin), shop.company_id, read_price_csv(content), dry_run=False
        )

    assert raced
    assert head(app) == before + 1  # only the concurrent write
    assert app.devices.get(shop.admin, shop.devices["SN-1"]).manual_price is None
