"""The rental account page (seed 003's contract overview): the credit balance, the daily
total and the runway (the last day the balance pays for), each rented device with its
rate and paid-through day, and the link to the account's history.

From the rental accounts' query and the hardware overview's (for serials and models).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request, Response

from api.bootstrap import Container
from api.console.pages.viewing import chosen_company
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.actor import Caller
from projections.hardware_overview import HardwareFilter, query_hardware
from projections.reading import MAX_PAGE, every_item
from projections.rental_accounts.queries import RentalAccountFilter, query_rental_accounts

router = console_pages()


def rental_account(c: Container, caller: Caller, company_id: UUID) -> dict[str, Any]:
    """The company's account (None before its first key is redeemed) with its rentals."""
    found = query_rental_accounts(c.db, caller, RentalAccountFilter(company_id=company_id))
    account = found.items[0] if found.items else None
    if account is None:
        return {"account": None}
    devices = {
        d["device_id"]: d
        for d in every_item(
            lambda after: query_hardware(
                c.db,
                caller,
                HardwareFilter(
                    company_id=company_id,
                    contract_type="rental",
                    include_closed=True,
                    after=after,
                    limit=MAX_PAGE,
                ),
            )
        )
    }
    rentals = [r | {"device": devices.get(r["device_id"])} for r in account["rentals"]]
    return {"account": account | {"rentals": rentals}}


@router.get("/rental-account")
def rental_account_page(request: Request, viewer: ViewerDep) -> Response:
    found = rental_account(container_of(request), viewer.caller, chosen_company(viewer))
    return render(request, viewer, "console/rental_account.html", **found)
