"""clean_text: one normal form for names and identifiers; nothing invisible gets in."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.model.errors import InvalidValue
from domain.model.text import REFUSED_CATEGORIES, clean_text

# Any code point, lone surrogates included (JSON can spell one as "\ud800").
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()))


def cleaned_or_none(value: str) -> str | None:
    try:
        return clean_text(value, "name")
    except InvalidValue:
        return None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ＳＥＲ-A-0", "SER-A-0"),  # full-width
        ("SER\u00a0A", "SER A"),  # no-break space
        ("Acme\u3000AB", "Acme AB"),  # ideographic space
        ("ﬁne", "fine"),  # ligature
        ("  Ann   Andersson \n", "Ann Andersson"),
        ("Ångström", "Ångström"),  # composed as it was typed …
        ("A\u030angstro\u0308m", "Ångström"),  # … and when typed decomposed
        ("Zoë 👩🏽", "Zoë 👩🏽"),
        ("   ", ""),
    ],
)
def test_look_alikes_become_one_plain_spelling(typed: str, stored: str) -> None:
    assert clean_text(typed, "name") == stored


@pytest.mark.parametrize(
    ("typed", "code_point"),
    [
        ("SER-A-\u200b0", "U+200B"),  # zero-width space
        ("Ann\u200dAndersson", "U+200D"),  # zero-width joiner
        ("\ufeffAcme", "U+FEFF"),  # byte order mark
        ("Acme\u00adAB", "U+00AD"),  # soft hyphen
        ("Acme \u202eBA", "U+202E"),  # right-to-left override
        ("\x1b[31mAcme\x1b[0m", "U+001B"),  # ANSI colour
        ("Acme\x07", "U+0007"),  # bell
        ("Ann\tAndersson", "U+0009"),
        ("Ann\nAndersson", "U+000A"),
        ("Acme\x9bAB", "U+009B"),  # C1 control sequence introducer
        ("Acme\u2028AB", "U+2028"),  # line separator
        ("Acme\ud800", "U+D800"),  # lone surrogate
    ],
)
def test_an_invisible_or_control_character_is_refused_and_named(
    typed: str, code_point: str
) -> None:
    with pytest.raises(InvalidValue, match=re.escape(f"character, {code_point}")):
        clean_text(typed, "serial number")


@given(ANY_TEXT)
def test_cleaning_twice_is_cleaning_once(value: str) -> None:
    once = cleaned_or_none(value)
    assume(once is not None)

    assert clean_text(once, "name") == once


@given(ANY_TEXT)
def test_what_is_kept_has_no_control_or_invisible_character_and_no_stray_space(
    value: str,
) -> None:
    cleaned = cleaned_or_none(value)
    assume(cleaned is not None)

    assert not {unicodedata.category(c) for c in cleaned} & REFUSED_CATEGORIES
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert unicodedata.is_normalized("NFKC", cleaned)


@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"])))
def test_text_of_letters_digits_punctuation_symbols_and_spaces_is_always_accepted(
    value: str,
) -> None:
    clean_text(value, "name")  # no InvalidValue
