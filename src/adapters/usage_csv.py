"""Reading a usage file (`lessor usage import`): CSV bytes into the model's usage changes.

UTF-8 (a BOM is allowed), comma separated with RFC 4180 quoting, its first record the
header naming the five columns in any order:

    change_id,kind,entity_id,action,at
    hr-2026-10-03-1,superuser,anna@example.com,activated,2026-10-03T09:00:00+02:00

Each row passes the same check as an HTTP change (`usage.checked_change`); the errors name
the line they are on.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from domain.model.errors import InvalidValue
from domain.model.usage import UsageChange, checked_change

COLUMNS = ("change_id", "kind", "entity_id", "action", "at")
MAX_REPORTED = 5  # errors listed before "and N more"


def read_usage_csv(content: bytes) -> list[UsageChange]:
    """The file's changes in file order; InvalidValue listing the lines that are wrong."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        raise InvalidValue(f"line {line} is not UTF-8 text: save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as e:
        raise InvalidValue(f"unreadable CSV near line {reader.line_num} ({e})") from None
    if not records:
        raise InvalidValue(f"the file is empty: its first line names the columns {COLUMNS}")
    header = [c.strip() for c in records[0][1]]
    if sorted(header) != sorted(COLUMNS):
        raise InvalidValue(f"line 1: the columns must be {', '.join(COLUMNS)}; got {header}")
    changes: list[UsageChange] = []
    errors: list[str] = []
    for line, cells in records[1:]:
        if len(cells) != len(header):
            errors.append(f"line {line}: {len(cells)} cells, the header has {len(header)}")
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        try:
            at = datetime.fromisoformat(row["at"])
        except ValueError:
            errors.append(f"line {line}: the instant {row['at']!r} is not ISO 8601")
            continue
        try:
            changes.append(
                checked_change(
                    change_id=row["change_id"],
                    kind=row["kind"],
                    entity_id=row["entity_id"],
                    action=row["action"],
                    at=at,
                )
            )
        except InvalidValue as e:
            errors.append(f"line {line}: {e.detail}")
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise InvalidValue("; ".join(errors[:MAX_REPORTED]) + more)
    return changes
