"""Request and response bodies. Never the domain's events: the API has its own shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.application import DeviceOptions, Quote
from domain.model.actor import Role
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.end_of_lease import Choice
from domain.model.member import Member
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import Product, ProductKind
from domain.model.subscription import Subscription
from domain.model.valuation import Curve


class Strict(BaseModel):
    """Unknown fields are refused: no mass assignment of status, prices or tenants."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_bytes(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL, and no name, serial or reference needs one."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, dict) and any("\x00" in str(k) for k in value):
            raise ValueError("keys must not contain NUL characters")
        return value


class MoneyIn(Strict):
    amount: Decimal = Field(description='Major units as a decimal string, e.g. "12000.00"')
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    def to_money(self) -> Money:
        return Money.of(self.amount, self.currency)


class Versioned(Strict):
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse (409) unless the resource is at this version"
    )


class CompanyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = "Europe/Stockholm"
    vat_rate: Decimal = Field(default=Decimal("25"), description="Percent, e.g. 25")
    settings: dict[str, bool] = Field(default_factory=dict)


class CompanyChange(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = None
    vat_rate: Decimal | None = None
    settings: dict[str, bool] | None = None


class MemberCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.EMPLOYEE
    last_employment_day: date | None = None


class LastEmploymentDay(Versioned):
    last_employment_day: date | None


class DeviceCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    serial: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=50)
    company_cost: MoneyIn
    contract_type: ContractType
    lease_start: date | None = None
    renewal_date: date | None = None


class DeviceAssign(Versioned):
    member_id: UUID


class DeviceUnassign(Versioned):
    pass


def money_out(money: Money) -> dict[str, Any]:
    return {"amount": str(money.amount), "currency": money.currency, "minor": money.minor}


def company_out(company: Company) -> dict[str, Any]:
    return {
        "id": str(company.id),
        "name": company.name,
        "currency": company.currency,
        "time_zone": company.time_zone,
        "vat_rate": str(company.vat_rate),
        "settings": dict(company.settings),
        "version": company.version,
    }


def member_out(member: Member) -> dict[str, Any]:
    return {
        "id": str(member.id),
        "company_id": str(member.company_id),
        "email": member.email,
        "name": member.name,
        "role": str(member.role),
        "last_employment_day": (
            member.last_employment_day.isoformat() if member.last_employment_day else None
        ),
        "version": member.version,
    }


def device_out(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.id),
        "company_id": str(device.company_id),
        "serial": device.serial,
        "model": device.model,
        "category": device.category,
        "company_cost": money_out(device.company_cost),
        "contract_type": str(device.contract_type),
        "lease_start": device.lease_start.isoformat() if device.lease_start else None,
        "renewal_date": device.renewal_date.isoformat() if device.renewal_date else None,
        "replacement_for": str(device.replacement_for) if device.replacement_for else None,
        "status": str(device.status),
        "assignee_id": str(device.assignee_id) if device.assignee_id else None,
        "received": device.received,
        "replacement_id": str(device.replacement_id) if device.replacement_id else None,
        "end_of_lease": {
            "phase": str(device.phase),
            "preliminary_choice": device.preliminary_choice,
            "final_decision": device.final_decision,
            "overdue": device.overdue,
        },
        "buyout_available": device.buyout_available,
        "checkout_url": device.checkout_url,  # the open buyout payment's page, if any
        "manual_buyout_price": money_out(device.manual_price) if device.manual_price else None,
        "rental_active": device.rental_active,
        "version": device.version,
    }


# ------------------------------------------------------------ catalog and subscriptions


class ProductCreate(Strict):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200, description="Shown on invoices")
    kind: ProductKind
    prices: dict[str, Decimal] = Field(
        description='List price per seat per month, by currency: {"SEK": "49.00"}'
    )

    def prices_minor(self) -> dict[str, int]:
        return {
            currency: Money.of(amount, currency).minor for currency, amount in self.prices.items()
        }


class ProductChange(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    prices: dict[str, Decimal] | None = None

    def prices_minor(self) -> dict[str, int] | None:
        if self.prices is None:
            return None
        return {
            currency: Money.of(amount, currency).minor for currency, amount in self.prices.items()
        }


class ProductSeats(Strict):
    product_id: UUID
    seats: int = Field(ge=1, le=100_000)


class QuoteRequest(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    lines: list[ProductSeats] = Field(min_length=1, max_length=50)
    term: Term


class SubscriptionCreate(Strict):
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")
    lines: list[ProductSeats] = Field(min_length=1, max_length=50)
    start_date: date = Field(description="In the past (devices already installed) or future")
    term: Term
    po_reference: str | None = Field(default=None, max_length=100)
    separate_invoice: bool = False
    renewal_option: RenewalOption = RenewalOption.NONE


class SeatsChange(Versioned):
    product_id: UUID
    seats: int = Field(ge=1, le=100_000)


class PoReferenceChange(Versioned):
    po_reference: str | None = Field(max_length=100)


class RenewalOptionChange(Versioned):
    renewal_option: RenewalOption


class SubscriptionCancel(Versioned):
    pass


class Licence(Versioned):
    member_id: UUID
    product_id: UUID


class DefaultLicence(Versioned):
    subscription_id: UUID | None = None
    product_id: UUID | None = None


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "code": product.code,
        "name": product.name,
        "kind": str(product.kind),
        "prices": {c: money_out(Money(m, c)) for c, m in sorted(product.prices.items())},
        "version": product.version,
    }


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
    }


# ------------------------------------------------------------------- end of lease


class PreliminaryChoiceIn(Versioned):
    choice: Choice | None = Field(description="buyout, return, or null to withdraw")


class NoBody(Versioned):
    pass


class ReplacementIn(Strict):
    serial: str = Field(default="", max_length=100, description="May follow on delivery")
    model: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=50)
    company_cost: MoneyIn
    contract_type: ContractType
    lease_start: date | None = None
    renewal_date: date | None = None


class SerialIn(Versioned):
    serial: str = Field(min_length=1, max_length=100)


class SwapIn(Strict):
    serial: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=200)


class BuyoutPriceIn(Versioned):
    amount: MoneyIn | None = Field(description="null clears the manual price")


class BuyoutAvailabilityIn(Versioned):
    available: bool


class AutomaticValuationIn(Versioned):
    enabled: bool


class CurveIn(Versioned):
    points: list[tuple[int, Decimal]] = Field(
        min_length=2, max_length=200, description="[[age in months, percent of cost], …]"
    )
    floor: Decimal

    def to_curve(self) -> Curve:
        return Curve(points=tuple(self.points), floor=self.floor)


def options_out(options: DeviceOptions) -> dict[str, Any]:
    price = options.price
    return {
        "device_id": str(options.device_id),
        "status": str(options.status),
        "phase": str(options.phase),
        "renewal_date": options.renewal_date.isoformat() if options.renewal_date else None,
        "options_from": options.options_from.isoformat() if options.options_from else None,
        "preliminary_until": (
            options.preliminary_until.isoformat() if options.preliminary_until else None
        ),
        "final_from": options.final_from.isoformat() if options.final_from else None,
        "overdue": options.overdue,
        "preliminary_choice": options.preliminary_choice,
        "final_decision": options.final_decision,
        "price": ({**money_out(price.amount), "source": str(price.source)} if price else None),
        "checkout_url": options.checkout_url,
        "actions": options.actions,
        "release_unmet": options.release_unmet,
    }
