"""/v1/subscriptions: quotes, subscriptions, their seats, PO, renewal and licences."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field, StrictBool, StrictInt

from api.http.responses import Resource
from api.http.schemas.common import (
    Body,
    IsoDate,
    MoneyOut,
    PageOut,
    Strict,
    Versioned,
    money_out,
)
from domain.application import Quote
from domain.model.management_rights import ManagementRight
from domain.model.pricing import RenewalOption, Term
from domain.model.subscription import Subscription


class ProductSeats(Strict):
    product_id: UUID
    seats: StrictInt = Field(ge=1, le=100_000)


class QuoteRequest(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    lines: list[ProductSeats] = Field(min_length=1, max_length=50)
    term: Term


CONFIRMATION = (
    "Optional, with accept_terms (ADR 0032): the quote this purchase confirms. A stale quote"
    " (price or terms changed, or expired) is refused with 409 stale-quote and the new quote."
    " Without it (integrations, service accounts) the purchase is priced at today's list"
    " price and records no confirmation."
)
ACCEPT_TERMS = "The provider's terms version accepted (GET /v1/terms); only with quote_id"


class Confirmed(Strict):
    quote_id: str | None = Field(default=None, max_length=64, description=CONFIRMATION)
    accept_terms: str | None = Field(default=None, max_length=40, description=ACCEPT_TERMS)


class SubscriptionCreate(Confirmed):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    lines: list[ProductSeats] = Field(min_length=1, max_length=50)
    start_date: IsoDate = Field(description="In the past (devices already installed) or future")
    term: Term
    po_reference: str | None = Field(default=None, max_length=100)
    separate_invoice: StrictBool = False
    renewal_option: RenewalOption = RenewalOption.NONE


class SeatsChange(Versioned):
    product_id: UUID
    seats: StrictInt = Field(ge=1, le=100_000)


class SeatsAdd(SeatsChange, Confirmed):
    pass


class SeatsQuoteRequest(Strict):
    product_id: UUID
    seats: StrictInt = Field(ge=1, le=100_000)


class PoReferenceChange(Versioned):
    po_reference: str | None = Field(max_length=100)


class RenewalOptionChange(Versioned):
    renewal_option: RenewalOption


class SubscriptionCancel(Versioned):
    pass


class Licence(Versioned):
    member_id: UUID
    product_id: UUID


class SeatsOut(Body):
    """A product's seats on a subscription, as the subscription overview lists them."""

    product_id: UUID
    product_name: str
    kind: str
    seats: int
    assigned: int
    free: int
    pending_removal: int
    unit_price: MoneyOut


class SeatsRowOut(SeatsOut):
    group: str = Field(description="the product group: service, option, application or custom")


class ProductGroupOut(Body):
    """A subscription's seats of one product group, summed over its products."""

    group: str
    seats: int
    assigned: int
    product_ids: list[UUID]


class SubscriptionLineOut(SeatsOut):
    holders: list[str] = Field(description="the members holding a licence of it")


class SubscriptionOut(Body):
    id: UUID
    company_id: UUID
    status: str
    term: str
    start_date: date
    term_start: date
    term_end: date
    charged_through: date
    renewal_option: str
    cancel_at_term_end: bool
    po_reference: str | None
    separate_invoice: bool
    lines: list[SubscriptionLineOut]
    version: int


class SubscriptionRow(Body):
    """A subscription as the subscription overview lists it."""

    subscription_id: UUID
    company_id: UUID
    status: str
    term: str
    start_date: date
    term_start: date
    term_end: date
    charged_through: date
    next_renewal: date | None = Field(description="null once expired or cancelled")
    renewal_option: str
    cancel_at_term_end: bool
    po_reference: str | None
    separate_invoice: bool
    version: int
    lines: list[SeatsRowOut]
    management_right: ManagementRight = Field(description="the company's rights in force")
    groups: list[ProductGroupOut]
    deployed_devices: int = Field(description="the company's devices in use, beside the seats")


class SubscriptionPage(PageOut[SubscriptionRow]):
    pass


class QuoteLineOut(Body):
    product_name: str
    seats: int
    unit_price: MoneyOut
    amount: MoneyOut


class QuoteOut(Body):
    term: str
    months: int
    discount: str = Field(description="a decimal string, e.g. 0.10")
    lines: list[QuoteLineOut]
    total: MoneyOut
    quote_id: str | None = Field(description="Name it (with accept_terms) to confirm the quote")
    expires_at: str | None = Field(description="When the quote id stops being accepted (UTC)")
    terms_version: str | None = Field(description="The provider's terms to accept (or none)")


def subscription_out(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": str(subscription.id),
        "company_id": str(subscription.company_id),
        "status": str(subscription.status),
        "term": str(subscription.term),
        "start_date": subscription.start_date.isoformat(),
        "term_start": subscription.term_start.isoformat(),
        "term_end": subscription.term_end.isoformat(),
        "charged_through": subscription.charged_through.isoformat(),
        "renewal_option": str(subscription.renewal_option),
        "cancel_at_term_end": subscription.cancel_at_term_end,
        "po_reference": subscription.po_reference,
        "separate_invoice": subscription.separate_invoice,
        "lines": [
            {
                "product_id": str(line.product_id),
                "product_name": line.product_name,
                "kind": str(line.kind),
                "seats": line.seats,
                "assigned": subscription.assigned(line.product_id),
                "free": subscription.free_seats(line.product_id),
                "pending_removal": subscription.pending_removals.get(str(line.product_id), 0),
                "unit_price": money_out(line.unit_price),
                "holders": list(subscription.holders.get(str(line.product_id), [])),
            }
            for line in subscription.lines.values()
        ],
        "version": subscription.version,
    }


SUBSCRIPTION = Resource(Subscription, subscription_out, SubscriptionOut, "/v1/subscriptions")


def quote_out(quote: Quote) -> dict[str, Any]:
    return {
        "term": str(quote.term),
        "months": quote.term.months,
        "discount": str(quote.term.discount),
        "lines": [
            {
                "product_name": line.product_name,
                "seats": line.seats,
                "unit_price": money_out(line.unit_price),
                "amount": money_out(line.amount),
            }
            for line in quote.lines
        ],
        "total": money_out(quote.total),
        "quote_id": quote.quote_id,
        "expires_at": quote.expires_at.isoformat() if quote.expires_at else None,
        "terms_version": quote.terms_version,
    }
