"""Links between the console's entities and their history in the audit log.

`history_url(kind, id)` is the audit log filtered to one aggregate; `entity_url(kind, id)`
its own page, where the console has one. Both are template globals, so an entity page
links to its history and the history links back. A new page registers its kind here.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

# What the audit log can be filtered by, as the form's "About" offers it.
ABOUT_KINDS: dict[str, str] = {
    "Device": "Device",
    "Subscription": "Subscription",
    "RentalAccount": "Rental account",
    "UsageLedger": "Usage ledger",
    "Invoice": "Invoice",
    "Member": "Member",
    "Company": "Company",
}

# The page of each kind that has one, by aggregate id.
ENTITY_PAGES: dict[str, str] = {
    "Device": "/console/devices/{id}",
}


def history_url(kind: str, aggregate_id: UUID | str) -> str:
    return "/console/audit-log?" + urlencode({"about": kind, "id": str(aggregate_id)})


def entity_url(kind: str | None, aggregate_id: UUID | str | None) -> str | None:
    page = ENTITY_PAGES.get(kind or "")
    if page is None or aggregate_id is None:
        return None
    return page.format(id=aggregate_id)
