"""/v1/subscriptions: quotes, subscriptions, seats, PO, renewal, licences, history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep, EventLogPage, SubscriptionsPage, company_for
from api.http.documented import DocumentedRoute
from api.http.schemas.event_log import EventPage
from api.http.schemas.subscriptions import (
    SUBSCRIPTION,
    Licence,
    PoReferenceChange,
    QuoteOut,
    QuoteRequest,
    RenewalOptionChange,
    SeatsAdd,
    SeatsChange,
    SeatsQuoteRequest,
    SubscriptionCancel,
    SubscriptionCreate,
    SubscriptionPage,
    quote_out,
)
from domain.application import Outcome
from projections.event_log import query_subscription_history
from projections.subscription_overview import SubscriptionFilter, query_subscriptions

router = APIRouter(tags=["subscriptions"], route_class=DocumentedRoute)
SUBSCRIPTION_PATH = "/v1/subscriptions/{subscription_id}"
subscriptions = CommandRoutes(router, "/v1/subscriptions", SUBSCRIPTION)
subscription = CommandRoutes(router, SUBSCRIPTION_PATH, SUBSCRIPTION)


@router.post(
    "/v1/subscriptions/quote",
    summary="Estimated cost of a term, before buying",
    response_model=QuoteOut,
)
def quote(body: QuoteRequest, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    lines = [(line.product_id, line.seats) for line in body.lines]
    company_id = company_for(who, body.company_id)
    return quote_out(c.app.subscriptions.quote(who, company_id, lines, body.term, c.clock.now()))


@router.post(
    SUBSCRIPTION_PATH + "/seats/quote",
    summary="What adding seats costs today (pro rata), before confirming",
    response_model=QuoteOut,
)
def quote_seats(
    subscription_id: UUID, body: SeatsQuoteRequest, who: CallerDep, c: ContainerDep
) -> dict[str, Any]:
    quoted = c.app.subscriptions.quote_seats(
        who, subscription_id, body.product_id, body.seats, c.clock.now()
    )
    return quote_out(quoted)


@subscriptions.post("", "Buy a subscription", status_code=201)
def create(app: App, ctx: Ctx, body: SubscriptionCreate) -> Outcome:
    return app.subscriptions.create(
        ctx,
        company_id=company_for(ctx.caller, body.company_id),
        lines=[(line.product_id, line.seats) for line in body.lines],
        start_date=body.start_date,
        term=body.term,
        po_reference=body.po_reference,
        separate_invoice=body.separate_invoice,
        renewal_option=body.renewal_option,
        quote_id=body.quote_id,
        accept_terms=body.accept_terms,
    )


@router.get(
    "/v1/subscriptions",
    summary="Subscription overview: seats bought, assigned, free",
    name="list",
    response_model=SubscriptionPage,
)
def subscription_overview(
    who: CallerDep,
    paging: SubscriptionsPage,
    company_id: UUID | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    filtered = SubscriptionFilter(
        company_id=company_id, status=status, after=paging.after, limit=paging.limit
    )
    return query_subscriptions(paging.views, who, filtered).to_json()


@router.get(SUBSCRIPTION_PATH, summary="One subscription", response_model=SUBSCRIPTION.model)
def get(
    subscription_id: UUID, who: CallerDep, c: ContainerDep, response: Response
) -> dict[str, Any]:
    return SUBSCRIPTION.read(response, c.app.subscriptions.get(who, subscription_id))


@router.get(
    SUBSCRIPTION_PATH + "/history",
    summary="Every operation: what, when, done by, details",
    response_model=EventPage,
)
def history(
    subscription_id: UUID,
    who: CallerDep,
    paging: EventLogPage,
) -> dict[str, Any]:
    history = query_subscription_history(
        paging.views, who, subscription_id, after=paging.after, limit=paging.limit
    )
    return history.to_json()


@subscription.post("/seats", "Add seats (pro rata for the rest of the current term)")
def add_seats(app: App, ctx: Ctx, subscription_id: UUID, body: SeatsAdd) -> Outcome:
    return app.subscriptions.add_seats(
        ctx, subscription_id, body.product_id, body.seats, body.quote_id, body.accept_terms
    )


@subscription.post(
    "/seat-removals", "Remove seats from the next period (monthly subscriptions only)"
)
def remove_seats(app: App, ctx: Ctx, subscription_id: UUID, body: SeatsChange) -> Outcome:
    return app.subscriptions.remove_seats(ctx, subscription_id, body.product_id, body.seats)


@subscription.post("/po-reference", "Change the PO reference (applies to the next charges)")
def change_po_reference(
    app: App, ctx: Ctx, subscription_id: UUID, body: PoReferenceChange
) -> Outcome:
    return app.subscriptions.change_po_reference(ctx, subscription_id, body.po_reference)


@subscription.post("/renewal-option", "Change what happens at term end")
def change_renewal_option(
    app: App, ctx: Ctx, subscription_id: UUID, body: RenewalOptionChange
) -> Outcome:
    return app.subscriptions.change_renewal_option(ctx, subscription_id, body.renewal_option)


@subscription.post("/cancel", "Cancel at the end of the current term")
def cancel(app: App, ctx: Ctx, subscription_id: UUID, _: SubscriptionCancel) -> Outcome:
    return app.subscriptions.cancel(ctx, subscription_id)


@subscription.post("/licences", "Assign a licence to a member (consumes a seat)")
def assign_licence(app: App, ctx: Ctx, subscription_id: UUID, body: Licence) -> Outcome:
    return app.subscriptions.assign_licence(ctx, subscription_id, body.member_id, body.product_id)


@subscription.post("/licences/unassign", "Unassign a member's licence (frees the seat)")
def unassign_licence(app: App, ctx: Ctx, subscription_id: UUID, body: Licence) -> Outcome:
    return app.subscriptions.unassign_licence(ctx, subscription_id, body.member_id, body.product_id)
