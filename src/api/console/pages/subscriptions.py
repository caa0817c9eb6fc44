"""The subscription status page (seed 004): per subscription its plan and options grouped
as services, options, applications and custom, seats bought / assigned / free, the expiry
with its renewal option, the members holding its licences ("show members"), and the
devices deployed beside the seats (seed 001).

Seats come from the subscription overview's query, the holders from the subscription
itself (the API's GET /v1/subscriptions/{id}), names from the directory's member list.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request, Response

from api.bootstrap import Container
from api.console.pages.forms import cursor_from
from api.console.pages.viewing import chosen_company, query_params
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.actor import Caller
from projections.directory.queries import MemberFilter, query_members
from projections.reading import MAX_PAGE, every_item
from projections.subscription_overview import SubscriptionFilter, query_subscriptions

router = console_pages()
PAGE_SIZE = 20

# How seed 004 marks the renewal option beside the expiry: an icon and its words.
RENEWAL = {
    "none": ("⊘", "no renewal"),
    "once": ("↻¹", "renews once"),
    "every_time": ("↻", "renews every time"),
    "to_monthly": ("↻ₘ", "continues as monthly licences"),
}


def subscription_status(
    c: Container, caller: Caller, company_id: UUID, after: int | None
) -> dict[str, Any]:
    page = query_subscriptions(
        c.db, caller, SubscriptionFilter(company_id=company_id, after=after, limit=PAGE_SIZE)
    )
    people = _names(c, caller, company_id)
    subscriptions = []
    for item in page.items:
        holders = c.app.subscriptions.get(caller, UUID(item["subscription_id"])).holders
        lines = [
            line | {"holders": [_person(people, m) for m in holders.get(line["product_id"], [])]}
            for line in item["lines"]
        ]
        members = {m for line in lines for m in holders.get(line["product_id"], [])}
        subscriptions.append(
            item
            | {
                "lines": lines,
                "renewal": RENEWAL.get(item["renewal_option"], ("", item["renewal_option"])),
                "member_count": len(members),
            }
        )
    return {"subscriptions": subscriptions, "next_cursor": page.next_cursor}


def _person(people: dict[str, dict[str, Any]], member_id: str) -> dict[str, Any]:
    """A holder's name and email (its id while the directory has not folded it yet)."""
    return people.get(member_id, {"name": member_id, "email": None})


def _names(c: Container, caller: Caller, company_id: UUID) -> dict[str, dict[str, Any]]:
    """The company's members by id, for the holders' names and emails."""
    items = every_item(
        lambda after: query_members(
            c.db, caller, MemberFilter(company_id=company_id, after=after, limit=MAX_PAGE)
        )
    )
    return {m["member_id"]: m for m in items}


@router.get("/subscriptions")
def subscriptions_page(request: Request, viewer: ViewerDep) -> Response:
    c = container_of(request)
    after = cursor_from(query_params(request))
    status = subscription_status(c, viewer.caller, chosen_company(viewer), after)
    return render(request, viewer, "console/subscriptions.html", **status)
