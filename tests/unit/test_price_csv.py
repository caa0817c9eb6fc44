"""Reading an uploaded price file (adapters/price_csv.py): bytes into a table of strings.

Reading knows no column: what the cells mean is the model's, tested in
test_price_import.py on tables read here and on tables built by hand.
"""

from __future__ import annotations

import hashlib

import pytest

from adapters.price_csv import read_price_csv
from domain.model.price_rows import PriceTable, RawRow


def test_a_file_reads_into_its_header_and_rows_numbered_by_line() -> None:
    content = b"serial,price,available,effective_date\nSN-1,3420.00,yes,2026-03-01\n"

    table = read_price_csv(content)

    assert table == PriceTable(
        sha256=hashlib.sha256(content).hexdigest(),
        header=RawRow(1, ("serial", "price", "available", "effective_date")),
        rows=(RawRow(2, ("SN-1", "3420.00", "yes", "2026-03-01")),),
    )


@pytest.mark.parametrize(
    "content",
    [
        b"serial,price\nSN-1,1\n",
        b"serial,price\r\nSN-1,1\r\n",
        "\ufeffserial,price\nSN-1,1\n".encode(),
        b"\xef\xbb\xbfserial,price\r\nSN-1,1",  # no line break at the end either
    ],
)
def test_a_byte_order_mark_and_either_line_ending_read_alike(content: bytes) -> None:
    table = read_price_csv(content)

    assert (table.header, table.rows, table.errors) == (
        RawRow(1, ("serial", "price")),
        (RawRow(2, ("SN-1", "1")),),
        (),
    )


def test_utf8_text_is_read_as_written() -> None:
    table = read_price_csv("serial\nÖlandsgatan-1\n東京-7\n".encode())

    assert [row.cells for row in table.rows] == [("Ölandsgatan-1",), ("東京-7",)]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("serial\nÖlandsgatan-1\n".encode("latin-1"), 2),
        ("serial\r\nSN-1\r\nSN-2 é\r\n".encode("cp1252"), 3),
        ("serial\nSN-1\n".encode("utf-16"), 1),
    ],
)
def test_text_that_is_not_utf8_is_an_error_naming_its_line(content: bytes, line: int) -> None:
    table = read_price_csv(content)

    assert (table.header, table.rows) == (None, ())
    [error] = table.errors
    assert (error.line, error.field) == (line, "file")
    assert error.message == f"line {line} is not UTF-8 text: save the file as UTF-8 (CSV UTF-8)"


def test_a_nul_character_is_an_error_naming_its_line() -> None:
    table = read_price_csv(b"serial\nSN-1\nSN\x00-2\n")

    assert (table.header, table.rows) == (None, ())
    assert [(e.line, e.field, e.message) for e in table.errors] == [
        (3, "file", "the file contains a NUL character")
    ]


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_only_commas_separate_cells(separator: str) -> None:
    table = read_price_csv(f"serial{separator}price\nSN-1{separator}1\n".encode())

    assert table.header == RawRow(1, (f"serial{separator}price",))
    assert table.rows == (RawRow(2, (f"SN-1{separator}1",)),)


def test_quoted_cells_keep_commas_quotes_and_line_breaks_and_later_lines_count_them() -> None:
    table = read_price_csv(b'serial,price\n"SN\nTWO-LINES",1\n"SN,42","3 ""big"""\nSN-9,2\n')

    assert table.rows == (
        RawRow(2, ("SN\nTWO-LINES", "1")),
        RawRow(4, ("SN,42", '3 "big"')),  # the quoted line break took line 3
        RawRow(5, ("SN-9", "2")),
    )
    assert table.errors == ()


def test_blank_records_are_left_out_but_their_lines_still_count() -> None:
    table = read_price_csv(b"\n serial,price\n\n , \nSN-1,1\n\n")

    assert table.header == RawRow(2, (" serial", "price"))  # cells as written, unstripped
    assert table.rows == (RawRow(5, ("SN-1", "1")),)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\r\n", b" , \n"])
def test_a_file_without_any_record_has_no_header_and_leaves_the_verdict_to_the_model(
    content: bytes,
) -> None:
    table = read_price_csv(content)

    assert (table.header, table.rows, table.errors) == (None, (), ())


def test_broken_quoting_is_an_error_from_its_line_on_and_what_came_before_is_kept() -> None:
    table = read_price_csv(b'serial,price\nSN-1,1\nSN-2,"2"x\nSN-3,3\n')

    assert table.header == RawRow(1, ("serial", "price"))
    assert table.rows == (RawRow(2, ("SN-1", "1")),)
    [error] = table.errors
    assert (error.line, error.field) == (3, "file")
    assert error.message.startswith("unreadable CSV from line 3 on (")
    assert error.message.endswith("): check the quotes")
