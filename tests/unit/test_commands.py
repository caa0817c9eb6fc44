"""Commands and their stored operation names; the ports the application is given.

An Idempotency-Key's record stores the operation name, and a retry is replayed only under the
same name. A retry may reach a newer deploy than the request it repeats, so the names are
part of the stored format: they are pinned here, command by command.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.application import (
    CommandContext,
    Idempotency,
    LessorApplication,
    Outcome,
    command,
    operations,
)
from domain.model.actor import Actor, Caller, Role
from domain.model.company import Company
from domain.model.device import ContractType
from domain.model.end_of_lease import Choice
from domain.model.errors import IdempotencyKeyReused
from domain.model.events import Cause
from domain.model.idempotency import IdempotencyRecord, idempotency_record_id
from domain.model.money import Money
from domain.model.pricing import RenewalOption, Term
from domain.model.product import ProductKind
from domain.model.valuation import Curve
from tests.apps import POPO, NoPayments, in_memory_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
SOME = UUID(int=7)  # a replayed command never looks at its arguments
SUBJECT = UUID(int=42)  # what an earlier deploy's request reached, at version 3
SEK = Money.of("100", "SEK")

Call = Callable[[LessorApplication, CommandContext], Outcome]

# Every replayable command, under the operation name its IdempotencyRecord has always stored.
STORED_NAMES: dict[str, Call] = {
    "register_company": lambda app, c: app.companies.register(
        c, name="A", currency="SEK", time_zone="UTC", vat_rate=Decimal(25), settings={}
    ),
    "change_company": lambda app, c: app.companies.change(c, SOME, name="B"),
    "publish_terms": lambda app, c: app.terms.publish(c, "2026-12"),
    "register_member": lambda app, c: app.members.register(
        c, company_id=SOME, email="a@b.c", name="A", role=Role.EMPLOYEE, last_employment_day=None
    ),
    "set_last_employment_day": lambda app, c: app.members.set_last_employment_day(
        c, SOME, date(2026, 6, 30)
    ),
    "register_device": lambda app, c: app.devices.register(
        c,
        company_id=SOME,
        serial="SN-1",
        model="M",
        category="laptop",
        company_cost=SEK,
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
    ),
    "assign_device": lambda app, c: app.devices.assign(c, SOME, SOME),
    "unassign_device": lambda app, c: app.devices.unassign(c, SOME),
    "choose_preliminary": lambda app, c: app.end_of_lease.choose_preliminary(
        c, SOME, Choice.RETURN
    ),
    "choose_return": lambda app, c: app.end_of_lease.choose_return(c, SOME),
    "start_buyout": lambda app, c: app.end_of_lease.start_buyout(
        c, SOME, success_url="https://a/ok", cancel_url="https://a/no"
    ),
    "cancel_buyout": lambda app, c: app.end_of_lease.cancel_buyout(c, SOME),
    "register_replacement": lambda app, c: app.replacements.register(
        c,
        SOME,
        serial="",
        model="M",
        category="phone",
        company_cost=SEK,
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
    ),
    "report_delivered": lambda app, c: app.replacements.report_delivered(c, SOME),
    "mark_received": lambda app, c: app.replacements.mark_received(c, SOME),
    "record_serial": lambda app, c: app.replacements.record_serial(c, SOME, "SN-2"),
    "release_device": lambda app, c: app.replacements.release(c, SOME),
    "confirm_return": lambda app, c: app.replacements.confirm_return(c, SOME),
    "remove_device": lambda app, c: app.replacements.remove(c, SOME),
    "swap_rental": lambda app, c: app.rentals.swap(c, SOME, serial="SN-3", model="M"),
    "deactivate_rental": lambda app, c: app.rentals.deactivate(c, SOME),
    "issue_activation_keys": lambda app, c: app.credits.issue_keys(c, credits=1, count=1).outcome,
    "void_activation_keys": lambda app, c: app.credits.void_batch(c, SOME),
    "redeem_activation_key": lambda app, c: app.credits.redeem(c, company_id=SOME, code="x"),
    "activate_rental": lambda app, c: app.credits.activate(c, SOME, rate=7),
    "swap_rental_to_registered": lambda app, c: app.credits.swap(c, SOME, replacement_id=SOME),
    "set_buyout_price": lambda app, c: app.valuation.set_buyout_price(c, SOME, SEK),
    "set_buyout_availability": lambda app, c: app.valuation.set_buyout_availability(c, SOME, False),
    "set_automatic_valuation": lambda app, c: app.valuation.set_automatic(c, SOME, "phone", True),
    "save_custom_curve": lambda app, c: app.valuation.save_custom_curve(
        c, SOME, "phone", Curve(((0, Decimal(100)), (36, Decimal(10))), floor=Decimal(5))
    ),
    "clear_custom_curve": lambda app, c: app.valuation.clear_custom_curve(c, SOME, "phone"),
    "add_product": lambda app, c: app.catalog.add_product(
        c, code="P", name="P", kind=ProductKind.PLAN, prices={"SEK": 100}
    ),
    "change_product": lambda app, c: app.catalog.change_product(c, SOME, name="Q"),
    "create_subscription": lambda app, c: app.subscriptions.create(
        c,
        company_id=SOME,
        lines=[(SOME, 1)],
        start_date=date(2026, 3, 1),
        term=Term.ONE_YEAR,
        po_reference=None,
        separate_invoice=False,
        renewal_option=RenewalOption.EVERY_TIME,
    ),
    "add_seats": lambda app, c: app.subscriptions.add_seats(c, SOME, SOME, 1),
    "remove_seats": lambda app, c: app.subscriptions.remove_seats(c, SOME, SOME, 1),
    "change_po_reference": lambda app, c: app.subscriptions.change_po_reference(c, SOME, "PO"),
    "change_renewal_option": lambda app, c: app.subscriptions.change_renewal_option(
        c, SOME, RenewalOption.ONCE
    ),
    "cancel_subscription": lambda app, c: app.subscriptions.cancel(c, SOME),
    "assign_licence": lambda app, c: app.subscriptions.assign_licence(c, SOME, SOME, SOME),
    "unassign_licence": lambda app, c: app.subscriptions.unassign_licence(c, SOME, SOME, SOME),
    "choose_default_licence": lambda app, c: app.subscriptions.choose_default_licence(
        c, SOME, SOME, SOME
    ),
    "record_usage_changes": lambda app, c: app.usage.record_changes(c, SOME, []),
    "set_usage_price": lambda app, c: app.usage.set_price(
        c, "smart", prices={"SEK": 100}, description=None
    ),
    "run_invoices": lambda app, c: app.invoicing.run(c, SOME, "2026-03"),
    "issue_invoice": lambda app, c: app.invoicing.issue(c, SOME),
    "issue_credit_note": lambda app, c: app.invoicing.credit_note(c, SOME),
    "set_billing_details": lambda app, c: app.invoicing.set_billing_details(
        c, SOME, vat_id="SE1", address="", country="SE"
    ),
    "record_invoice_adjustment": lambda app, c: app.invoicing.adjust(
        c, SOME, line_no=1, amount=SEK, description="Correction"
    ),
}
# Named, but answered as a repeat by its file's content instead of replayed by its key.
NOT_REPLAYED = {"import_buyout_prices", "import_members"}


def ctx(key: str, request_hash: str = "h-1") -> CommandContext:
    return CommandContext(
        caller=OPERATOR,
        cause=Cause(actor=OPERATOR.actor, at=T0, correlation_id="req-1"),
        idempotency=Idempotency(key=key, request_hash=request_hash),
    )


def stored_by_an_earlier_deploy(
    app: LessorApplication, operation: str, key: str, request_hash: str = "h-1"
) -> None:
    """The record a request left, as the store holds it (written by whichever code ran then),
    and its subject at the version it reached (a replay answers with it)."""
    if SUBJECT not in app.repository:
        subject = Company.register(
            company_id=SUBJECT, name="Subject 1", currency="SEK", cause=ctx(key).cause
        )
        for n in (2, 3):
            subject.change(name=f"Subject {n}", cause=ctx(key).cause)
        app.save(subject)
    record = IdempotencyRecord.record(
        scope=OPERATOR.actor.id,
        key=key,
        request_hash=request_hash,
        operation=operation,
        subject_id=SUBJECT,
        subject_version=3,
        created=False,
        company_id=None,
        cause=ctx(key).cause,
    )
    app.save(record)


def head(app: LessorApplication) -> int:
    return app.recorder.max_notification_id() or 0


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


def test_every_command_has_one_operation_name_and_they_are_the_stored_ones() -> None:
    assert set(operations()) == set(STORED_NAMES) | NOT_REPLAYED
    assert len(STORED_NAMES) + len(NOT_REPLAYED) == 51


def test_a_second_command_under_a_name_in_use_is_refused_when_it_is_defined() -> None:
    with pytest.raises(ValueError, match=r"'assign_device' is taken by Devices\.assign"):
        command("assign_device")


@pytest.mark.parametrize("name", STORED_NAMES)
def test_a_retry_of_a_request_recorded_before_a_deploy_is_replayed(
    app: LessorApplication, name: str
) -> None:
    stored_by_an_earlier_deploy(app, name, key=f"key-{name}")
    before = head(app)

    retried = STORED_NAMES[name](app, ctx(f"key-{name}"))

    assert retried.replayed
    assert (retried.subject_id, retried.version) == (UUID(int=42), 3)
    assert head(app) == before


@pytest.mark.parametrize("name", STORED_NAMES)
def test_a_key_recorded_by_another_command_is_refused(app: LessorApplication, name: str) -> None:
    other = "remove_device" if name != "remove_device" else "assign_device"
    stored_by_an_earlier_deploy(app, other, key="shared-key")

    with pytest.raises(IdempotencyKeyReused):
        STORED_NAMES[name](app, ctx("shared-key"))


def test_a_command_stores_its_operation_name_and_a_retry_under_the_same_key_is_replayed(
    app: LessorApplication,
) -> None:
    first = STORED_NAMES["register_company"](app, ctx("k-company"))
    after_first = head(app)

    retried = STORED_NAMES["register_company"](app, ctx("k-company"))

    record = app.repository.get(idempotency_record_id(OPERATOR.actor.id, "k-company"))
    assert record.operation == "register_company"
    assert (retried.replayed, first.replayed) == (True, False)
    assert (retried.subject_id, retried.version) == (first.subject_id, first.version)
    assert head(app) == after_first


# --- ports ----------------------------------------------------------------------------------


class CountingIds:
    """A deterministic IdSource: 1, 2, 3, …"""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def new_id(self) -> UUID:
        return UUID(int=next(self._next))


def test_new_aggregates_take_their_ids_from_the_id_source_the_application_was_given() -> None:
    app = LessorApplication(env=POPO, ids=CountingIds(), payment_gateway=NoPayments())
    plain = CommandContext(OPERATOR, Cause(OPERATOR.actor, T0, "req-1"))

    company_id = STORED_NAMES["register_company"](app, plain).subject_id
    device_id = app.devices.register(
        plain,
        company_id=company_id,
        serial="SN-1",
        model="M",
        category="laptop",
        company_cost=SEK,
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
    ).subject_id

    assert (company_id, device_id) == (UUID(int=1), UUID(int=2))
