"""End of lease through the application, in memory (SPEC §1 roles, §2.2 flow): who may do what,
the buyout paid through the payment port (a fake provider at the boundary), payment events
taken once each and never regressing a paid buyout, replacement, receipt, release, return,
RMA swaps, the scheduler's rules and the weekly release digest.

Ann holds a phone leased from 15 January 2024, renewal R = 10 August 2026 (Europe/Stockholm):
options from 10 May, final decision from 10 July. Bought out on 20 July — 30 completed months —
the worked example's price applies: 12 000 SEK × 28.5 % = 3 420 SEK.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.buyout_price import PriceSource, Quote
from domain.model.company import Company
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.end_of_lease import Choice, Phase, offboarding_release_from, windows
from domain.model.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.ids import natural_id
from domain.model.money import Money
from domain.model.payment_record import PaymentEventRecord
from domain.model.unique_claim import claim_id
from domain.ports import CheckoutRequest, CheckoutSession, PaymentEvent
from tests.apps import in_memory_app

STOCKHOLM = "Europe/Stockholm"
R = date(2026, 8, 10)
W = windows(R, STOCKHOLM)
T_SETUP = datetime(2026, 1, 5, 9, tzinfo=UTC)
IN_PRELIMINARY = datetime(2026, 6, 1, 9, tzinfo=UTC)
CHECKOUT_AT = datetime(2026, 7, 20, 10, tzinfo=UTC)  # a Monday, 30 months into the lease
PAID_AT = CHECKOUT_AT + timedelta(minutes=4)
LATER = CHECKOUT_AT + timedelta(days=2)
PRICE = Money.of("3420", "SEK")
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
US = timedelta(microseconds=1)


def at(caller: Caller, when: datetime, correlation_id: str = "req-1") -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, correlation_id))


class FakePaymentGateway:
    """The payment provider at the boundary (domain.ports.PaymentGateway): one session per
    idempotency key, and a record of every request it was asked."""

    def __init__(self) -> None:
        self.requests: list[CheckoutRequest] = []
        self.sessions: dict[str, CheckoutSession] = {}
        self.expired: list[str] = []

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        if request.idempotency_key not in self.sessions:
            n = len(self.sessions) + 1
            self.sessions[request.idempotency_key] = CheckoutSession(
                session_id=f"cs_test_{n}",
                url=f"https://checkout.example/c/pay/cs_test_{n}",
                expires_at=datetime(2026, 7, 21, 10, tzinfo=UTC),
            )
        return self.sessions[request.idempotency_key]

    def expire_checkout(self, session_id: str) -> None:
        self.expired.append(session_id)


_event_ids = itertools.count(1)


def payment_event(
    kind: str,
    session_id: str,
    device_id: UUID | None,
    amount: Money | None = PRICE,
    *,
    when: datetime = PAID_AT,
    event_id: str | None = None,
) -> PaymentEvent:
    return PaymentEvent(
        provider_event_id=event_id or f"evt_{next(_event_ids)}",
        kind=kind,
        session_id=session_id,
        device_id=device_id,
        payment_id="pi_1" if kind == "paid" else None,
        amount=amount,
        occurred_at=when,
    )


@dataclass
class Acme:
    """Acme AB: buyouts on, automatic valuation for phones; an admin member, a service
    account, and two employees, Ann (with a leased phone) and Bob."""

    app: LessorApplication
    company_id: UUID
    admin: Caller
    service: Caller
    ann_id: UUID
    ann: Caller
    bob: Caller
    phone_id: UUID

    # --- reading

    @property
    def gateway(self) -> FakePaymentGateway:
        """The payment provider the application was given (one per store)."""
        gateway = self.app.end_of_lease.payment_gateway
        assert isinstance(gateway, FakePaymentGateway)
        return gateway

    def device(self, device_id: UUID | None = None) -> Device:
        return self.app.devices.get(self.admin, device_id or self.phone_id)

    def company(self) -> Company:
        return self.app.companies.read(self.admin, self.company_id)

    def recorded(self, device_id: UUID | None = None) -> list[str]:
        return [type(e).__name__ for e in events(self, device_id or self.phone_id)]

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    # --- doing

    def start_buyout(self, when: datetime = CHECKOUT_AT, caller: Caller | None = None) -> str:
        self.app.end_of_lease.start_buyout(
            at(caller or self.ann, when),
            self.phone_id,
            success_url="https://lessor.example/done",
            cancel_url="https://lessor.example/options",
        )
        session_id = self.device().checkout_session_id
        assert session_id is not None
        return session_id

    def buy(self) -> str:
        session_id = self.start_buyout()
        result = self.app.end_of_lease.record_payment_event(
            payment_event("paid", session_id, self.phone_id)
        )
        assert result == "applied"
        return session_id

    def register_replacement(self, serial: str = "", when: datetime = LATER) -> UUID:
        return self.app.replacements.register(
            at(self.admin, when),
            self.phone_id,
            serial=serial,
            model="iPhone 17",
            category="phone",
            company_cost=Money.of("13000", "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2026, 8, 1),
            renewal_date=date(2029, 8, 1),
        ).subject_id

    def a_device(self, serial: str, **overrides: Any) -> UUID:
        fields: dict[str, Any] = {
            "company_id": self.company_id,
            "serial": serial,
            "model": "iPhone 15",
            "category": "phone",
            "company_cost": Money.of("12000", "SEK"),
            "contract_type": ContractType.LEASED,
            "lease_start": date(2024, 1, 15),
            "renewal_date": R,
        }
        fields.update(overrides)
        return self.app.devices.register(at(self.admin, T_SETUP), **fields).subject_id


def events(world: Acme, aggregate_id: UUID) -> list[Any]:
    return list(world.app.events.get(aggregate_id))


def a_company(app: LessorApplication, name: str, settings: dict[str, bool] | None = None) -> Acme:
    company_id = app.companies.register(
        at(OPERATOR, T_SETUP),
        name=name,
        currency="SEK",
        time_zone=STOCKHOLM,
        vat_rate=Decimal("25"),
        settings={"device_buyout": True, **(settings or {})},
    ).subject_id
    slug = name.split()[0].lower()
    admin = Caller(Actor(f"tok-{slug}-admin", Role.ADMIN), company_id=company_id)

    def member(email: str, role: Role = Role.EMPLOYEE) -> UUID:
        return app.members.register(
            at(admin, T_SETUP),
            company_id=company_id,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            last_employment_day=None,
        ).subject_id

    member(f"boss@{slug}.example", Role.ADMIN)
    ann_id = member(f"ann@{slug}.example")
    bob_id = member(f"bob@{slug}.example")
    app.valuation.set_automatic(at(admin, T_SETUP), company_id, "phone", True)
    world = Acme(
        app=app,
        company_id=company_id,
        admin=admin,
        service=Caller(Actor(f"tok-{slug}-svc", Role.SERVICE), company_id=company_id),
        ann_id=ann_id,
        ann=Caller(Actor(f"tok-{slug}-ann", Role.EMPLOYEE), company_id, member_id=ann_id),
        bob=Caller(Actor(f"tok-{slug}-bob", Role.EMPLOYEE), company_id, member_id=bob_id),
        phone_id=UUID(int=0),
    )
    world.phone_id = world.a_device("SN-ANN-PHONE")
    app.devices.assign(at(admin, T_SETUP), world.phone_id, ann_id)
    return world


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app(payment_gateway=FakePaymentGateway())


@pytest.fixture
def acme(app: LessorApplication) -> Acme:
    return a_company(app, "Acme AB")


@pytest.fixture
def globex(app: LessorApplication) -> Acme:
    return a_company(app, "Globex Inc")


# --- options ---------------------------------------------------------------------------------


def test_before_r_minus_3_months_ann_sees_no_options_and_no_price(acme: Acme) -> None:
    shown = acme.app.end_of_lease.options(acme.ann, acme.phone_id, W.options_from - US)

    assert (shown.phase, shown.price, shown.actions) == (Phase.NONE, None, [])
    assert (shown.options_from, shown.final_from, shown.renewal_date) == (
        W.options_from,
        W.final_from,
        R,
    )


def test_from_r_minus_3_months_ann_sees_the_price_and_may_plan_before_the_scheduler_ran(
    acme: Acme,
) -> None:
    shown = acme.app.end_of_lease.options(acme.ann, acme.phone_id, W.options_from)

    assert shown.phase == Phase.PRELIMINARY
    assert shown.price is not None
    assert shown.price.source == PriceSource.STANDARD_CURVE
    assert shown.actions == ["preliminary_choice"]
    assert acme.recorded() == ["Registered", "Assigned"]  # reading records nothing


def test_in_the_final_phase_ann_may_return_or_buy_and_an_admin_may_only_return(acme: Acme) -> None:
    for_ann = acme.app.end_of_lease.options(acme.ann, acme.phone_id, CHECKOUT_AT)
    for_admin = acme.app.end_of_lease.options(acme.admin, acme.phone_id, CHECKOUT_AT)

    assert for_ann.phase == Phase.FINAL
    assert for_ann.price == Quote(PRICE, PriceSource.STANDARD_CURVE)
    assert for_ann.actions == ["return", "buyout"]
    assert for_admin.actions == ["return"]


def test_given_buyouts_off_then_the_final_phase_offers_only_a_return(
    app: LessorApplication,
) -> None:
    initech = a_company(app, "Initech AB", settings={"device_buyout": False})

    shown = app.end_of_lease.options(initech.ann, initech.phone_id, CHECKOUT_AT)

    assert (shown.price, shown.actions) == (None, ["return"])


# --- who may act ------------------------------------------------------------------------------


def test_an_employee_acting_on_a_colleagues_device_finds_nothing(acme: Acme) -> None:
    attempts = {
        "options": lambda: acme.app.end_of_lease.options(acme.bob, acme.phone_id, CHECKOUT_AT),
        "plan": lambda: acme.app.end_of_lease.choose_preliminary(
            at(acme.bob, IN_PRELIMINARY), acme.phone_id, Choice.BUYOUT
        ),
        "return": lambda: acme.app.end_of_lease.choose_return(
            at(acme.bob, CHECKOUT_AT), acme.phone_id
        ),
        "buyout": lambda: acme.start_buyout(caller=acme.bob),
        "received": lambda: acme.app.replacements.mark_received(at(acme.bob, LATER), acme.phone_id),
    }
    before = acme.head()
    for name, attempt in attempts.items():
        with pytest.raises(NotFound, match="Device not found"):
            attempt()
        assert acme.head() == before, name
    assert acme.gateway.requests == []


def test_another_companys_people_find_nothing(acme: Acme, globex: Acme) -> None:
    for caller in (globex.ann, globex.admin, globex.service):
        with pytest.raises(NotFound):
            acme.app.end_of_lease.options(caller, acme.phone_id, CHECKOUT_AT)
        with pytest.raises(NotFound):
            acme.app.end_of_lease.choose_return(at(caller, CHECKOUT_AT), acme.phone_id)
    with pytest.raises(NotFound):
        acme.app.replacements.release(at(globex.admin, LATER), acme.phone_id)


@pytest.mark.parametrize("who", ["admin", "service", "operator"])
def test_only_the_employee_who_uses_the_device_starts_a_buyout(acme: Acme, who: str) -> None:
    caller = {"admin": acme.admin, "service": acme.service, "operator": OPERATOR}[who]
    before = acme.head()

    with pytest.raises(NotAllowed, match="Only the employee who uses the device"):
        acme.start_buyout(caller=caller)

    assert acme.head() == before
    assert acme.gateway.requests == []


def test_an_admin_may_record_a_plan_or_a_return_on_the_employees_behalf(acme: Acme) -> None:
    acme.app.end_of_lease.choose_preliminary(
        at(acme.admin, IN_PRELIMINARY), acme.phone_id, Choice.RETURN
    )
    acme.app.end_of_lease.choose_return(at(acme.service, CHECKOUT_AT), acme.phone_id)

    assert acme.device().preliminary_choice == Choice.RETURN
    assert acme.device().status == DeviceStatus.ACTIVE_PENDING_RETURN


def test_employees_may_not_manage_replacements_releases_returns_or_rentals(acme: Acme) -> None:
    acme.buy()
    new_id = acme.register_replacement(serial="SN-NEW")
    before = acme.head()
    ann = at(acme.ann, LATER)
    attempts = {
        "replacement": lambda: acme.app.replacements.register(
            ann,
            acme.phone_id,
            serial="X",
            model="iPhone 17",
            category="phone",
            company_cost=PRICE,
            contract_type=ContractType.PURCHASED,
            lease_start=None,
            renewal_date=None,
        ),
        "delivered": lambda: acme.app.replacements.report_delivered(ann, new_id),
        "serial": lambda: acme.app.replacements.record_serial(ann, new_id, "X"),
        "release": lambda: acme.app.replacements.release(ann, acme.phone_id),
        "confirm return": lambda: acme.app.replacements.confirm_return(ann, acme.phone_id),
        "remove": lambda: acme.app.replacements.remove(ann, acme.phone_id),
        "swap": lambda: acme.app.rentals.swap(ann, acme.phone_id, serial="X", model="Y"),
        "deactivate": lambda: acme.app.rentals.deactivate(ann, acme.phone_id),
        "price": lambda: acme.app.valuation.set_buyout_price(ann, acme.phone_id, PRICE),
        "availability": lambda: acme.app.valuation.set_buyout_availability(
            ann, acme.phone_id, False
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotAllowed):
            attempt()
        assert acme.head() == before, name


# --- the preliminary choice -------------------------------------------------------------------


def test_ann_plans_a_buyout_then_changes_her_mind_twice_before_r_minus_1_month(acme: Acme) -> None:
    acme.app.end_of_lease.choose_preliminary(
        at(acme.ann, W.options_from), acme.phone_id, Choice.BUYOUT
    )
    acme.app.end_of_lease.choose_preliminary(
        at(acme.ann, IN_PRELIMINARY), acme.phone_id, Choice.RETURN
    )
    acme.app.end_of_lease.choose_preliminary(
        at(acme.ann, W.final_from - US), acme.phone_id, Choice.BUYOUT
    )

    assert acme.device().preliminary_choice == Choice.BUYOUT
    made = [e for e in events(acme, acme.phone_id) if isinstance(e, Device.PreliminaryChoiceMade)]
    assert [(e.previous, e.choice) for e in made] == [
        (None, Choice.BUYOUT),
        (Choice.BUYOUT, Choice.RETURN),
        (Choice.RETURN, Choice.BUYOUT),
    ]
    assert all(e.actor == acme.ann.actor for e in made)
    assert acme.recorded()[2] == "EndOfLeaseOpened"  # caught up by the system, not by Ann


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (W.options_from - US, "three months before the renewal date"),
        (W.final_from, "closed at R − 1 month"),
    ],
    ids=["before R − 3 m", "at R − 1 m"],
)
def test_a_preliminary_choice_outside_its_window_is_refused_and_saves_nothing(
    acme: Acme, when: datetime, message: str
) -> None:
    before = acme.head()

    with pytest.raises(RuleViolation, match=message):
        acme.app.end_of_lease.choose_preliminary(at(acme.ann, when), acme.phone_id, Choice.BUYOUT)

    assert acme.head() == before


def test_a_preliminary_choice_for_a_device_without_a_lease_is_refused(acme: Acme) -> None:
    purchased = acme.a_device(
        "SN-BOUGHT", contract_type=ContractType.PURCHASED, lease_start=None, renewal_date=None
    )
    acme.app.devices.assign(at(acme.admin, T_SETUP), purchased, acme.ann_id)

    with pytest.raises(RuleViolation, match="Only leased devices"):
        acme.app.end_of_lease.choose_preliminary(
            at(acme.ann, IN_PRELIMINARY), purchased, Choice.BUYOUT
        )


# --- the final decision: return ---------------------------------------------------------------


def test_before_r_minus_1_month_a_final_return_is_refused(acme: Acme) -> None:
    before = acme.head()

    with pytest.raises(RuleViolation, match="one month before the renewal date"):
        acme.app.end_of_lease.choose_return(at(acme.ann, W.final_from - US), acme.phone_id)

    assert acme.head() == before


def test_ann_returns_the_device_final_at_once_and_can_no_longer_buy_it(acme: Acme) -> None:
    acme.app.end_of_lease.choose_return(at(acme.ann, W.final_from), acme.phone_id)

    assert acme.recorded()[-3:] == ["EndOfLeaseOpened", "FinalDecisionRequested", "ReturnChosen"]
    assert acme.device().status == DeviceStatus.ACTIVE_PENDING_RETURN
    assert acme.app.end_of_lease.options(acme.ann, acme.phone_id, CHECKOUT_AT).actions == []
    before = acme.head()
    with pytest.raises(RuleViolation):
        acme.start_buyout()
    with pytest.raises(RuleViolation):
        acme.app.end_of_lease.choose_return(at(acme.ann, CHECKOUT_AT), acme.phone_id)
    assert acme.head() == before
    assert acme.gateway.requests == []


# --- the final decision: buyout ---------------------------------------------------------------


def test_a_buyout_before_the_final_phase_is_refused_before_the_provider_is_asked(
    acme: Acme,
) -> None:
    with pytest.raises(RuleViolation, match="one month before the renewal date"):
        acme.start_buyout(IN_PRELIMINARY)

    assert acme.gateway.requests == []


def test_a_buyout_without_a_price_is_refused_before_the_provider_is_asked(acme: Acme) -> None:
    acme.app.valuation.set_buyout_availability(at(acme.admin, T_SETUP), acme.phone_id, False)

    with pytest.raises(RuleViolation, match="No buyout is offered for this device"):
        acme.start_buyout()

    assert acme.gateway.requests == []


def test_ann_starts_a_buyout_and_the_checkout_freezes_the_price_of_that_moment(acme: Acme) -> None:
    session_id = acme.start_buyout()

    [request] = acme.gateway.requests
    assert request.device_id == acme.phone_id
    assert request.company_id == acme.company_id
    assert (request.attempt, request.amount) == (1, PRICE)
    assert request.customer_email == "ann@acme.example"
    assert request.idempotency_key == f"buyout-{acme.phone_id}-1"
    assert (request.success_url, request.cancel_url) == (
        "https://lessor.example/done",
        "https://lessor.example/options",
    )
    started = events(acme, acme.phone_id)[-1]
    assert isinstance(started, Device.BuyoutCheckoutStarted)
    assert (started.session_id, started.attempt, started.amount) == (session_id, 1, PRICE)
    assert started.price_source == PriceSource.STANDARD_CURVE
    assert started.url == "https://checkout.example/c/pay/cs_test_1"
    assert started.actor == acme.ann.actor
    shown = acme.app.end_of_lease.options(acme.ann, acme.phone_id, CHECKOUT_AT)
    assert (shown.phase, shown.checkout_url, shown.actions) == (
        Phase.CHECKOUT_OPEN,
        started.url,
        [],
    )


def test_a_price_changed_after_the_checkout_opened_does_not_change_what_ann_pays(
    acme: Acme,
) -> None:
    session_id = acme.start_buyout()
    acme.app.valuation.set_buyout_price(
        at(acme.admin, CHECKOUT_AT + US), acme.phone_id, Money.of("999", "SEK")
    )

    new_price = acme.app.end_of_lease.record_payment_event(
        payment_event("paid", session_id, acme.phone_id, Money.of("999", "SEK"))
    )
    frozen = acme.app.end_of_lease.record_payment_event(
        payment_event("paid", session_id, acme.phone_id, PRICE)
    )

    assert (new_price, frozen) == ("rejected", "applied")
    assert acme.device().paid_amount == PRICE


@pytest.mark.parametrize("kind", ["failed", "expired"])
def test_a_checkout_that_does_not_complete_returns_ann_to_the_options_and_she_may_retry(
    acme: Acme, kind: str
) -> None:
    first = acme.start_buyout()

    result = acme.app.end_of_lease.record_payment_event(
        payment_event(kind, first, acme.phone_id, None)
    )

    assert result == "applied"
    shown = acme.app.end_of_lease.options(acme.ann, acme.phone_id, PAID_AT)
    assert (shown.phase, shown.actions, shown.checkout_url) == (
        Phase.FINAL,
        ["return", "buyout"],
        None,
    )
    second = acme.start_buyout(PAID_AT + US)
    assert second != first
    assert [r.attempt for r in acme.gateway.requests] == [1, 2]
    assert events(acme, acme.phone_id)[-1].attempt == 2
    assert (
        acme.app.end_of_lease.record_payment_event(payment_event("paid", second, acme.phone_id))
        == "applied"
    )
    assert acme.device().status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE


def test_a_checkout_open_refuses_a_second_one_without_asking_the_provider(acme: Acme) -> None:
    acme.start_buyout()

    with pytest.raises(RuleViolation, match="payment is under way"):
        acme.start_buyout(CHECKOUT_AT + US)

    assert len(acme.gateway.requests) == 1


# --- payment events ---------------------------------------------------------------------------


def test_a_paid_checkout_makes_the_device_bought_by_its_employee(acme: Acme) -> None:
    session_id = acme.start_buyout()
    event = payment_event("paid", session_id, acme.phone_id)

    assert acme.app.end_of_lease.record_payment_event(event) == "applied"

    device = acme.device()
    assert device.status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE
    assert (device.final_decision, device.buyer_id, device.paid_amount) == (
        Choice.BUYOUT,
        acme.ann_id,
        PRICE,
    )
    paid = events(acme, acme.phone_id)[-1]
    assert isinstance(paid, Device.BuyoutPaid)
    assert (paid.paid_at, paid.at, paid.actor.id) == (PAID_AT, PAID_AT, "stripe")
    record = acme.app.repository.get(natural_id("payment-event", event.provider_event_id))
    assert isinstance(record, PaymentEventRecord)
    assert (record.kind, record.result) == ("paid", "applied")


def test_the_same_provider_event_delivered_twice_is_taken_once(acme: Acme) -> None:
    session_id = acme.start_buyout()
    event = payment_event("paid", session_id, acme.phone_id)
    acme.app.end_of_lease.record_payment_event(event)
    before = acme.head()

    assert acme.app.end_of_lease.record_payment_event(event) == "duplicate"

    assert acme.head() == before


def test_a_second_paid_event_for_the_paid_checkout_changes_nothing_on_the_device(
    acme: Acme,
) -> None:
    session_id = acme.buy()
    version = acme.device().version

    result = acme.app.end_of_lease.record_payment_event(
        payment_event("paid", session_id, acme.phone_id)
    )

    assert result == "ignored"
    assert acme.device().version == version


def test_an_expired_event_after_the_payment_never_regresses_the_buyout(acme: Acme) -> None:
    session_id = acme.buy()
    version = acme.device().version

    result = acme.app.end_of_lease.record_payment_event(
        payment_event("expired", session_id, acme.phone_id, None, when=PAID_AT + timedelta(days=1))
    )

    assert result == "ignored"
    assert acme.device().version == version
    assert acme.device().status == DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE


def test_a_payment_for_a_stale_checkout_is_rejected_and_not_fulfilled(acme: Acme) -> None:
    stale = acme.start_buyout()
    acme.app.end_of_lease.record_payment_event(payment_event("expired", stale, acme.phone_id, None))
    current = acme.start_buyout(PAID_AT + US)

    result = acme.app.end_of_lease.record_payment_event(payment_event("paid", stale, acme.phone_id))

    assert result == "rejected"
    rejected = events(acme, acme.phone_id)[-1]
    assert isinstance(rejected, Device.BuyoutPaymentRejected)
    assert rejected.session_id == stale
    device = acme.device()
    assert (device.status, device.phase, device.checkout_session_id) == (
        DeviceStatus.ACTIVE,
        Phase.CHECKOUT_OPEN,
        current,
    )


@pytest.mark.parametrize(
    "amount",
    [Money.of("3419", "SEK"), Money.of("3420", "EUR"), None],
    ids=["wrong amount", "wrong currency", "no amount"],
)
def test_a_payment_of_the_wrong_amount_is_rejected_and_not_fulfilled(
    acme: Acme, amount: Money | None
) -> None:
    session_id = acme.start_buyout()

    result = acme.app.end_of_lease.record_payment_event(
        payment_event("paid", session_id, acme.phone_id, amount)
    )

    assert result == "rejected"
    assert acme.recorded()[-1] == "BuyoutPaymentRejected"
    assert acme.device().status == DeviceStatus.ACTIVE
    assert acme.device().paid_amount is None


def test_a_pending_payment_waits_for_its_outcome(acme: Acme) -> None:
    session_id = acme.start_buyout()
    version = acme.device().version

    assert acme.app.end_of_lease.record_payment_event(
        payment_event("pending", session_id, acme.phone_id)
    ) == ("ignored")
    assert acme.device().version == version


@pytest.mark.parametrize("device_id", [None, UUID(int=404)], ids=["no device", "unknown device"])
def test_a_payment_event_for_no_known_device_is_remembered_and_ignored(
    acme: Acme, device_id: UUID | None
) -> None:
    event = payment_event("paid", "cs_unknown", device_id)

    assert acme.app.end_of_lease.record_payment_event(event) == "ignored"
    assert acme.app.end_of_lease.record_payment_event(event) == "duplicate"
    record_id = natural_id("payment-event", event.provider_event_id)
    [recorded] = acme.app.events.get(record_id)
    assert isinstance(recorded, PaymentEventRecord.Recorded)
    assert (recorded.result, recorded.company_id) == ("ignored", None)


# --- R: overdue -------------------------------------------------------------------------------


def test_given_no_decision_by_r_then_the_scheduler_flags_the_device_overdue_and_it_stays_active(
    acme: Acme,
) -> None:
    assert acme.app.end_of_lease.advance(acme.phone_id, W.overdue_from - US) == 2
    assert acme.app.end_of_lease.advance(acme.phone_id, W.overdue_from) == 1

    shown = acme.app.end_of_lease.options(acme.admin, acme.phone_id, W.overdue_from)
    assert (shown.overdue, shown.status, shown.phase) == (True, DeviceStatus.ACTIVE, Phase.FINAL)
    assert acme.recorded()[-1] == "MarkedOverdue"
    assert acme.app.end_of_lease.advance(acme.phone_id, W.overdue_from + timedelta(days=7)) == 0


def test_an_overdue_device_can_still_be_bought_and_loses_its_flag(acme: Acme) -> None:
    acme.app.end_of_lease.advance(acme.phone_id, W.overdue_from)
    late = W.overdue_from + timedelta(days=1)

    session_id = acme.start_buyout(late)
    acme.app.end_of_lease.record_payment_event(
        payment_event("paid", session_id, acme.phone_id, acme.device().checkout_amount, when=late)
    )

    assert (acme.device().overdue, acme.device().status) == (
        False,
        DeviceStatus.ACTIVE_BOUGHT_BY_EMPLOYEE,
    )


# --- replacement, receipt and release ---------------------------------------------------------


def test_a_replacement_is_linked_to_the_old_device_and_goes_to_the_same_employee(
    acme: Acme,
) -> None:
    acme.buy()

    new_id = acme.register_replacement()

    new = acme.app.devices.get(acme.ann, new_id)  # Ann sees it: it is hers
    assert (new.replacement_for, new.assignee_id, new.serial) == (acme.phone_id, acme.ann_id, "")
    assert new.received is False
    assert new.status == DeviceStatus.IN_STOCK  # not active until received
    assert acme.device().replacement_id == new_id
    assert acme.recorded()[-1] == "ReplacementLinked"


def test_a_second_replacement_for_the_same_device_is_refused_and_nothing_is_registered(
    acme: Acme,
) -> None:
    acme.buy()
    acme.register_replacement()
    before = acme.head()

    with pytest.raises(RuleViolation, match="already has a linked replacement"):
        acme.register_replacement(serial="SN-SECOND")

    assert acme.head() == before


def test_release_is_refused_until_all_three_criteria_hold_naming_the_unmet_ones(
    acme: Acme,
) -> None:
    def unmet() -> list[str]:
        return acme.app.end_of_lease.options(acme.admin, acme.phone_id, LATER).release_unmet

    def release_is_refused(*missing: str) -> None:
        before = acme.head()
        with pytest.raises(RuleViolation, match="Cannot release the device yet") as refusal:
            acme.app.replacements.release(at(acme.admin, LATER), acme.phone_id)
        assert all(m in refusal.value.detail for m in missing)
        assert acme.head() == before

    with pytest.raises(RuleViolation, match="Only a device bought by its employee"):
        acme.app.replacements.release(at(acme.admin, LATER), acme.phone_id)  # not paid
    acme.buy()
    assert unmet() == ["no replacement device is linked"]
    release_is_refused("no replacement device is linked")

    new_id = acme.register_replacement()
    assert unmet() == [
        "the replacement is not received (active)",
        "the replacement has no serial number recorded",
    ]
    release_is_refused("not received", "no serial number")

    acme.app.replacements.mark_received(at(acme.ann, LATER), new_id)
    assert acme.app.devices.get(acme.ann, new_id).status == DeviceStatus.ACTIVE
    assert unmet() == ["the replacement has no serial number recorded"]
    release_is_refused("no serial number")

    acme.app.replacements.record_serial(at(acme.admin, LATER), new_id, "SN-NEW-17")
    assert unmet() == []
    assert "release" in acme.app.end_of_lease.options(acme.admin, acme.phone_id, LATER).actions
    assert "release" not in acme.app.end_of_lease.options(acme.ann, acme.phone_id, LATER).actions

    acme.app.replacements.release(at(acme.service, LATER), acme.phone_id)

    device = acme.device()
    assert device.status == DeviceStatus.BOUGHT_BY_EMPLOYEE
    released = events(acme, acme.phone_id)[-1]
    assert isinstance(released, Device.Released)
    assert (released.member_id, released.reason, released.actor) == (
        acme.ann_id,
        "replacement_received",
        acme.service.actor,
    )


def test_an_employee_may_not_release_even_when_everything_is_ready(acme: Acme) -> None:
    acme.buy()
    new_id = acme.register_replacement(serial="SN-NEW-17")
    acme.app.replacements.mark_received(at(acme.ann, LATER), new_id)

    with pytest.raises(NotAllowed):
        acme.app.replacements.release(at(acme.ann, LATER), acme.phone_id)

    acme.app.replacements.release(at(OPERATOR, LATER), acme.phone_id)  # operators may
    assert acme.device().status == DeviceStatus.BOUGHT_BY_EMPLOYEE


def test_a_serial_recorded_on_a_replacement_is_unique_in_the_company(acme: Acme) -> None:
    acme.buy()
    new_id = acme.register_replacement()

    with pytest.raises(AlreadyExists, match="SN-ANN-PHONE"):
        acme.app.replacements.record_serial(at(acme.admin, LATER), new_id, "SN-ANN-PHONE")

    assert acme.app.devices.get(acme.admin, new_id).serial == ""


def test_an_employee_marks_her_new_device_received_only_when_the_company_allows_it(
    acme: Acme,
) -> None:
    acme.buy()
    new_id = acme.register_replacement()
    acme.app.companies.change(
        at(acme.admin, LATER), acme.company_id, settings={"employees_mark_received": False}
    )

    with pytest.raises(NotAllowed, match="only its admins mark devices received"):
        acme.app.replacements.mark_received(at(acme.ann, LATER), new_id)

    assert acme.app.devices.get(acme.ann, new_id).received is False
    acme.app.replacements.mark_received(at(acme.admin, LATER), new_id)
    assert acme.app.devices.get(acme.ann, new_id).received is True


def test_given_auto_mark_received_when_the_order_is_delivered_then_the_device_is_active(
    acme: Acme,
) -> None:
    acme.buy()
    new_id = acme.register_replacement(serial="SN-NEW-17")
    acme.app.companies.change(
        at(acme.admin, LATER), acme.company_id, settings={"auto_mark_received": True}
    )

    acme.app.replacements.report_delivered(at(acme.service, LATER), new_id)

    new = acme.app.devices.get(acme.admin, new_id)
    assert (new.delivered, new.received, new.status) == (True, True, DeviceStatus.ACTIVE)
    assert acme.recorded(new_id)[-2:] == ["DeliveryReported", "MarkedReceived"]
    assert events(acme, new_id)[-1].method == "auto"
    assert acme.app.end_of_lease.options(acme.admin, acme.phone_id, LATER).release_unmet == []


def test_without_auto_mark_received_a_delivered_device_still_awaits_receipt(acme: Acme) -> None:
    acme.buy()
    new_id = acme.register_replacement(serial="SN-NEW-17")

    acme.app.replacements.report_delivered(at(acme.service, LATER), new_id)

    new = acme.app.devices.get(acme.admin, new_id)
    assert (new.delivered, new.received) == (True, False)
    assert acme.app.end_of_lease.options(acme.admin, acme.phone_id, LATER).release_unmet == [
        "the replacement is not received (active)"
    ]


# --- offboarding ------------------------------------------------------------------------------

LAST_DAY = date(2026, 10, 25)  # Sunday of the fall-back change: 05:00 CET = 04:00 UTC


def test_offboarding_release_is_available_from_05_00_on_the_last_day_without_a_replacement(
    acme: Acme,
) -> None:
    acme.buy()
    acme.app.members.set_last_employment_day(at(acme.admin, LATER), acme.ann_id, LAST_DAY)
    five = offboarding_release_from(LAST_DAY, STOCKHOLM)
    assert five == datetime(2026, 10, 25, 4, tzinfo=UTC)
    a_minute_early = five - timedelta(minutes=1)  # 04:59 local

    assert (
        "release"
        not in acme.app.end_of_lease.options(acme.admin, acme.phone_id, a_minute_early).actions
    )
    with pytest.raises(RuleViolation, match="no replacement device is linked"):
        acme.app.replacements.release(at(acme.admin, a_minute_early), acme.phone_id)

    assert "release" in acme.app.end_of_lease.options(acme.admin, acme.phone_id, five).actions
    acme.app.replacements.release(at(acme.admin, five), acme.phone_id)

    released = events(acme, acme.phone_id)[-1]
    assert (released.reason, released.member_id) == ("offboarding", acme.ann_id)
    assert acme.device().status == DeviceStatus.BOUGHT_BY_EMPLOYEE


# --- the return path --------------------------------------------------------------------------


def test_return_path_pending_return_then_replacement_received_then_returned_then_removed(
    acme: Acme,
) -> None:
    acme.app.end_of_lease.choose_return(at(acme.ann, CHECKOUT_AT), acme.phone_id)
    assert acme.device().status == DeviceStatus.ACTIVE_PENDING_RETURN
    new_id = acme.register_replacement(serial="SN-NEW-17")

    with pytest.raises(RuleViolation, match="once the replacement is received"):
        acme.app.replacements.confirm_return(at(acme.admin, LATER), acme.phone_id)
    with pytest.raises(RuleViolation, match="Only a returned device can be removed"):
        acme.app.replacements.remove(at(acme.admin, LATER), acme.phone_id)

    acme.app.replacements.mark_received(at(acme.ann, LATER), new_id)
    acme.app.replacements.confirm_return(at(acme.admin, LATER), acme.phone_id)
    assert acme.device().status == DeviceStatus.RETURNED

    acme.app.replacements.remove(at(acme.service, LATER), acme.phone_id)
    assert acme.device().status == DeviceStatus.REMOVED
    assert acme.recorded()[-4:] == [
        "ReturnChosen",
        "ReplacementLinked",
        "ReturnConfirmed",
        "Removed",
    ]


def test_a_return_cannot_be_confirmed_for_a_device_nobody_chose_to_return(acme: Acme) -> None:
    acme.buy()

    with pytest.raises(RuleViolation, match="chose to return it"):
        acme.app.replacements.confirm_return(at(acme.admin, LATER), acme.phone_id)


# --- rentals ----------------------------------------------------------------------------------


def a_rental(acme: Acme) -> UUID:
    rental = acme.a_device(
        "SN-RENT-1",
        category="laptop",
        contract_type=ContractType.RENTAL,
        lease_start=None,
        renewal_date=None,
    )
    acme.app.devices.assign(at(acme.admin, T_SETUP), rental, acme.ann_id)
    return rental


def test_an_rma_swap_hands_the_rental_and_the_employee_to_the_new_unit_in_one_go(
    acme: Acme,
) -> None:
    old_id = a_rental(acme)
    before = acme.head()

    outcome = acme.app.rentals.swap(at(acme.admin, LATER), old_id, serial="SN-RENT-2", model="X1")

    new = acme.app.devices.get(acme.ann, outcome.subject_id)
    old = acme.app.devices.get(acme.admin, old_id)
    assert (new.status, new.assignee_id, new.received) == (DeviceStatus.ACTIVE, acme.ann_id, True)
    assert (new.contract_type, new.rental_active, new.replacement_for) == (
        ContractType.RENTAL,
        True,
        old_id,
    )
    assert (new.category, new.company_cost) == (old.category, old.company_cost)
    assert (old.status, old.rental_active, old.replacement_id) == (
        DeviceStatus.RMA_PENDING,
        False,
        new.id,
    )
    # one commit: the new unit, the old one and the serial claim together
    swapped = acme.app.recorder.select_notifications(start=before + 1, limit=99)
    assert {n.originator_id for n in swapped} == {
        old_id,
        new.id,
        claim_id("device-serial", acme.company_id, "SN-RENT-2"),
    }
    assert outcome.position == acme.head()


def test_an_rma_swap_to_a_serial_already_in_use_changes_neither_unit(acme: Acme) -> None:
    old_id = a_rental(acme)
    version = acme.device(old_id).version
    before = acme.head()

    with pytest.raises(AlreadyExists, match="SN-ANN-PHONE"):
        acme.app.rentals.swap(at(acme.admin, LATER), old_id, serial="SN-ANN-PHONE", model="X1")

    assert acme.head() == before
    assert acme.device(old_id).version == version
    assert acme.device(old_id).status == DeviceStatus.ACTIVE


def test_an_rma_swap_needs_the_serial_of_the_unit_put_in_the_employees_hands(acme: Acme) -> None:
    """The new unit is received on the spot, so it is at hand and has a serial."""
    old_id = a_rental(acme)
    before = acme.head()

    with pytest.raises(InvalidValue, match="serial number cannot be blank"):
        acme.app.rentals.swap(at(acme.admin, LATER), old_id, serial="   ", model="X1")

    assert acme.head() == before


def test_only_an_active_rental_is_swapped_or_deactivated(acme: Acme) -> None:
    rental = a_rental(acme)
    acme.app.rentals.deactivate(at(acme.service, LATER), rental)

    assert acme.device(rental).rental_active is False
    assert acme.recorded(rental)[-1] == "RentalDeactivated"
    with pytest.raises(RuleViolation, match="no active rental"):
        acme.app.rentals.deactivate(at(acme.service, LATER), rental)
    with pytest.raises(RuleViolation, match="Only an active rental device can be swapped"):
        acme.app.rentals.swap(at(acme.admin, LATER), rental, serial="SN-R2", model="X1")
    with pytest.raises(RuleViolation, match="Only an active rental device can be swapped"):
        acme.app.rentals.swap(at(acme.admin, LATER), acme.phone_id, serial="SN-R3", model="X1")


# --- the weekly release digest ----------------------------------------------------------------

MONDAY_0900 = datetime(2026, 7, 27, 7, tzinfo=UTC)  # Monday 27 July 09:00 CEST, ISO week 31


def ready_to_release(acme: Acme) -> None:
    acme.buy()
    new_id = acme.register_replacement(serial="SN-NEW-17")
    acme.app.replacements.mark_received(at(acme.ann, LATER), new_id)


def digests(acme: Acme) -> list[Company.ReleaseDigestSent]:
    return [e for e in events(acme, acme.company_id) if isinstance(e, Company.ReleaseDigestSent)]


def test_the_monday_digest_lists_the_devices_ready_to_release_for_the_admins(acme: Acme) -> None:
    ready_to_release(acme)

    sent = acme.app.replacements.send_release_digest(acme.company_id, [acme.phone_id], MONDAY_0900)

    assert sent is True
    [digest] = digests(acme)
    assert digest.week == "2026-W31"
    assert digest.recipients == ["boss@acme.example"]
    assert digest.devices == [
        {
            "device_id": str(acme.phone_id),
            "serial": "SN-ANN-PHONE",
            "model": "iPhone 15",
            "buyer": "Ann",
        }
    ]
    assert (digest.at, digest.actor.role) == (MONDAY_0900, Role.SYSTEM)


def test_the_digest_goes_to_the_admins_of_its_own_company_only(acme: Acme, globex: Acme) -> None:
    # Given two companies in one store, each with an admin (boss@acme…, boss@globex…)
    ready_to_release(acme)

    acme.app.replacements.send_release_digest(acme.company_id, [acme.phone_id], MONDAY_0900)

    [digest] = digests(acme)
    assert digest.recipients == ["boss@acme.example"]


def test_the_digest_is_sent_once_a_week_and_again_the_next_monday(acme: Acme) -> None:
    ready_to_release(acme)

    first = acme.app.replacements.send_release_digest(acme.company_id, [acme.phone_id], MONDAY_0900)
    again = acme.app.replacements.send_release_digest(acme.company_id, [acme.phone_id], MONDAY_0900)
    thursday = acme.app.replacements.send_release_digest(
        acme.company_id, [acme.phone_id], MONDAY_0900 + timedelta(days=3)
    )
    # Sunday 23:30 local is still week 31; Monday 00:30 local (Sunday 22:30 UTC) is week 32.
    sunday_night = acme.app.replacements.send_release_digest(
        acme.company_id, [acme.phone_id], datetime(2026, 8, 2, 21, 30, tzinfo=UTC)
    )
    next_monday = acme.app.replacements.send_release_digest(
        acme.company_id, [acme.phone_id], datetime(2026, 8, 2, 22, 30, tzinfo=UTC)
    )

    assert (first, again, thursday, sunday_night, next_monday) == (True, False, False, False, True)
    assert [d.week for d in digests(acme)] == ["2026-W31", "2026-W32"]


def test_no_digest_when_nothing_is_ready_and_other_companies_devices_are_left_out(
    acme: Acme, globex: Acme
) -> None:
    acme.buy()  # bought, but no replacement yet
    ready_to_release(globex)

    sent = acme.app.replacements.send_release_digest(
        acme.company_id, [acme.phone_id, globex.phone_id], MONDAY_0900
    )

    assert sent is False
    assert digests(acme) == []
