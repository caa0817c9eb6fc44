"""Text as it enters the domain: the one normal form of identifiers and names.

Two spellings that look the same must be the same value (a serial, an email, a product
code is unique per company), and nothing invisible may ride along into an invoice, an email
or a terminal. So every name and identifier passes `clean_text` where it enters a model:

- NFKC folds compatibility look-alikes into their plain form: full-width `ＳＥＲ` → `SER`,
  ligatures, superscripts, no-break and ideographic spaces → space;
- surrounding whitespace goes (a pasted value often ends in a newline or a tab);
- inside, control characters (C0 and C1: tab, newline, the ESC of ANSI sequences, DEL), format
  characters (zero-width space and joiners, BOM, soft hyphen, bidi overrides), line and
  paragraph separators and lone surrogates are refused, not dropped: a value silently made
  equal to another would hide a mistake (or a trick) from the one who typed it;
- runs of spaces become one.

docs/adr/0015-credentials-and-names.md records the choice.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from domain.model.errors import InvalidValue

# Unicode general categories refused anywhere in a name or identifier.
REFUSED_CATEGORIES: Final = frozenset(
    {
        "Cc",  # control: C0, DEL, C1 (ESC starts every ANSI escape)
        "Cf",  # format: zero-width space/joiners, word joiner, BOM, soft hyphen, bidi controls
        "Cs",  # a lone surrogate (JSON can spell one as \ud800); no store can encode it
        "Zl",  # line separator
        "Zp",  # paragraph separator
    }
)


def clean_text(value: str, what: str) -> str:
    """`value` in normal form ("" when it is only spaces), or InvalidValue naming `what`
    and the first character refused."""
    normal = unicodedata.normalize("NFKC", value).strip()
    for char in normal:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            name = unicodedata.name(char, "")  # controls and surrogates have none
            raise InvalidValue(
                f"The {what} contains an invisible or control character, "
                f"U+{ord(char):04X}{' ' + name if name else ''}."
            )
    return " ".join(normal.split())


def bounded_text(value: str, what: str, most: int, *, required: bool = False) -> str:
    """`clean_text(value, what)` of at most `most` characters (and not empty if `required`),
    or InvalidValue saying so: "A {what} has at most N characters" / "has 1 to N"."""
    text = clean_text(value, what)
    if len(text) > most or (required and not text):
        span = f"1 to {most}" if required else f"at most {most}"
        raise InvalidValue(f"A {what} has {span} characters.")
    return text
