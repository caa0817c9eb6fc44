"""A member file (SPEC §3, seed 004, ADR 0033): members and their licences as CSV rows.

    email,name,role,plan,options,last_employment_day
    ann@acme.se,Ann Andersson,employee,WP,BK;VPN,2026-12-31

- ``email`` names the member (as registered: case and surrounding blanks ignored); each at
  most once per file. Required. ``name`` and ``role`` (admin or employee) are required: a
  new member is registered with them; an existing one must match (they are not changed).
- ``plan``: the catalog code of the plan product the member holds, blank for none.
- ``options``: codes of other products (options, applications, custom) separated by ';'.
- ``last_employment_day``: YYYY-MM-DD, blank for none.

The file says what each member holds: licences not named are unassigned. Validation never
stops at the first problem (like the price file): every bad cell is a `RowError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from typing import Final, TypeVar

from domain.model import bounds
from domain.model.actor import MEMBER_ROLES, Role
from domain.model.errors import InvalidValue
from domain.model.member import normalise_email
from domain.model.price_rows import (
    FILE,
    HEADER,
    ROW,
    PriceImportRejected,
    PriceTable,
    RawRow,
    RowError,
)
from domain.model.product import ProductKind
from domain.model.text import clean_text

EMAIL, NAME, ROLE, PLAN, OPTIONS, LAST_DAY = (
    "email",
    "name",
    "role",
    "plan",
    "options",
    "last_employment_day",
)
COLUMNS: Final = (EMAIL, NAME, ROLE, PLAN, OPTIONS, LAST_DAY)
REQUIRED: Final = (EMAIL, NAME, ROLE)
MAX_MEMBER_ROWS: Final = 500  # one request writes at most this many members' changes
MAX_OPTIONS: Final = 10
MAX_NAME_CHARS: Final = 200
T = TypeVar("T")
NOT_PLANS: Final[frozenset[ProductKind]] = frozenset(ProductKind) - {ProductKind.PLAN}
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class MemberRow:
    line: int
    email: str  # normalised
    name: str
    role: Role
    plan: str | None  # a product code
    options: tuple[str, ...]  # product codes
    last_employment_day: date | None

    @property
    def products(self) -> tuple[str, ...]:
        return (self.plan, *self.options) if self.plan else self.options


class MemberImportRejected(PriceImportRejected):
    """A member file with errors cannot be applied: nothing is written."""

    title = "The member file has errors"


def _columns(table: PriceTable, errors: list[RowError]) -> dict[str, int]:
    if table.header is None:
        if not errors:
            errors.append(RowError(1, FILE, f"the file is empty: start with {','.join(COLUMNS)}"))
        return {}
    found: dict[str, int] = {}
    line = table.header.line
    for index, cell in enumerate(table.header.cells):
        name = cell.strip().lower()
        if name not in COLUMNS:
            shown = f"'{cell.strip()}'" if cell.strip() else "without a name"
            errors.append(
                RowError(
                    line, HEADER, f"unknown column {shown} (the columns are {', '.join(COLUMNS)})"
                )
            )
        elif name in found:
            errors.append(RowError(line, name, f"the column '{name}' appears twice"))
        else:
            found[name] = index
    errors.extend(
        RowError(line, name, f"the required column '{name}' is missing")
        for name in REQUIRED
        if name not in found
    )
    if not table.rows and not errors:
        errors.append(RowError(line, FILE, "the file has a header but no rows"))
    if len(table.rows) > MAX_MEMBER_ROWS:
        errors.append(RowError(line, FILE, f"a file has at most {MAX_MEMBER_ROWS} rows"))
    return found if not errors else {}


def validate_member_table(
    table: PriceTable, products: Mapping[str, ProductKind]
) -> tuple[list[MemberRow], list[RowError]]:
    """The valid rows and every error; `products` maps catalog codes to their kind."""
    errors = list(table.errors)
    columns = _columns(table, errors)
    if not columns or table.header is None:
        return [], sorted(errors)
    rows: list[MemberRow] = []
    seen: dict[str, int] = {}
    for raw in table.rows:
        found: list[RowError] = []
        row = _row(raw, columns, products, found, width=len(table.header.cells))
        if row is not None and row.email in seen:
            found.append(RowError(raw.line, EMAIL, f"{row.email} is on line {seen[row.email]} too"))
        if row is not None:
            seen.setdefault(row.email, raw.line)
        if found or row is None:
            errors.extend(found)
        else:
            rows.append(row)
    return rows, sorted(errors)


def _row(
    raw: RawRow,
    columns: Mapping[str, int],
    products: Mapping[str, ProductKind],
    found: list[RowError],
    *,
    width: int,
) -> MemberRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return raw.cells[index].strip() if index is not None and index < len(raw.cells) else ""

    def parsed(name: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(cell(name))
        except InvalidValue as e:
            found.append(RowError(raw.line, name, e.detail))
            return None

    if len(raw.cells) > width:
        found.append(RowError(raw.line, ROW, "the row has more cells than the header"))
    email = parsed(EMAIL, normalise_email)
    name = parsed(NAME, _name)
    role = parsed(ROLE, _role)
    plan = parsed(PLAN, lambda text: _codes(text, products, {ProductKind.PLAN}, 1))
    options = parsed(OPTIONS, lambda text: _codes(text, products, NOT_PLANS, MAX_OPTIONS))
    last_day = parsed(LAST_DAY, _day)
    if email is None or name is None or role is None or plan is None or options is None:
        return None
    return MemberRow(raw.line, email, name, role, plan[0] if plan else None, options, last_day)


def _name(text: str) -> str:
    name = clean_text(text, "member's name")
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidValue(f"a name has 1 to {MAX_NAME_CHARS} characters")
    return name


def _role(text: str) -> Role:
    if text.lower() not in {r.value for r in MEMBER_ROLES}:
        raise InvalidValue("the role is 'admin' or 'employee'")
    return Role(text.lower())


def _codes(
    text: str, products: Mapping[str, ProductKind], kinds: AbstractSet[ProductKind], most: int
) -> tuple[str, ...]:
    what = " or ".join(sorted(k.value for k in kinds))
    codes = [c.strip() for c in text.split(";") if c.strip()] if text else []
    if len(codes) > most or len(set(codes)) != len(codes):
        raise InvalidValue(f"name at most {most} different {what} code(s), separated by ';'")
    for code in codes:
        if products.get(code) not in kinds:
            raise InvalidValue(f"'{code}' is not a {what} product of the catalog")
    return tuple(codes)


def _day(text: str) -> date | None:
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise InvalidValue("write the date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text} is not a date") from None
    return bounds.optional_date(day, "The last employment day")
