"""/v1/usage: record usage changes, read a month's usage and the running count, prices."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, ContextDep, MinPosition, company_for
from api.http.documented import DocumentedRoute
from api.http.reads import views_after
from api.http.responses import POSITION_HEADER, REPLAYED_HEADER, etag
from api.http.schemas.common import prices_minor
from api.http.schemas.usage import (
    USAGE_PRICE_LIST,
    MonthUsageOut,
    UsageBatch,
    UsageChangesIn,
    UsageChangesOut,
    UsagePriceIn,
    UsagePriceListOut,
    price_list_out,
)
from domain.application import Outcome
from domain.model.usage import UsageKind, checked_change, parse_month
from domain.model.usage_ledger import UsageLedger
from projections.usage import current_usage, month_usage

router = APIRouter(tags=["usage"], route_class=DocumentedRoute)
prices = CommandRoutes(router, "/v1/usage/prices", USAGE_PRICE_LIST)
Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


@router.post(
    "/v1/usage/changes",
    summary="Record usage changes: one, or a batch of up to 1,000 (all or nothing)",
    response_model=UsageChangesOut,
    responses={
        409: {"description": "A change contradicts the ledger (`errors`: each refused change)"},
    },
)
def record_changes(body: UsageChangesIn, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    given = body.changes if isinstance(body, UsageBatch) else [body]
    changes = [
        checked_change(
            change_id=x.change_id, kind=x.kind, entity_id=x.entity_id, action=x.action, at=x.at
        )
        for x in given
    ]
    company_id = company_for(ctx.caller, body.company_id)
    outcome: Outcome = c.app.usage.record_changes(ctx, company_id, changes)
    ledger = outcome.subject_as(UsageLedger)
    out = {
        "id": str(ledger.id),
        "company_id": str(ledger.company_id),
        "ledger_version": ledger.version,
        "changes": [
            {"index": i, "change_id": x.change_id, "status": "recorded"}
            for i, x in enumerate(changes)
        ],
    }
    headers = {POSITION_HEADER: str(outcome.position), "ETag": etag(outcome.version)}
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(
        UsageChangesOut.model_validate(out).model_dump(mode="json"), headers=headers
    )


@router.get(
    "/v1/usage/months/{month}",
    summary="A month's usage: per kind the entities active at any time in it, priced",
    response_model=MonthUsageOut,
)
def month(
    month: Month,
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    first = parse_month(month)
    views = views_after(c, "usage", min_position)
    return month_usage(views, who, company_id, first).to_json()


@router.get(
    "/v1/usage/current",
    summary="The running count of the current month (company time zone)",
    response_model=MonthUsageOut,
)
def current(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    views = views_after(c, "usage", min_position)
    return current_usage(views, who, company_id, c.clock.now()).to_json()


@router.get("/v1/usage/prices", summary="The usage price list", response_model=UsagePriceListOut)
def price_list(who: CallerDep, c: ContainerDep, response: Response) -> dict[str, Any]:
    found = c.app.usage.price_list(who)
    response.headers["ETag"] = etag(found.version if found else 0)
    return price_list_out(found)


@prices.post("/{kind}", "Set a kind's prices (per entity per month) and description (operator)")
def set_price(app: App, ctx: Ctx, kind: UsageKind, body: UsagePriceIn) -> Outcome:
    return app.usage.set_price(
        ctx, str(kind), prices=prices_minor(body.prices), description=body.description
    )
