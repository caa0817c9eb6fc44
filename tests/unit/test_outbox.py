"""The outbox read model: which end-of-lease facts become which emails, to whom, saying what.

Events come from a real in-memory application (companies, members and devices through its
commands; the end-of-lease steps through the Device aggregate's own methods) and are folded
by the real mapper into an in-memory SQLite view, the way the projector does it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from adapters.sql import SqlSession
from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.company import Company
from domain.model.device import ContractType, Device
from domain.model.end_of_lease import windows
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from domain.model.money import Money
from projections.outbox import Outbox
from tests.apps import in_memory_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RENEWAL = date(2029, 3, 1)
W = windows(RENEWAL, "Europe/Stockholm")
AT_FINAL = W.final_from + timedelta(minutes=1)  # 2029-02-01 00:01 Stockholm
PAID_AT = datetime(2029, 2, 3, 13, 30, tzinfo=UTC)  # 14:30 in Stockholm (CET)
PRICE = Money.of("3420.00", "SEK")
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
SCHEDULER = Actor("scheduler", Role.SYSTEM)


class Views:
    """The outbox's tables in a fresh in-memory SQLite database, as the projector makes them."""

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.outbox = Outbox()
        names = {t: t for t in self.outbox.tables}
        self.session = SqlSession(self.connection.cursor(), dialect="sqlite", names=names)
        self.position = 0
        for table, body in self.outbox.tables.items():
            self.session.execute(f"CREATE TABLE {{{table}}} ({body})")
        for ddl in self.outbox.indexes:
            self.session.execute(ddl)

    def catch_up(self, app: LessorApplication) -> None:
        for notification in app.recorder.select_notifications(
            start=self.position + 1, limit=10_000
        ):
            self.outbox.apply(
                app.mapper.to_domain_event(notification), notification.id, self.session
            )
            self.position = notification.id
        self.connection.commit()

    def messages(self) -> list[dict[str, Any]]:
        cursor = self.connection.execute(
            "SELECT * FROM outbox_messages ORDER BY position, message_id"
        )
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            t: sorted(self.connection.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in self.outbox.tables
        }

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def views() -> Iterator[Views]:
    built = Views()
    yield built
    built.close()


def ctx(caller: Caller, at: datetime = T0) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(actor=caller.actor, at=at, correlation_id="t"))


def cause(at: datetime) -> Cause:
    return Cause(actor=SCHEDULER, at=at, correlation_id=f"test-{at.isoformat()}")


class World:
    """Acme (receipts on by default) with admins Alice and Adam and employee Ann, who uses a
    leased MacBook renewing on 2029-03-01."""

    def __init__(self, settings: dict[str, bool] | None = None) -> None:
        self.app = in_memory_app()
        self.company_id = self.app.companies.register(
            ctx(OPERATOR),
            name="Acme AB",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal("25"),
            settings=settings or {},
        ).subject_id
        self.admin = Caller(actor=Actor("tok-admin", Role.ADMIN), company_id=self.company_id)
        self.alice = self.member("alice@acme.se", "Alice Admin", Role.ADMIN)
        self.adam = self.member("adam@acme.se", "Adam Admin", Role.ADMIN)
        self.ann = self.member("ann@acme.se", "Ann Andersson", Role.EMPLOYEE)
        self.device_id = self.app.devices.register(
            ctx(self.admin),
            company_id=self.company_id,
            serial="C02XL0GHJGH5",
            model="MacBook Air 13",
            category="laptop",
            company_cost=Money(1_499_000, "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2026, 3, 1),
            renewal_date=RENEWAL,
        ).subject_id
        self.app.devices.assign(ctx(self.admin), self.device_id, self.ann)

    def member(self, email: str, name: str, role: Role) -> UUID:
        return self.app.members.register(
            ctx(self.admin),
            company_id=self.company_id,
            email=email,
            name=name,
            role=role,
            last_employment_day=None,
        ).subject_id

    def device(self, device_id: UUID | None = None) -> Device:
        found: Device = self.app.repository.get(device_id or self.device_id)
        return found

    def company(self) -> Company:
        found: Company = self.app.repository.get(self.company_id)
        return found

    def request_final_decision(self, price: Money | None = PRICE) -> None:
        device = self.device()
        device.request_final_decision(price, "curve" if price else None, W, cause=cause(AT_FINAL))
        self.app.save(device)

    def pay(self, at: datetime = PAID_AT) -> None:
        device = self.device()
        device.start_buyout(
            session_id="cs_test_1",
            url="https://checkout.example/cs_test_1",
            amount=PRICE,
            price_source="curve",
            expires_at=at + timedelta(hours=1),
            cause=cause(at - timedelta(minutes=5)),
        )
        assert device.record_payment("cs_test_1", "pi_test_1", PRICE, cause=cause(at)) == "paid"
        self.app.save(device)

    def release(self, at: datetime) -> None:
        old = self.device()
        new = Device.register(
            device_id=UUID("00000000-0000-4000-8000-00000000cafe"),
            company_id=self.company_id,
            serial="C02NEW000001",
            model="MacBook Air 15",
            category="laptop",
            company_cost=Money(1_699_000, "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2029, 2, 20),
            renewal_date=date(2032, 2, 20),
            replacement_for=old.id,
            cause=cause(at),
        )
        new.assign(self.ann, cause=cause(at))
        new.mark_received(cause=cause(at))
        old.link_replacement(new.id, cause=cause(at))
        old.release(replacement=new, offboarding_release_from=None, cause=cause(at))
        self.app.save(new, old)

    def change_receipts(self, on: bool, at: datetime) -> None:
        company = self.company()
        company.change(settings={"buyout_receipts": on}, cause=cause(at))
        self.app.save(company)


@pytest.fixture
def world() -> World:
    return World()


def only(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["kind"] == kind]


# --- the final decision (R − 1 month) ---------------------------------------------------------


def test_nothing_is_emailed_for_registering_and_assigning(world: World, views: Views) -> None:
    views.catch_up(world.app)

    assert views.messages() == []


def test_the_final_decision_request_goes_to_the_assignee_with_device_price_and_deadline(
    world: World, views: Views
) -> None:
    world.request_final_decision(PRICE)
    views.catch_up(world.app)

    [message] = views.messages()
    assert message["kind"] == "final_decision"
    assert message["recipient"] == "ann@acme.se"
    assert message["subject"] == "Decide about your MacBook Air 13 before 2029-03-01"
    assert message["company_id"] == str(world.company_id)
    assert message["device_id"] == str(world.device_id)
    assert message["created_at"] == "2029-01-31T23:01:00.000000Z"  # the event's business time
    body = message["body"]
    assert body.startswith("Hello Ann Andersson,")
    assert "MacBook Air 13, serial C02XL0GHJGH5" in body
    assert "Buyout price: 3420.00 SEK" in body
    assert "Decide before: 2029-03-01 00:00 (Europe/Stockholm)" in body
    assert "“Buy out”" in body
    assert "“Return”" in body
    assert "Acme AB" in body


def test_without_a_buyout_offer_the_email_says_only_return_is_possible(
    world: World, views: Views
) -> None:
    world.request_final_decision(price=None)
    views.catch_up(world.app)

    [message] = views.messages()
    assert message["recipient"] == "ann@acme.se"
    assert "cannot be bought out, only returned" in message["body"]
    assert "“Return”" in message["body"]
    assert "“Buy out”" not in message["body"]
    assert "SEK" not in message["body"]


def test_deciding_in_the_command_that_finds_the_request_due_sends_no_please_decide_email(
    world: World, views: Views
) -> None:
    ann = Caller(
        actor=Actor("tok-ann", Role.EMPLOYEE), company_id=world.company_id, member_id=world.ann
    )
    world.app.end_of_lease.choose_return(ctx(ann, at=AT_FINAL), world.device_id)
    views.catch_up(world.app)

    recorded = [type(e).__name__ for e in world.app.repository.event_store.get(world.device_id)]
    assert recorded[-2:] == ["FinalDecisionRequested", "ReturnChosen"]
    assert views.messages() == []


def test_a_decision_after_the_request_keeps_the_request_email(world: World, views: Views) -> None:
    world.request_final_decision()
    device = world.device()
    device.choose_return(cause=cause(AT_FINAL + timedelta(days=1)))
    world.app.save(device)
    views.catch_up(world.app)

    assert [m["kind"] for m in views.messages()] == ["final_decision"]


def test_a_line_break_in_a_model_name_is_refused_at_registration(world: World) -> None:
    with pytest.raises(InvalidValue, match=r"control character, U\+000A"):
        world.app.devices.register(
            ctx(world.admin),
            company_id=world.company_id,
            serial="SN-NL-0",
            model="Galaxy\nTab S9",
            category="tablet",
            company_cost=Money(900_000, "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2026, 3, 1),
            renewal_date=RENEWAL,
        )


def test_a_line_break_in_a_stored_model_name_never_reaches_a_subject(
    world: World, views: Views
) -> None:
    """History recorded before names were cleaned (ADR 0015) may hold one."""
    device = Device.register(
        device_id=uuid5(NAMESPACE_URL, "SN-NL-1"),
        company_id=world.company_id,
        serial="SN-NL-1",
        model="Galaxy Tab S9",
        category="tablet",
        company_cost=Money(900_000, "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2026, 3, 1),
        renewal_date=RENEWAL,
        cause=cause(AT_FINAL),
    )
    registered = device.pending_events[0]
    object.__setattr__(registered, "model", "Galaxy\nTab S9")  # as an older store holds it
    world.app.save(device)
    device_id = device.id
    world.app.devices.assign(ctx(world.admin), device_id, world.ann)
    device = world.device(device_id)
    assert device.model == "Galaxy\nTab S9"
    device.request_final_decision(None, None, W, cause=cause(AT_FINAL))
    world.app.save(device)
    views.catch_up(world.app)

    [message] = views.messages()
    assert message["subject"] == "Decide about your Galaxy Tab S9 before 2029-03-01"


# --- the receipt ------------------------------------------------------------------------------


def test_a_paid_buyout_emails_a_receipt_to_the_buyer(world: World, views: Views) -> None:
    world.request_final_decision()
    world.pay()
    views.catch_up(world.app)

    [receipt] = only(views.messages(), "buyout_receipt")
    assert receipt["recipient"] == "ann@acme.se"
    assert receipt["subject"] == "Receipt: buyout of your MacBook Air 13"
    assert receipt["created_at"] == "2029-02-03T13:30:00.000000Z"
    body = receipt["body"]
    assert "Amount paid: 3420.00 SEK" in body
    assert "Paid at: 2029-02-03 14:30 (Europe/Stockholm)" in body
    assert "MacBook Air 13, serial C02XL0GHJGH5" in body
    assert "Payment reference: pi_test_1" in body
    assert "Sold by: Acme AB" in body


def test_no_receipt_when_the_company_has_receipts_off() -> None:
    world = World(settings={"buyout_receipts": False})
    views = Views()
    world.request_final_decision()
    world.pay()
    views.catch_up(world.app)

    assert only(views.messages(), "buyout_receipt") == []
    assert len(only(views.messages(), "final_decision")) == 1
    views.close()


@pytest.mark.parametrize(
    ("switch_at", "on", "receipt_expected"),
    [
        (PAID_AT - timedelta(days=1), False, False),  # switched off before the payment
        (PAID_AT + timedelta(days=1), False, True),  # switched off after: the receipt stands
    ],
)
def test_the_receipt_follows_the_setting_as_of_the_payment(
    world: World, views: Views, switch_at: datetime, on: bool, receipt_expected: bool
) -> None:
    world.request_final_decision()
    if switch_at < PAID_AT:
        world.change_receipts(on, switch_at)
        world.pay()
    else:
        world.pay()
        world.change_receipts(on, switch_at)
    views.catch_up(world.app)

    assert bool(only(views.messages(), "buyout_receipt")) is receipt_expected


def test_receipts_switched_back_on_apply_to_later_payments() -> None:
    world = World(settings={"buyout_receipts": False})
    views = Views()
    world.request_final_decision()
    world.change_receipts(True, PAID_AT - timedelta(hours=1))
    world.pay()
    views.catch_up(world.app)

    assert [m["recipient"] for m in only(views.messages(), "buyout_receipt")] == ["ann@acme.se"]
    views.close()


# --- the release confirmation -----------------------------------------------------------------


def test_a_release_confirms_to_the_buyer(world: World, views: Views) -> None:
    world.request_final_decision()
    world.pay()
    released_at = datetime(2029, 3, 10, 8, 0, tzinfo=UTC)
    world.release(released_at)
    views.catch_up(world.app)

    [confirmation] = only(views.messages(), "release_confirmation")
    assert confirmation["recipient"] == "ann@acme.se"
    assert confirmation["subject"] == "Your MacBook Air 13 is released to you"
    assert confirmation["created_at"] == "2029-03-10T08:00:00.000000Z"
    body = confirmation["body"]
    assert "MacBook Air 13, serial C02XL0GHJGH5" in body
    assert "no longer part of Acme AB's hardware" in body
    assert "Released: 2029-03-10 09:00 (Europe/Stockholm)" in body
    assert "your replacement device has been received" in body
    # The whole flow: one request, one receipt, one confirmation, all to Ann.
    assert [m["kind"] for m in views.messages()] == [
        "final_decision",
        "buyout_receipt",
        "release_confirmation",
    ]


# --- the Monday digest ------------------------------------------------------------------------


def test_the_release_digest_is_one_message_per_admin_listing_the_devices(
    world: World, views: Views
) -> None:
    company = world.company()
    devices = [
        {
            "device_id": str(world.device_id),
            "serial": "C02XL0GHJGH5",
            "model": "MacBook Air 13",
            "buyer": "Ann Andersson",
        },
        {"device_id": "d2", "serial": "PF3ABCDE", "model": "ThinkPad X1", "buyer": "Bob Berg"},
    ]
    monday = datetime(2029, 3, 12, 8, 0, tzinfo=UTC)
    assert company.send_release_digest(
        "2029-W11", devices, ["adam@acme.se", "alice@acme.se"], cause=cause(monday)
    )
    world.app.save(company)
    views.catch_up(world.app)

    digests = only(views.messages(), "release_digest")
    assert [m["recipient"] for m in digests] == ["adam@acme.se", "alice@acme.se"]
    assert len({m["message_id"] for m in digests}) == 2
    for message, name in zip(digests, ["Adam Admin", "Alice Admin"], strict=True):
        assert message["subject"] == "2 devices ready to release (2029-W11)"
        assert message["device_id"] is None
        assert message["created_at"] == "2029-03-12T08:00:00.000000Z"
        body = message["body"]
        assert body.startswith(f"Hello {name},")
        assert "- C02XL0GHJGH5: MacBook Air 13, bought by Ann Andersson" in body
        assert "- PF3ABCDE: ThinkPad X1, bought by Bob Berg" in body
        assert "week 2029-W11" in body


# --- determinism ------------------------------------------------------------------------------


def test_message_ids_are_stable_and_a_rebuild_equals_the_incremental_view(world: World) -> None:
    incremental = Views()
    world.request_final_decision()
    incremental.catch_up(world.app)
    world.pay()
    incremental.catch_up(world.app)
    world.release(datetime(2029, 3, 10, 8, 0, tzinfo=UTC))
    incremental.catch_up(world.app)

    rebuilt = Views()
    rebuilt.catch_up(world.app)

    assert rebuilt.dump() == incremental.dump()
    ids = [m["message_id"] for m in incremental.messages()]
    assert ids == [f"{world.device_id}.{v}.0@lessor" for v in _versions(world)]
    incremental.close()
    rebuilt.close()


def _versions(world: World) -> list[int]:
    """The device's event versions that produced messages, read back from the log."""
    wanted = (Device.FinalDecisionRequested, Device.BuyoutPaid, Device.Released)
    return [
        e.originator_version
        for e in world.app.repository.event_store.get(world.device_id)
        if isinstance(e, wanted)
    ]
