"""Every stored fact survives the real mapper (JSON transcoder + our transcodings) unchanged.

Event classes are discovered from the model, so a new event without a round-trip sample here
fails the suite. Snapshots of every aggregate round-trip too.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate, Snapshot
from hypothesis import given
from hypothesis import strategies as st

import domain.model
from domain.application import LessorApplication
from domain.model.activation_key import ActivationKey, KeyBatch
from domain.model.actor import Actor, Role
from domain.model.api_token import ApiToken
from domain.model.bounds import EARLIEST_DATE
from domain.model.company import Company
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.end_of_lease import Choice, windows
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.idempotency import IdempotencyRecord
from domain.model.ids import natural_id
from domain.model.invoice import Invoice, InvoiceBook, InvoiceKind, InvoiceLine, InvoiceSequence
from domain.model.management_rights import ManagementRight
from domain.model.member import Member
from domain.model.money import CURRENCY_EXPONENTS, Money
from domain.model.payment_record import PaymentEventRecord
from domain.model.price_import import Change, PriceImportRecord, PriceRow, RowOutcome
from domain.model.pricing import RenewalOption, Term
from domain.model.product import Product, ProductKind
from domain.model.provider_terms import PROVIDER_TERMS_ID, ProviderTerms
from domain.model.rental_account import RentalAccount, account_id_for
from domain.model.subscription import SeatLine, Subscription
from domain.model.text import REFUSED_CATEGORIES
from domain.model.unique_claim import UniqueClaim
from domain.model.usage import checked_change
from domain.model.usage_ledger import UsageLedger, ledger_id
from domain.model.usage_price_list import PRICE_LIST_ID, UsagePriceList
from domain.model.valuation import Curve
from tests.apps import in_memory_app

ACME = UUID("00000000-0000-4000-8000-00000000acde")
DEVICE = UUID("00000000-0000-4000-8000-0000000de71c")
OLD_DEVICE = UUID("00000000-0000-4000-8000-0000000001d0")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
BOB = UUID(int=7)
PLAN = UUID("00000000-0000-4000-8000-0000000091a0")
BACKUP = UUID("00000000-0000-4000-8000-00000000bac0")
SUBSCRIPTION = UUID("00000000-0000-4000-8000-000000005b01")
OPERATOR = Actor("op-1", Role.OPERATOR)
ADMIN = Actor("tok-acme-admin", Role.ADMIN)
T0 = datetime(2021, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
T1 = datetime(2021, 3, 3, 17, 5, tzinfo=UTC)


def cause(actor: Actor = ADMIN, at: datetime = T1, correlation_id: str = "req-7") -> Cause:
    return Cause(actor=actor, at=at, correlation_id=correlation_id)


# --- discovery ------------------------------------------------------------------------------


def model_aggregates() -> list[type[Aggregate]]:
    found = []
    for info in pkgutil.iter_modules(domain.model.__path__, prefix="domain.model."):
        module = importlib.import_module(info.name)
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Aggregate) and obj.__module__ == info.name
        ]
    return found


def model_event_classes() -> set[type]:
    """Every event class nested in a model aggregate.

    The library gives each aggregate its own copies of the generic `Event` and `Created`
    bases; those are skipped unless they carry our stamp (then they are real events).
    """
    library_bases = {name for name, obj in vars(Aggregate).items() if isinstance(obj, type)}
    found = set()
    for aggregate in model_aggregates():
        for name, obj in vars(aggregate).items():
            if not (isinstance(obj, type) and issubclass(obj, CanMutateAggregate)):
                continue
            if name in library_bases and not issubclass(obj, LessorEvent | LessorCreated):
                continue
            found.add(obj)
    return found


# --- samples: each made the way the application makes it -----------------------------------


def samples() -> Iterator[Any]:
    company = Company.register(
        company_id=ACME,
        name="Åcme Ölkonsult AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25.50"),
        settings={"device_buyout": True},
        cause=cause(OPERATOR, T0, "req-1"),
    )
    company.change(
        name="Acme AB",
        vat_rate=Decimal("12.345"),
        time_zone="Asia/Kolkata",
        settings={"auto_mark_received": True, "buyout_receipts": False},
        cause=cause(),
    )
    company.choose_default_licence(SUBSCRIPTION, PLAN, cause=cause())
    company.choose_default_licence(None, None, cause=cause())
    company.choose_default_licence(SUBSCRIPTION, PLAN, cause=cause())
    company.set_automatic_valuation("Phone", True, cause=cause())
    company.save_custom_curve("headset", HEADSET_CURVE, cause=cause())
    company.set_automatic_valuation("headset", True, cause=cause())
    company.set_automatic_valuation("phone", False, cause=cause())
    company.save_custom_curve("laptop", HEADSET_CURVE, cause=cause())
    company.clear_custom_curve("laptop", cause=cause())
    company.send_release_digest(
        "2021-W09",
        [{"device_id": str(BOUGHT), "serial": "SN-B0", "model": "iPhone 12", "buyer": "Ann"}],
        ["bob@acme.se"],
        cause=cause(SCHEDULER, correlation_id="digest-2021-W09"),
    )
    company.grant_management_right(ManagementRight.MONTHLY_ONLY, cause=cause(OPERATOR))
    yield from company.collect_events()

    member = Member.register(
        member_id=ANN,
        company_id=ACME,
        email="Ann@Acme.se",
        name="Ann Ångström",
        role=Role.EMPLOYEE,
        last_employment_day=date(2026, 6, 30),
        cause=cause(),
    )
    member.set_last_employment_day(None, cause=cause())
    member.set_last_employment_day(date(2027, 2, 28), cause=cause())
    yield from member.collect_events()
    yield from Member.register(
        member_id=BOB,
        company_id=ACME,
        email="bob@acme.se",
        name="Bob",
        role=Role.ADMIN,
        last_employment_day=None,
        cause=cause(),
    ).collect_events()

    device = Device.register(
        device_id=DEVICE,
        company_id=ACME,
        serial="C02XL0GHJGH5",
        model="MacBook Pro 14",
        category="Laptop",
        company_cost=Money(2_499_050, "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2026, 1, 1),
        renewal_date=date(2029, 1, 1),
        replacement_for=OLD_DEVICE,
        cause=cause(),
    )
    device.assign(ANN, cause=cause())
    device.unassign(cause=cause())
    yield from device.collect_events()
    for currency, contract_type in (("JPY", ContractType.PURCHASED), ("BHD", ContractType.RENTAL)):
        yield from Device.register(
            device_id=UUID(int=CURRENCY_EXPONENTS[currency] + 100),
            company_id=ACME,
            serial=f"SN-{currency}",
            model="ThinkPad X1",
            category="laptop",
            company_cost=Money(123_457, currency),
            contract_type=contract_type,
            lease_start=None,
            renewal_date=None,
            cause=cause(),
        ).collect_events()

    token = ApiToken.issue(
        token_hash="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        company_id=ACME,
        role=Role.EMPLOYEE,
        member_id=ANN,
        label="Ann's laptop",
        cause=cause(OPERATOR),
    )
    token.revoke(cause=cause(OPERATOR))
    yield from token.collect_events()
    yield from ApiToken.issue(
        token_hash="operator-hash",
        company_id=None,
        role=Role.OPERATOR,
        member_id=None,
        label="ops",
        cause=cause(OPERATOR),
    ).collect_events()

    yield from IdempotencyRecord.record(
        scope="tok-acme-admin",
        key="5c3a-retry-key",
        request_hash="sha256:abc",
        operation="register_device",
        subject_id=DEVICE,
        subject_version=3,
        created=True,
        company_id=ACME,
        cause=cause(),
    ).collect_events()
    yield from UniqueClaim.claim(
        kind="device-serial", company_id=ACME, value="C02XL0GHJGH5", owner_id=DEVICE, cause=cause()
    ).collect_events()
    plan_claim = UniqueClaim.claim(
        kind="member-plan", company_id=ACME, value=str(ANN), owner_id=SUBSCRIPTION, cause=cause()
    )
    plan_claim.release(cause=cause())
    plan_claim.reclaim(UUID(int=8), cause=cause())
    yield from plan_claim.collect_events()

    product = Product.add(
        product_id=PLAN,
        code="WP",
        name="Workplace Plan",
        kind=ProductKind.PLAN,
        prices={"SEK": 4900, "EUR": 450, "JPY": 700},
        cause=cause(OPERATOR),
    )
    product.change(name="Workplace Plan – Ångström", prices={"SEK": 5500}, cause=cause(OPERATOR))
    yield from product.collect_events()

    yield from a_subscription_through_its_life().collect_events()
    yield from a_subscription_caught_up().collect_events()
    yield from a_confirmed_purchase().collect_events()
    terms = ProviderTerms.publish_first("2026-11", "Första villkoren", cause=cause(OPERATOR))
    terms.publish("2026-12 rev. B", "", cause=cause(OPERATOR))
    yield from terms.collect_events()

    yield from end_of_lease_samples()


def a_subscription_through_its_life() -> Subscription:
    """Every kind of subscription event, made the way the application makes them."""
    subscription = Subscription.create(
        subscription_id=SUBSCRIPTION,
        company_id=ACME,
        lines=[
            SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, 5, Money(4900, "SEK")),
            SeatLine(BACKUP, "Backup", ProductKind.OPTION, 2, Money(1500, "SEK")),
        ],
        start_date=date(2027, 3, 1),
        term=Term.THREE_YEARS,
        po_reference="PO-1",
        separate_invoice=True,
        renewal_option=RenewalOption.ONCE,
        cause=cause(),
    )
    subscription.add_seats(  # before the first charge: no charge line of its own
        BACKUP, 1, unit_price=Money(1500, "SEK"), today=date(2027, 2, 1), cause=cause()
    )
    subscription.advance(date(2027, 3, 1), {}, cause(OPERATOR))
    subscription.add_seats(  # mid-term: prorated 500/1096 days
        PLAN, 4, unit_price=Money(4900, "SEK"), today=date(2028, 10, 17), cause=cause()
    )
    subscription.change_po_reference("PO-2 Ölandsgatan", cause=cause())
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.assign_licence(BOB, BACKUP, cause=cause())
    subscription.unassign_licence(BOB, BACKUP, cause=cause())
    subscription.change_renewal_option(RenewalOption.TO_MONTHLY, cause=cause())
    subscription.advance(date(2030, 3, 1), {PLAN: Money(5500, "SEK")}, cause(OPERATOR))
    subscription.remove_seats(BACKUP, 1, cause=cause())
    subscription.advance(date(2030, 4, 1), {}, cause(OPERATOR))  # renewed monthly, removed
    subscription.cancel_at_end(cause=cause())
    subscription.change_po_reference(None, cause=cause())
    subscription.advance(date(2030, 5, 1), {}, cause(OPERATOR))  # ended
    return subscription


def a_subscription_caught_up() -> Subscription:
    """Sold on 2026-03-02, started five years before: a prepaid year, then monthly, charged
    as one catch-up (ADR 0014), then renewed into the month in progress and charged."""
    subscription = Subscription.create(
        subscription_id=UUID(int=0x5B03),
        company_id=ACME,
        lines=[SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, 3, Money(4900, "SEK"))],
        start_date=date(2021, 3, 2),
        term=Term.ONE_YEAR,
        po_reference="PO-C",
        separate_invoice=False,
        renewal_option=RenewalOption.TO_MONTHLY,
        cause=cause(),
    )
    subscription.charge_past_terms(date(2026, 3, 2), cause())
    subscription.advance(date(2026, 3, 2), {}, cause())
    return subscription


def a_confirmed_purchase() -> Subscription:
    """Bought from a quote, accepting the provider's terms (ADR 0032)."""
    subscription = Subscription.create(
        subscription_id=UUID(int=0x5B04),
        company_id=ACME,
        lines=[SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, 2, Money(4900, "SEK"))],
        start_date=date(2026, 3, 2),
        term=Term.ONE_YEAR,
        po_reference=None,
        separate_invoice=False,
        renewal_option=RenewalOption.NONE,
        cause=cause(),
    )
    subscription.trigger_event(
        Subscription.PurchaseConfirmed,
        quote_id="20260302T093000Z-" + "0" * 32,
        purchase="create",
        terms_version="2026-12 rev. B",
        total=Money(117600, "SEK"),
        **cause().stamp(ACME),
    )
    return subscription


def a_subscription_mid_term(*, recorded: bool = True) -> Subscription:
    """Monthly, with a licence held, a removal pending and a cancellation scheduled."""
    subscription = Subscription.create(
        subscription_id=UUID(int=0x5B02),
        company_id=ACME,
        lines=[
            SeatLine(PLAN, "Workplace Plan", ProductKind.PLAN, 3, Money(4900, "SEK")),
            SeatLine(BACKUP, "Backup", ProductKind.OPTION, 2, Money(1500, "SEK")),
        ],
        start_date=date(2026, 1, 15),
        term=Term.MONTHLY,
        po_reference=None,
        separate_invoice=False,
        renewal_option=RenewalOption.EVERY_TIME,
        cause=cause(),
    )
    subscription.advance(date(2026, 3, 2), {}, cause(OPERATOR))
    subscription.assign_licence(ANN, PLAN, cause=cause())
    subscription.remove_seats(BACKUP, 1, cause=cause())
    subscription.cancel_at_end(cause=cause())
    if recorded:
        subscription.collect_events()
    return subscription


# --- end of lease: every device event, made the way the application makes it ----------------

BOUGHT = UUID(int=0xB0)
MID_CHECKOUT = UUID(int=0xC0)
REPLACEMENT = UUID(int=0xE1)
RETURNED = UUID(int=0xE7)
RENTAL = UUID(int=0xA1)
EMPLOYEE = Actor("tok-acme-ann", Role.EMPLOYEE)
SCHEDULER = Actor("scheduler", Role.SYSTEM)
STRIPE = Actor("stripe", Role.SYSTEM)
RENEWAL = date(2021, 5, 31)
WINDOWS = windows(RENEWAL, "Europe/Stockholm")  # T1 lies within the preliminary window
FROZEN = Money(342_050, "SEK")
HEADSET_CURVE = Curve(points=((0, Decimal("80")), (24, Decimal("12.5"))), floor=Decimal("5"))


def a_leased_phone(device_id: UUID, *, contract_type: ContractType = ContractType.LEASED) -> Device:
    leased = contract_type == ContractType.LEASED
    device = Device.register(
        device_id=device_id,
        company_id=ACME,
        serial=f"SN-{device_id.int:X}",
        model="iPhone 12",
        category="phone",
        company_cost=Money(1_200_000, "SEK"),
        contract_type=contract_type,
        lease_start=date(2018, 5, 31) if leased else None,
        renewal_date=RENEWAL if leased else None,
        cause=cause(),
    )
    device.assign(ANN, cause=cause())
    if leased:
        device.open_end_of_lease(WINDOWS, cause=cause(SCHEDULER, WINDOWS.options_from, "s-1"))
    return device


def start_buyout(device: Device, session_id: str) -> None:
    device.start_buyout(
        session_id=session_id,
        url=f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwn",
        amount=FROZEN,
        price_source="standard_curve",
        expires_at=datetime(2021, 5, 2, 9, 30, 15, 250000, tzinfo=UTC),
        cause=cause(EMPLOYEE),
    )


def a_device_mid_checkout() -> Device:
    device = a_leased_phone(MID_CHECKOUT)
    device.choose_preliminary(Choice.BUYOUT, WINDOWS, cause=cause(EMPLOYEE))
    device.request_final_decision(
        FROZEN, "standard_curve", WINDOWS, cause=cause(SCHEDULER, WINDOWS.final_from, "s-2")
    )
    start_buyout(device, "cs_test_a1")
    return device


def a_bought_device() -> Device:
    """Manual price set and cleared, plans changed, overdue, a failed checkout, two rejected
    payments, then paid, with its replacement linked."""
    device = a_leased_phone(BOUGHT)
    device.set_buyout_price(Money(250_000, "SEK"), source="csv", cause=cause())
    device.set_buyout_price(None, source="api", cause=cause())
    device.set_buyout_price(FROZEN, source="api", cause=cause())
    device.set_buyout_availability(False, cause=cause())
    device.set_buyout_availability(True, cause=cause())
    device.choose_preliminary(Choice.RETURN, WINDOWS, cause=cause(EMPLOYEE))
    device.choose_preliminary(None, WINDOWS, cause=cause(EMPLOYEE))
    device.request_final_decision(None, None, WINDOWS, cause=cause(SCHEDULER, WINDOWS.final_from))
    device.mark_overdue(RENEWAL, cause=cause(SCHEDULER, WINDOWS.overdue_from))
    start_buyout(device, "cs_test_b1")
    device.checkout_did_not_complete("cs_test_b1", "expired", cause=cause(STRIPE))
    start_buyout(device, "cs_test_b2")
    device.record_payment("cs_test_b2", "pi_eur", Money(342_050, "EUR"), cause=cause(STRIPE))
    device.record_payment("cs_test_b1", None, None, cause=cause(STRIPE))
    device.record_payment("cs_test_b2", "pi_3Ab", FROZEN, cause=cause(STRIPE))
    device.link_replacement(REPLACEMENT, cause=cause())
    return device


def end_of_lease_samples() -> Iterator[Any]:
    bought = a_bought_device()
    bought.release(replacement=None, offboarding_release_from=T0, cause=cause())
    yield from bought.collect_events()
    yield from a_device_mid_checkout().collect_events()

    replacement = Device.register(
        device_id=REPLACEMENT,
        company_id=ACME,
        serial="",  # ordered, not yet delivered
        model="iPhone 17",
        category="phone",
        company_cost=Money(1_300_000, "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2021, 6, 1),
        renewal_date=date(2024, 6, 1),
        replacement_for=BOUGHT,
        cause=cause(),
    )
    replacement.assign(ANN, cause=cause())
    replacement.report_delivered(auto_mark_received=False, cause=cause())
    replacement.mark_received(cause=cause(EMPLOYEE))
    replacement.record_serial("F17-ÅÄÖ-0042", cause=cause())
    yield from replacement.collect_events()

    returned = a_leased_phone(RETURNED)
    returned.request_final_decision(FROZEN, "manual", WINDOWS, cause=cause(SCHEDULER))
    returned.choose_return(cause=cause(EMPLOYEE))
    returned.link_replacement(REPLACEMENT, cause=cause())
    returned.confirm_return(replacement=replacement, cause=cause())
    returned.remove(cause=cause())
    yield from returned.collect_events()

    swapped = a_leased_phone(RENTAL, contract_type=ContractType.RENTAL)
    swapped.swap_rental(UUID(int=0xA2), cause=cause())
    yield from swapped.collect_events()
    deactivated = a_leased_phone(UUID(int=0xA3), contract_type=ContractType.RENTAL)
    deactivated.deactivate_rental(cause=cause())
    yield from deactivated.collect_events()

    for event_id, kind, result, company_id in (
        ("evt_1PaId", "paid", "applied", ACME),
        ("evt_2Unknown", "expired", "ignored", None),
    ):
        yield from PaymentEventRecord.record(
            record_id=natural_id("payment-event", event_id),
            provider_event_id=event_id,
            kind=kind,
            result=result,
            company_id=company_id,
            cause=cause(STRIPE, correlation_id=f"stripe-{event_id}"),
        ).collect_events()


def price_import_samples() -> Iterator[Any]:
    """An applied price file: one row that set a price and availability, one that changed
    nothing (the serial keeps its comma and non-ASCII letter)."""
    yield from PriceImportRecord.record(
        company_id=ACME,
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        outcomes=[
            RowOutcome(
                PriceRow(
                    2, "C02XL0GHJGH5", DEVICE, True, Money(342000, "SEK"), False, date(2021, 3, 1)
                ),
                (Change.PRICE_SET, Change.AVAILABILITY_SET),
            ),
            RowOutcome(
                PriceRow(4, "SN,42 Ö", UUID(int=9), True, None, None, date(2021, 2, 28)), ()
            ),
        ],
        cause=cause(),
    ).collect_events()


def usage_samples() -> Iterator[Any]:
    """A usage ledger with a closed and an open interval (an entity id with a slash and a
    non-ASCII letter), and the usage price list with a price and a new description."""
    ledger = UsageLedger.open(company_id=ACME, cause=cause())
    ledger.record(
        [
            checked_change(
                change_id="c-1",
                kind="superuser",
                entity_id="anna/Å",
                action="activated",
                at=datetime(2026, 10, 3, 7, 0, tzinfo=UTC),
            ),
            checked_change(
                change_id="c-2",
                kind="superuser",
                entity_id="anna/Å",
                action="deactivated",
                at=datetime(2026, 11, 1, 0, 10, 0, 250, tzinfo=UTC),
            ),
            checked_change(
                change_id="c-3",
                kind="smart",
                entity_id="module-1",
                action="activated",
                at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
            ),
        ],
        time_zone="Europe/Stockholm",
        issued_months=(),
        cause=cause(),
    )
    yield from ledger.collect_events()
    prices = UsagePriceList.open(cause=cause(OPERATOR))
    prices.set_price("smart", prices={"SEK": 19900, "EUR": 1800}, description=None, cause=cause())
    prices.set_price("smart", prices={}, description="Reporting – Smart (EU)", cause=cause())
    yield from prices.collect_events()


def rental_credit_samples() -> Iterator[Any]:
    """A batch sold to Acme, a key redeemed and one voided; an account through activation,
    a charged day, suspension, resume, a swap and a deactivation."""
    batch = KeyBatch.issue(
        batch_id=UUID(int=0xBA7C4),
        credits=100,
        key_ids=[UUID(int=0xC1), UUID(int=0xC2)],
        company_id=ACME,
        price=Money(120000, "SEK"),
        label="Spring ÅÄÖ",
        cause=cause(OPERATOR),
    )
    batch.void([UUID(int=0xC2)], cause=cause(OPERATOR))
    yield from batch.collect_events()
    key = ActivationKey.issue(
        hashed="ab" * 32, batch_id=UUID(int=0xBA7C4), credits=100, company_id=ACME, cause=cause()
    )
    key.redeem(company_id=ACME, account_id=account_id_for(ACME), cause=cause())
    yield from key.collect_events()
    voided = ActivationKey.issue(
        hashed="cd" * 32, batch_id=UUID(int=0xBA7C4), credits=100, company_id=None, cause=cause()
    )
    voided.void(cause=cause(OPERATOR))
    yield from voided.collect_events()

    account = RentalAccount.open(company_id=ACME, cause=cause())
    account.redeem(key.id, 10, date(2021, 3, 3), cause=cause())
    account.activate(DEVICE, 7, date(2021, 3, 3), cause=cause())
    account.catch_up(date(2021, 3, 4), cause=cause(SCHEDULER))  # suspends: 3 < 7
    account.redeem(UUID(int=0xC3), 20, date(2021, 3, 5), cause=cause())  # resumes, charges
    account.swap(DEVICE, UUID(int=0xDE7A4), date(2021, 3, 5), cause=cause())
    account.deactivate(UUID(int=0xDE7A4), date(2021, 3, 5), cause=cause())
    yield from account.collect_events()


INVOICE = natural_id("invoice", ACME, 1, "SEK", "-")
INVOICE_LINE = InvoiceLine(
    source="charge:12:0",
    kind="seats",
    description="Workplace Plan – 4 added seat(s), 500/1096 days of 2027-03-01–2030-03-01",
    quantity=4,
    unit_price=Money(4900, "SEK"),
    amount=Money(289708, "SEK"),
    months=36,
    discount=Decimal("0.10"),
    days=500,
    days_in_term=1096,
    period_start=date(2028, 10, 17),
    period_end=date(2030, 3, 1),
    po_reference="PO-7 Å",
    subscription_id=SUBSCRIPTION,
)


def invoice_samples() -> Iterator[Any]:
    """A company's book with a run (one usage line), an issue and an adjustment; the year's
    sequence with one number taken; the issued invoice and its credit note."""
    book = InvoiceBook.open(ACME, cause())
    usage = dataclasses.replace(
        INVOICE_LINE,
        source="usage:2028-10:1",
        kind="usage",
        days=None,
        days_in_term=None,
        po_reference=None,
        subscription_id=None,
        period_start=None,
        period_end=None,
    )
    book.record_run("2028-11", Decimal("25"), "2028-10", [usage], cause(SCHEDULER))
    sequence = InvoiceSequence.start(2028, cause())
    number = sequence.take(INVOICE, cause())
    invoice = Invoice.issue(
        invoice_id=INVOICE,
        company_id=ACME,
        kind=InvoiceKind.INVOICE,
        number=number,
        issue_date=date(2028, 11, 2),
        month="2028-11",
        currency="SEK",
        subscription_id=None,
        lines=[INVOICE_LINE, usage],
        vat_rate=Decimal("25"),
        seller={"name": "Lessor Provider AB", "vat_id": "SE556677889901", "iban": ""},
        buyer={"name": "Acme AB"},
        cause=cause(),
    )
    book.record_issue(INVOICE, number, cause())
    negative = dataclasses.replace(
        INVOICE_LINE,
        source="adjustment:1",
        kind="adjustment",
        amount=Money(-100, "SEK"),
        reference=f"{number}#1",
    )
    book.record_adjustment(negative, cause())
    book.set_billing_details("SE556000000001", "Storgatan 1, 111 22 Stockholm", "SE", cause())
    yield from book.collect_events()
    yield from sequence.collect_events()
    yield from invoice.collect_events()


SAMPLES = [
    *samples(),
    *price_import_samples(),
    *usage_samples(),
    *rental_credit_samples(),
    *invoice_samples(),
]


def sample_id(event: Any) -> str:
    return f"{type(event).__qualname__}-v{event.originator_version}-{event.originator_id}"


@pytest.fixture(scope="module")
def app() -> LessorApplication:
    return in_memory_app()


def round_trip(app: LessorApplication, event: Any) -> Any:
    return app.mapper.to_domain_event(app.mapper.to_stored_event(event))


def assert_same_value(restored: Any, original: Any, where: str) -> None:
    """Equal, and of the same type — except enums, which JSON keeps as their plain values."""
    if isinstance(original, Enum):
        assert restored == original.value, where
        return
    assert restored == original, where
    assert type(restored) is type(original), f"{where}: {type(restored)} != {type(original)}"
    if isinstance(original, dict):
        for key, value in original.items():
            assert_same_value(restored[key], value, f"{where}[{key!r}]")
    if isinstance(original, Actor):
        assert type(restored.role) is Role, where


# --- events ---------------------------------------------------------------------------------


def test_the_model_has_the_event_classes_we_expect_to_find() -> None:
    """Guards the discovery itself: if it found nothing, the completeness check would be void."""
    assert {
        Company.Registered,
        Device.Assigned,
        ApiToken.Revoked,
        IdempotencyRecord.Recorded,
        UniqueClaim.Claimed,
    } <= model_event_classes()
    assert Device.Event not in model_event_classes()
    assert Device.Created not in model_event_classes()


def test_every_event_class_in_the_model_has_a_round_trip_sample() -> None:
    sampled = {type(event) for event in SAMPLES}

    missing = sorted(cls.__qualname__ for cls in model_event_classes() - sampled)

    assert missing == [], f"add a round-trip sample for: {', '.join(missing)}"


def test_every_event_class_carries_actor_business_time_correlation_and_company() -> None:
    for cls in model_event_classes():
        assert issubclass(cls, LessorEvent | LessorCreated), cls.__qualname__
        fields = {f.name for f in dataclasses.fields(cls)}
        assert {"actor", "at", "correlation_id", "company_id"} <= fields, cls.__qualname__


@pytest.mark.parametrize("event", SAMPLES, ids=sample_id)
def test_an_event_survives_the_mapper_with_every_field_intact(
    app: LessorApplication, event: Any
) -> None:
    stored = app.mapper.to_stored_event(event)
    restored = app.mapper.to_domain_event(stored)

    assert stored.topic == f"{type(event).__module__}:{type(event).__qualname__}"
    assert type(restored) is type(event)
    assert set(vars(restored)) == set(vars(event))
    for name, value in vars(event).items():
        assert_same_value(getattr(restored, name), value, f"{type(event).__qualname__}.{name}")
    assert restored == event


@pytest.mark.parametrize("event", SAMPLES, ids=sample_id)
def test_a_stored_event_keeps_its_stamp(app: LessorApplication, event: Any) -> None:
    restored = round_trip(app, event)

    assert type(restored.actor) is Actor
    assert restored.actor == event.actor
    assert restored.at == event.at
    assert restored.at.utcoffset() is not None
    assert restored.at != restored.timestamp  # business time, not the recording time
    assert restored.correlation_id == event.correlation_id
    assert restored.company_id == event.company_id


instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
plain_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(str.strip)
# A serial and a model enter through clean_text, which refuses control and invisible characters.
serial_text = st.text(
    st.characters(blacklist_categories=sorted(REFUSED_CATEGORIES)), min_size=1
).filter(str.strip)


@given(
    minor=st.integers(min_value=0, max_value=10**15),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
    serial=serial_text,
    model=serial_text,
    lease_start=st.dates(min_value=EARLIEST_DATE, max_value=date(2100, 1, 1)),  # ADR 0014
    at=instants,
    actor=st.builds(Actor, id=st.text(), role=st.sampled_from(Role)),
)
def test_any_device_registration_survives_the_mapper(
    minor: int,
    currency: str,
    serial: str,
    model: str,
    lease_start: date,
    at: datetime,
    actor: Actor,
) -> None:
    app = in_memory_app()
    [registered] = Device.register(
        device_id=DEVICE,
        company_id=ACME,
        serial=serial,
        model=model,
        category="phone",
        company_cost=Money(minor, currency),
        contract_type=ContractType.LEASED,
        lease_start=lease_start,
        renewal_date=date(2100, 1, 2),
        cause=Cause(actor=actor, at=at, correlation_id="c"),
    ).collect_events()

    restored = round_trip(app, registered)

    assert restored == registered
    assert type(restored.company_cost) is Money
    assert type(restored.lease_start) is date
    assert restored.at == at


# --- snapshots ------------------------------------------------------------------------------


def aggregates_worth_snapshotting() -> Iterator[Aggregate]:
    """One aggregate of each kind, in a state beyond its first event where it has one."""
    live: dict[UUID, Any] = {}
    for event in SAMPLES:
        live[event.originator_id] = event.mutate(live.get(event.originator_id))
    yield live[ACME]  # renamed, re-rated, moved and with changed settings
    yield live[ANN]  # with a last employment day
    device = live[DEVICE]
    device.assign(ANN, cause=cause())  # active, with an assignee
    device.collect_events()
    yield device
    yield next(a for a in live.values() if isinstance(a, ApiToken) and a.revoked_at is not None)
    yield next(a for a in live.values() if isinstance(a, IdempotencyRecord))
    yield next(a for a in live.values() if isinstance(a, UniqueClaim))
    yield live[PLAN]  # renamed and re-priced
    yield live[SUBSCRIPTION]  # converted to monthly, seats removed, cancelled and ended
    yield a_subscription_mid_term()
    for device in (a_device_mid_checkout(), a_bought_device()):  # frozen price; paid, linked
        device.collect_events()
        yield device
    yield live[natural_id("payment-event", "evt_1PaId")]
    yield live[PROVIDER_TERMS_ID]  # a second version published
    yield next(a for a in live.values() if isinstance(a, PriceImportRecord))
    yield live[ledger_id(ACME)]  # two entities, a closed and an open interval
    yield live[PRICE_LIST_ID]
    yield live[UUID(int=0xBA7C4)]  # a voided batch with its price
    yield next(a for a in live.values() if isinstance(a, ActivationKey) and a.redeemed_by)
    renting = RentalAccount.open(company_id=ACME, cause=cause())  # a rental's paid days
    renting.redeem(UUID(int=0xC4), 50, date(2021, 3, 3), cause=cause())
    renting.activate(DEVICE, 7, date(2021, 3, 3), cause=cause())
    renting.collect_events()
    yield renting
    yield live[natural_id("invoice-book", ACME)]
    yield next(a for a in live.values() if isinstance(a, InvoiceSequence))
    yield live[INVOICE]


def aggregate_state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def test_every_aggregate_kind_has_a_snapshot_sample() -> None:
    sampled = {type(a) for a in aggregates_worth_snapshotting()}

    assert sampled == set(model_aggregates())


@pytest.mark.parametrize(
    "aggregate", list(aggregates_worth_snapshotting()), ids=lambda a: type(a).__name__
)
def test_a_snapshot_survives_the_mapper_and_restores_the_same_state(
    app: LessorApplication, aggregate: Aggregate
) -> None:
    snapshot = Snapshot.take(aggregate)

    restored_snapshot = round_trip(app, snapshot)
    restored = restored_snapshot.mutate(None)

    assert type(restored) is type(aggregate)
    assert (restored.id, restored.version) == (aggregate.id, aggregate.version)
    original_state = aggregate_state(aggregate)
    assert set(aggregate_state(restored)) == set(original_state)
    for name, value in original_state.items():
        assert_same_value(getattr(restored, name), value, f"{type(aggregate).__name__}.{name}")


def test_a_device_restored_from_an_application_snapshot_has_its_status_and_assignee() -> None:
    app = in_memory_app()
    device = Device.register(
        device_id=DEVICE,
        company_id=ACME,
        serial="SN-1",
        model="Pixel 9",
        category="phone",
        company_cost=Money(899_00, "EUR"),
        contract_type=ContractType.RENTAL,
        lease_start=date(2026, 2, 1),
        renewal_date=None,
        cause=cause(),
    )
    device.assign(ANN, cause=cause())
    app.save(device)

    app.take_snapshot(DEVICE)

    assert app.snapshots is not None
    [stored] = app.snapshots.get(DEVICE)
    assert stored.originator_version == 2
    restored = app.repository.get(DEVICE)
    assert restored.status == DeviceStatus.ACTIVE
    assert restored.assignee_id == ANN
    assert restored.company_cost == Money(899_00, "EUR")
    assert restored.lease_start == date(2026, 2, 1)
    assert aggregate_state(restored) == aggregate_state(device)


def test_a_company_restored_from_an_application_snapshot_keeps_its_settings() -> None:
    app = in_memory_app(IS_SNAPSHOTTING_ENABLED="y")
    company = Company.register(
        company_id=ACME,
        name="Acme AB",
        currency="SEK",
        vat_rate=Decimal("6"),
        settings={"device_buyout": True},
        cause=cause(OPERATOR),
    )
    company.change(settings={"employees_mark_received": False}, cause=cause())
    app.save(company)
    app.take_snapshot(ACME)
    company.change(name="Acme Group", cause=cause())  # a tail after the snapshot
    app.save(company)

    restored = app.repository.get(ACME)

    assert aggregate_state(restored) == aggregate_state(company)
    assert restored.settings == {
        "device_buyout": True,
        "buyout_receipts": True,
        "auto_mark_received": False,
        "employees_mark_received": False,
    }
    assert type(restored.vat_rate) is Decimal


def test_a_subscription_restored_from_an_application_snapshot_still_prices_added_seats() -> None:
    """Snapshots keep enums as their plain values (ADR 3): the restored subscription must
    still know its term (monthly) to prorate seats added mid-month."""
    app = in_memory_app()
    subscription = a_subscription_mid_term(recorded=False)
    app.save(subscription)
    app.take_snapshot(subscription.id)

    restored = app.repository.get(subscription.id)
    assert aggregate_state(restored) == aggregate_state(subscription)
    restored.add_seats(
        BACKUP, 1, unit_price=Money(1500, "SEK"), today=date(2026, 3, 1), cause=cause()
    )

    [added] = restored.collect_events()
    assert (added.days_remaining, added.days_in_term) == (14, 28)  # of 15 Feb – 15 Mar
    assert added.charge.amount == Money(750, "SEK")  # 1 × 15.00 × 14 / 28
