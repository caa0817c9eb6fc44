"""Subscriptions: quotes, creation, seats, PO references, renewals and licences (SPEC §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Unpack
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application.catalog import Catalog
from domain.application.companies import Companies
from domain.application.core import (
    SCHEDULER,
    ApplicationCore,
    BatchResult,
    CommandContext,
    Outcome,
    command,
)
from domain.application.provider_terms import Terms
from domain.model import bounds
from domain.model.actor import DEVICE_MANAGERS, Caller, Role
from domain.model.company import Company
from domain.model.errors import AlreadyExists, DomainError, InvalidValue, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.management_rights import SubscriptionChange as Change
from domain.model.management_rights import require_grantable, require_right
from domain.model.member import Member
from domain.model.money import Money
from domain.model.pricing import QuoteLine, RenewalOption, SaleTerms, Term, quote
from domain.model.product import Product, ProductKind
from domain.model.purchase_quote import (
    Confirmation,
    Offer,
    added_seats_amount,
    expiry,
    quote_id,
)
from domain.model.subscription import SeatLine, Subscription
from domain.model.time import local_date
from domain.model.unique_claim import UniqueClaim
from domain.ports import IdSource

# Subscription commands are open to the same roles as device commands (SPEC §1).
SUBSCRIPTION_MANAGERS = DEVICE_MANAGERS


@dataclass(frozen=True, slots=True)
class Quote:
    term: Term
    lines: list[QuoteLine]
    total: Money
    quote_id: str | None = None  # None: a quote not made at an instant (no confirmation)
    expires_at: datetime | None = None
    terms_version: str | None = None  # the provider's terms a confirmation accepts


@dataclass(frozen=True, eq=False)
class Subscriptions:
    core: ApplicationCore
    ids: IdSource
    companies: Companies
    catalog: Catalog
    terms: Terms

    def quote(
        self,
        caller: Caller,
        company_id: UUID,
        lines: list[tuple[UUID, int]],
        term: Term,
        at: datetime | None = None,
    ) -> Quote:
        """The estimated cost of one term, before buying; nothing is recorded. Made `at` an
        instant, it carries the quote id a confirmation names (ADR 0032)."""
        company = self.companies.get(caller, company_id)
        caller.require(*SUBSCRIPTION_MANAGERS)
        return self._offered(*self._create_offer(caller, company, lines, term), at)

    def quote_seats(
        self, caller: Caller, subscription_id: UUID, product_id: UUID, seats: int, at: datetime
    ) -> Quote:
        """What adding `seats` costs today (pro rata), with the quote id to confirm it."""
        subscription, company = self.caught_up(caller, subscription_id, at)
        product = self.catalog.product(caller, product_id)
        quoted, offer = self._seats_offer(subscription, company, product, seats, at)
        return self._offered(quoted, offer, at)

    @command("create_subscription")
    def create(
        self,
        ctx: CommandContext,
        *,
        company_id: UUID,
        lines: list[tuple[UUID, int]],
        quote_id: str | None = None,
        accept_terms: str | None = None,
        **terms: Unpack[SaleTerms],
    ) -> Outcome:
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(*SUBSCRIPTION_MANAGERS)
        require_right(ctx.caller.role, company.rights, Change.CREATE)
        require_grantable(
            ctx.caller.role, [p.kind for p, _ in self._products_of(ctx.caller, lines)]
        )
        confirmation = Confirmation.of(quote_id, accept_terms)
        if confirmation is not None:
            quoted, offer = self._create_offer(ctx.caller, company, lines, terms["term"])
            offered = self._offered(quoted, offer, ctx.cause.at)
            confirmation.check(offer, ctx.cause.at, fresh=offered)
        today = self._today(company, ctx.cause.at)
        bounds.backdated_start(terms["start_date"], today)
        seat_lines = [
            SeatLine(
                product_id=product.id,
                product_name=product.name,
                kind=product.kind,
                seats=seats,
                unit_price=product.price_in(company.currency),
            )
            for product, seats in self._products_of(ctx.caller, lines)
        ]
        require_grantable(ctx.caller.role, [line.kind for line in seat_lines])
        subscription = Subscription.create(
            subscription_id=self.ids.new_id(),
            company_id=company_id,
            lines=seat_lines,
            cause=ctx.cause,
            **terms,
        )
        # A backdated start is charged now: its first term, or each past month, once; a long
        # history first as one catch-up, so one request writes a bounded number of events.
        if confirmation is not None:
            self._confirmed(subscription, confirmation, "create", offered, ctx.cause)
        subscription.charge_past_terms(today, ctx.cause)
        subscription.advance(today, {}, ctx.cause)
        return self.core.commit(ctx, subscription, created=True)

    @command("add_seats")
    def add_seats(
        self,
        ctx: CommandContext,
        subscription_id: UUID,
        product_id: UUID,
        seats: int,
        quote_id: str | None = None,
        accept_terms: str | None = None,
    ) -> Outcome:
        subscription, company = self._managed(ctx, subscription_id, Change.ADD_SEATS)
        product = self.catalog.product(ctx.caller, product_id)
        require_grantable(ctx.caller.role, [product.kind])
        confirmation = Confirmation.of(quote_id, accept_terms)
        if confirmation is not None:
            quoted, offer = self._seats_offer(subscription, company, product, seats, ctx.cause.at)
            offered = self._offered(quoted, offer, ctx.cause.at)
            confirmation.check(offer, ctx.cause.at, fresh=offered)
        subscription.add_seats(
            product_id,
            seats,
            unit_price=product.price_in(company.currency),
            today=self._today(company, ctx.cause.at),
            cause=ctx.cause,
        )
        if confirmation is not None:
            self._confirmed(subscription, confirmation, "add_seats", offered, ctx.cause)
        return self.core.commit(ctx, subscription, created=False)

    @command("remove_seats")
    def remove_seats(
        self, ctx: CommandContext, subscription_id: UUID, product_id: UUID, seats: int
    ) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.REMOVE_SEATS)
        subscription.remove_seats(product_id, seats, cause=ctx.cause)
        return self.core.commit(ctx, subscription, created=False)

    @command("change_po_reference")
    def change_po_reference(
        self, ctx: CommandContext, subscription_id: UUID, po_reference: str | None
    ) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.CHANGE_PO_REFERENCE)
        subscription.change_po_reference(po_reference, cause=ctx.cause)
        return self.core.commit(ctx, subscription, created=False)

    @command("change_renewal_option")
    def change_renewal_option(
        self, ctx: CommandContext, subscription_id: UUID, option: RenewalOption
    ) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.CHANGE_RENEWAL)
        subscription.change_renewal_option(option, cause=ctx.cause)
        return self.core.commit(ctx, subscription, created=False)

    @command("cancel_subscription")
    def cancel(self, ctx: CommandContext, subscription_id: UUID) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.CANCEL)
        subscription.cancel_at_end(cause=ctx.cause)
        return self.core.commit(ctx, subscription, created=False)

    @command("assign_licence")
    def assign_licence(
        self, ctx: CommandContext, subscription_id: UUID, member_id: UUID, product_id: UUID
    ) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.LICENCES)
        member = self._member_of(subscription, member_id)
        changed = self.assign_member(subscription, member, product_id, ctx.cause)
        return self.core.commit(ctx, subscription, *changed, created=False)

    @command("unassign_licence")
    def unassign_licence(
        self, ctx: CommandContext, subscription_id: UUID, member_id: UUID, product_id: UUID
    ) -> Outcome:
        subscription, _ = self._managed(ctx, subscription_id, Change.LICENCES)
        member = self._member_of(subscription, member_id)
        released = self.unassign_member(subscription, member.id, product_id, ctx.cause)
        return self.core.commit(ctx, subscription, *released, created=False)

    @command("choose_default_licence")
    def choose_default_licence(
        self,
        ctx: CommandContext,
        company_id: UUID,
        subscription_id: UUID | None,
        product_id: UUID | None,
    ) -> Outcome:
        company = self.companies.get(ctx.caller, company_id)
        ctx.caller.require(Role.OPERATOR, Role.ADMIN)
        if subscription_id is not None and product_id is not None:
            subscription = self.get(ctx.caller, subscription_id)
            if subscription.company_id != company.id:
                raise NotFound("Subscription not found.")
            subscription.line(product_id)
        self.core.check_version(ctx, company)
        company.choose_default_licence(subscription_id, product_id, cause=ctx.cause)
        return self.core.commit(ctx, company, created=False)

    def advance(self, subscription_id: UUID, now: datetime) -> int:
        """The scheduler's job: charge what is due and renew at term end. Returns the number
        of new events (0 when nothing was due: running it again changes nothing)."""
        if not (changed := self._advanced(subscription_id, now, {})):
            return 0
        pending = len(changed[0].pending_events)
        self.core.save_and_announce(*changed)
        return pending

    def advance_many(self, subscription_ids: Sequence[UUID], now: datetime) -> BatchResult:
        """`advance` of several, in one transaction (on IntegrityError none is saved)."""
        result, changed = BatchResult(), []
        products: dict[UUID, Product] = {}  # read once per batch, as of its start
        for subscription_id in subscription_ids:
            try:
                aggregates = self._advanced(subscription_id, now, products)
            except DomainError as error:
                result.refused[subscription_id] = error
                continue
            result.events[subscription_id] = len(aggregates[0].pending_events) if aggregates else 0
            changed += aggregates
        self.core.save_and_announce(*changed)
        return result

    def _advanced(
        self, subscription_id: UUID, now: datetime, products: dict[UUID, Product]
    ) -> list[Aggregate]:
        """The subscription advanced and the plan claims it released, unsaved (or none)."""
        subscription = self.core.load(Subscription, subscription_id, "Subscription")
        company = self.core.load(Company, subscription.company_id, "Company")
        cause = Cause(actor=SCHEDULER, at=now, correlation_id=f"scheduler-{now.isoformat()}")
        prices = self._list_prices(subscription, products)
        plan_holders = self._plan_holders(subscription)
        subscription.advance(self._today(company, now), prices, cause)
        if not subscription.pending_events:
            return []
        return [subscription, *self._release_plans(subscription, plan_holders, cause)]

    def get(
        self, caller: Caller, subscription_id: UUID, version: int | None = None
    ) -> Subscription:
        subscription = self.core.load_owned(
            caller, Subscription, subscription_id, "Subscription", version
        )
        if caller.role == Role.EMPLOYEE:
            raise NotFound("Subscription not found.")
        return subscription

    def licences_for_new_member(
        self, company: Company, member: Member, cause: Cause
    ) -> list[Aggregate]:
        """The company's default licence, when it has one with a free seat (the members'
        registration saves it with the new member)."""
        if company.default_subscription_id is None or company.default_product_id is None:
            return []
        try:
            subscription = self.core.load(Subscription, company.default_subscription_id, "")
            if subscription.is_ended or subscription.free_seats(company.default_product_id) < 1:
                return []
            return [
                subscription,
                *self.assign_member(subscription, member, company.default_product_id, cause),
            ]
        except (NotFound, RuleViolation):
            return []  # no licence by default is not a reason to refuse the member

    # ------------------------------------------------------------------ helpers

    def assign_member(
        self, subscription: Subscription, member: Member, product_id: UUID, cause: Cause
    ) -> list[Aggregate]:
        subscription.assign_licence(member.id, product_id, cause=cause)
        if subscription.line(product_id).kind != ProductKind.PLAN:
            return []
        try:  # one plan per member, across every subscription of the company
            claim = self.core.claim(
                "member-plan",
                subscription.company_id,
                str(member.id),
                subscription.id,
                cause,
                read_first=True,  # answered as a rule; and plans are often released
            )
        except AlreadyExists:
            raise RuleViolation(
                "The member already holds a plan licence; unassign it first."
            ) from None
        return [claim]

    def unassign_member(
        self, subscription: Subscription, member_id: UUID, product_id: UUID, cause: Cause
    ) -> list[UniqueClaim]:
        """Unassign, releasing the member's plan claim with a plan; returns the claim."""
        subscription.unassign_licence(member_id, product_id, cause=cause)
        if subscription.line(product_id).kind != ProductKind.PLAN:
            return []
        claim = self.core.held_claim("member-plan", subscription.company_id, str(member_id))
        if claim is None:
            return []
        claim.release(cause=cause)
        return [claim]

    def _plan_holders(self, subscription: Subscription) -> list[str]:
        return [
            member_id
            for product_id, members in subscription.holders.items()
            if subscription.line(UUID(product_id)).kind == ProductKind.PLAN
            for member_id in members
        ]

    def _release_plans(
        self, subscription: Subscription, holders: list[str], cause: Cause
    ) -> list[Aggregate]:
        """When a subscription ends, its members are free to hold another plan."""
        if not subscription.is_ended:
            return []
        released: list[Aggregate] = []
        for member_id in holders:
            claim = self.core.held_claim("member-plan", subscription.company_id, member_id)
            if claim is not None and claim.owner_id == subscription.id:
                claim.release(cause=cause)
                released.append(claim)
        return released

    def _managed(
        self, ctx: CommandContext, subscription_id: UUID, change: Change
    ) -> tuple[Subscription, Company]:
        """The subscription, caught up to today, once the caller may make `change` to it."""
        subscription, company = self.caught_up(
            ctx.caller, subscription_id, ctx.cause.at, ctx.cause.correlation_id, ctx
        )
        require_right(ctx.caller.role, company.rights, change, subscription.term)
        return subscription, company

    def caught_up(
        self,
        caller: Caller,
        subscription_id: UUID,
        at: datetime,
        correlation_id: str = "quote",
        ctx: CommandContext | None = None,
    ) -> tuple[Subscription, Company]:
        subscription = self.get(caller, subscription_id)
        caller.require(*SUBSCRIPTION_MANAGERS)
        if ctx is not None:
            self.core.check_version(ctx, subscription)
        company = self.core.load(Company, subscription.company_id, "Company")
        # Time is lazy: bring the subscription up to today first (what the scheduler would
        # have done), so a command never acts on a term that has already ended.
        catch_up = Cause(actor=SCHEDULER, at=at, correlation_id=correlation_id)
        subscription.advance(
            self._today(company, at), self._list_prices(subscription, {}), catch_up
        )
        return subscription, company

    def _seats_offer(
        self,
        subscription: Subscription,
        company: Company,
        product: Product,
        seats: int,
        at: datetime,
    ) -> tuple[Quote, Offer]:
        line = subscription.line(product.id)
        unit_price = product.price_in(company.currency)
        amount = added_seats_amount(subscription, line, seats, unit_price, self._today(company, at))
        quoted = Quote(
            term=subscription.term,
            lines=[QuoteLine(line.product_name, seats, unit_price, amount)],
            total=amount,
        )
        offer = Offer(
            "add_seats",
            company.id,
            str(subscription.id),
            [(product.id, seats, unit_price, amount)],
            self.terms.current_version(),
        )
        return quoted, offer

    @staticmethod
    def _offered(quoted: Quote, offer: Offer, at: datetime | None) -> Quote:
        if at is None:
            return quoted
        expires_at = expiry(at)
        return replace(
            quoted,
            quote_id=quote_id(offer, expires_at),
            expires_at=expires_at,
            terms_version=offer.terms_version,
        )

    def _create_offer(
        self, caller: Caller, company: Company, lines: list[tuple[UUID, int]], term: Term
    ) -> tuple[Quote, Offer]:
        products = self._products_of(caller, lines)
        priced = [(p.name, seats, p.price_in(company.currency)) for p, seats in products]
        quoted, total = quote(priced, term)
        offer = Offer(
            "create",
            company.id,
            str(term),
            [
                (p.id, q.seats, q.unit_price, q.amount)
                for (p, _), q in zip(products, quoted, strict=True)
            ],
            self.terms.current_version(),
        )
        return Quote(term=term, lines=quoted, total=total), offer

    @staticmethod
    def _confirmed(
        subscription: Subscription,
        confirmation: Confirmation,
        purchase: str,
        offered: Quote,
        cause: Cause,
    ) -> None:
        subscription.trigger_event(
            Subscription.PurchaseConfirmed,
            quote_id=confirmation.quote_id,
            purchase=purchase,
            terms_version=offered.terms_version,
            total=offered.total,
            **cause.stamp(subscription.company_id),
        )

    def _member_of(self, subscription: Subscription, member_id: UUID) -> Member:
        member = self.core.load(Member, member_id, "Member")
        if member.company_id != subscription.company_id:
            raise NotFound("Member not found.")
        return member

    def _products_of(
        self, caller: Caller, lines: list[tuple[UUID, int]]
    ) -> list[tuple[Product, int]]:
        if not lines:
            raise InvalidValue("Name at least one product and its seats.")
        if len(lines) > bounds.MAX_LINES:
            raise InvalidValue(f"Name at most {bounds.MAX_LINES} products.")
        return [(self.catalog.product(caller, product_id), seats) for product_id, seats in lines]

    def _list_prices(self, sub: Subscription, products: dict[UUID, Product]) -> dict[UUID, Money]:
        """The catalog prices in force now for the subscription's products and currency;
        `products` keeps the products a batch has loaded (one load each per batch)."""
        return {
            product.id: product.price_in(sub.currency)
            for product in self._line_products(sub, products)
            if sub.currency in product.prices
        }

    def _line_products(
        self, subscription: Subscription, products: dict[UUID, Product]
    ) -> list[Product]:
        for line in subscription.lines.values():
            if line.product_id not in products:
                products[line.product_id] = self.core.load(Product, line.product_id, "Product")
        return [products[line.product_id] for line in subscription.lines.values()]

    @staticmethod
    def _today(company: Company, at: datetime) -> date:
        return local_date(at, company.time_zone)
