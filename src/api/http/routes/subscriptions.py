"""/v1/subscriptions: quotes, subscriptions, seats, PO, renewal, licences, history; /v1/charges."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.bootstrap import Container
from api.http.deps import (
    CallerDep,
    ContainerDep,
    ContextDep,
    Cursor,
    Limit,
    MinPosition,
)
from api.http.reads import views_after
from api.http.routes._responses import command_response
from api.http.schemas import (
    DefaultLicence,
    Licence,
    PoReferenceChange,
    QuoteRequest,
    RenewalOptionChange,
    SeatsChange,
    SubscriptionCancel,
    SubscriptionCreate,
    company_out,
    quote_out,
    subscription_out,
)
from domain.application import CommandContext, Outcome
from domain.model.errors import InvalidValue
from projections.charges import ChargeFilter, query_charges
from projections.event_log import query_subscription_history
from projections.subscription_overview import SubscriptionFilter, query_subscriptions

router = APIRouter(tags=["subscriptions"])


def _company(ctx_company: UUID | None, given: UUID | None) -> UUID:
    company_id = given or ctx_company
    if company_id is None:
        raise InvalidValue("company_id is required for operators.")
    return company_id


def _respond(c: Container, ctx: CommandContext, outcome: Outcome) -> JSONResponse:
    subscription = c.app.subscriptions.get(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(
        outcome, subscription_out(subscription), lambda i: f"/v1/subscriptions/{i}"
    )


@router.post("/v1/subscriptions/quote", summary="Estimated cost of a term, before buying")
def quote(body: QuoteRequest, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    company_id = _company(who.company_id, body.company_id)
    lines = [(line.product_id, line.seats) for line in body.lines]
    return quote_out(c.app.subscriptions.quote(who, company_id, lines, body.term))


@router.post("/v1/subscriptions", status_code=201, summary="Buy a subscription")
def create_subscription(body: SubscriptionCreate, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    outcome = c.app.subscriptions.create(
        ctx,
        company_id=_company(ctx.caller.company_id, body.company_id),
        lines=[(line.product_id, line.seats) for line in body.lines],
        start_date=body.start_date,
        term=body.term,
        po_reference=body.po_reference,
        separate_invoice=body.separate_invoice,
        renewal_option=body.renewal_option,
    )
    return _respond(c, ctx, outcome)


@router.get("/v1/subscriptions", summary="Subscription overview: seats bought, assigned, free")
def subscription_overview(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    status: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    page = query_subscriptions(
        views_after(c, "subscription_overview", min_position),
        who,
        SubscriptionFilter(
            company_id=company_id,
            status=status,
            after=cursor,
            limit=limit,
        ),
    )
    return page.to_json()


@router.get("/v1/subscriptions/{subscription_id}", summary="One subscription")
def get_subscription(subscription_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return subscription_out(c.app.subscriptions.get(who, subscription_id))


@router.get(
    "/v1/subscriptions/{subscription_id}/history",
    summary="Every operation: what, when, done by, details",
)
def subscription_history(
    subscription_id: UUID,
    who: CallerDep,
    c: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    views = views_after(c, "event_log", min_position)
    page = query_subscription_history(views, who, subscription_id, after=cursor, limit=limit)
    return page.to_json()


def _versioned(ctx: CommandContext, expected_version: int | None) -> CommandContext:
    return replace(ctx, expected_version=expected_version)


@router.post(
    "/v1/subscriptions/{subscription_id}/seats",
    summary="Add seats (pro rata for the rest of the current term)",
)
def add_seats(
    subscription_id: UUID, body: SeatsChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.add_seats(
        _versioned(ctx, body.expected_version), subscription_id, body.product_id, body.seats
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/seat-removals",
    summary="Remove seats from the next period (monthly subscriptions only)",
)
def remove_seats(
    subscription_id: UUID, body: SeatsChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.remove_seats(
        _versioned(ctx, body.expected_version), subscription_id, body.product_id, body.seats
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/po-reference",
    summary="Change the PO reference (applies to the next charges)",
)
def change_po_reference(
    subscription_id: UUID, body: PoReferenceChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.change_po_reference(
        _versioned(ctx, body.expected_version), subscription_id, body.po_reference
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/renewal-option", summary="Change what happens at term end"
)
def change_renewal_option(
    subscription_id: UUID, body: RenewalOptionChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.change_renewal_option(
        _versioned(ctx, body.expected_version), subscription_id, body.renewal_option
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/cancel", summary="Cancel at the end of the current term"
)
def cancel_subscription(
    subscription_id: UUID, body: SubscriptionCancel, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.cancel(_versioned(ctx, body.expected_version), subscription_id)
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/licences",
    summary="Assign a licence to a member (consumes a seat)",
)
def assign_licence(
    subscription_id: UUID, body: Licence, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.assign_licence(
        _versioned(ctx, body.expected_version), subscription_id, body.member_id, body.product_id
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/subscriptions/{subscription_id}/licences/unassign",
    summary="Unassign a member's licence (frees the seat)",
)
def unassign_licence(
    subscription_id: UUID, body: Licence, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.unassign_licence(
        _versioned(ctx, body.expected_version), subscription_id, body.member_id, body.product_id
    )
    return _respond(c, ctx, outcome)


@router.post(
    "/v1/companies/{company_id}/default-licence",
    summary="The licence new members get while a seat is free",
)
def choose_default_licence(
    company_id: UUID, body: DefaultLicence, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.subscriptions.choose_default_licence(
        _versioned(ctx, body.expected_version),
        company_id,
        body.subscription_id,
        body.product_id,
    )
    company = c.app.companies.read(ctx.caller, outcome.subject_id, version=outcome.version)
    body_out = company_out(company) | {
        "default_licence": {
            "subscription_id": str(company.default_subscription_id),
            "product_id": str(company.default_product_id),
        }
        if company.default_subscription_id
        else None
    }
    return command_response(outcome, body_out)


@router.get("/v1/charges", tags=["charges"], summary="Chargeable facts for the invoice run")
def charges(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    subscription_id: UUID | None = None,
    charged_from: Annotated[date | None, Query(description="inclusive")] = None,
    charged_to: Annotated[date | None, Query(description="exclusive")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    page = query_charges(
        views_after(c, "charges", min_position),
        who,
        ChargeFilter(
            company_id=company_id,
            subscription_id=subscription_id,
            charged_from=charged_from,
            charged_to=charged_to,
            after=cursor,
            limit=limit,
        ),
    )
    return page.to_json()
