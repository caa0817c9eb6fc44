"""Which price a buyout costs (SPEC §2.1): the one function every view and command uses, both
on its own (resolve_price) and as the application answers it (price_of, valuation_chart)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.buyout_price import (
    CategoryValuation,
    ManualPrice,
    PriceSource,
    Quote,
    resolve_price,
)
from domain.model.device import ContractType
from domain.model.errors import InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.valuation import STANDARD_CURVES, Curve, chart
from tests.apps import in_memory_app

SEK = "SEK"
PHONE_COST = Money.of("12000", SEK)
LEASE_START = date(2024, 1, 15)
THIRTY_MONTHS_ON = date(2026, 7, 15)  # 30 completed months after LEASE_START
T_ON = datetime(2026, 1, 10, 9, tzinfo=UTC)  # automatic valuation switched on
BEFORE = T_ON - timedelta(days=1)
AFTER = T_ON + timedelta(days=1)
SEVENTY = Curve(points=((0, Decimal(90)), (60, Decimal(30))), floor=Decimal(20))


def sek(amount: str | int) -> Money:
    return Money.of(amount, SEK)


def price(**overrides: Any) -> Quote | None:
    """The worked example's phone, buyout on, automatic valuation on, unless overridden."""
    arguments: dict[str, Any] = {
        "buyout_enabled": True,
        "available": True,
        "company_cost": PHONE_COST,
        "category": "phone",
        "valued_from": LEASE_START,
        "manual": None,
        "valuation": CategoryValuation(enabled=True, enabled_at=T_ON, custom_curve=None),
        "on": THIRTY_MONTHS_ON,
    }
    arguments.update(overrides)
    return resolve_price(**arguments)


# --- resolve_price --------------------------------------------------------------------------


def test_worked_example_a_12000_sek_phone_after_30_months_costs_3420_sek_on_its_curve() -> None:
    assert price() == Quote(sek(3420), PriceSource.STANDARD_CURVE)


def test_given_the_company_turned_buyouts_off_then_there_is_no_price_not_even_a_manual_one() -> (
    None
):
    assert price(buyout_enabled=False) is None
    assert price(buyout_enabled=False, manual=ManualPrice(sek(999), AFTER)) is None


def test_given_the_device_is_not_available_for_buyout_then_there_is_no_price() -> None:
    assert price(available=False) is None
    assert price(available=False, manual=ManualPrice(sek(999), AFTER)) is None


def test_given_a_manual_price_set_after_automatic_valuation_was_enabled_then_it_wins() -> None:
    assert price(manual=ManualPrice(sek(2500), AFTER)) == Quote(sek(2500), PriceSource.MANUAL)


def test_given_a_manual_price_set_before_automatic_valuation_was_enabled_then_the_curve_wins() -> (
    None
):
    assert price(manual=ManualPrice(sek(2500), BEFORE)) == Quote(
        sek(3420), PriceSource.STANDARD_CURVE
    )


def test_given_a_manual_price_set_at_the_very_instant_of_enabling_then_enabling_wins() -> None:
    assert price(manual=ManualPrice(sek(2500), T_ON)).source == PriceSource.STANDARD_CURVE


def test_given_automatic_valuation_off_then_only_a_manual_price_gives_a_price() -> None:
    off = CategoryValuation(enabled=False, enabled_at=T_ON, custom_curve=None)

    assert price(valuation=off) is None
    assert price(valuation=None) is None
    assert price(valuation=off, manual=ManualPrice(sek(2500), BEFORE)) == Quote(
        sek(2500), PriceSource.MANUAL
    )


def test_given_a_custom_curve_then_it_replaces_the_standard_one() -> None:
    custom = CategoryValuation(enabled=True, enabled_at=T_ON, custom_curve=SEVENTY)

    # 30 months: 90 − 60 × 30/60 = 60 % of 12 000
    assert price(valuation=custom) == Quote(sek(7200), PriceSource.CUSTOM_CURVE)


def test_given_a_category_without_a_standard_curve_then_no_price_unless_a_custom_curve() -> None:
    on = CategoryValuation(enabled=True, enabled_at=T_ON, custom_curve=None)
    custom = CategoryValuation(enabled=True, enabled_at=T_ON, custom_curve=SEVENTY)

    assert price(category="headset", valuation=on) is None
    assert price(category="headset", valuation=custom) == Quote(sek(7200), PriceSource.CUSTOM_CURVE)


def test_given_no_date_to_value_from_then_the_curve_gives_no_price() -> None:
    assert price(valued_from=None) is None


def test_the_curve_is_read_on_the_local_date_asked_for() -> None:
    # One day short of 31 months the price is the 30-month price; at 31 months it drops.
    assert price(on=date(2026, 8, 14)).amount == sek(3420)
    assert price(on=date(2026, 8, 15)).amount == sek(3290)  # 35 − 13 × 7/12 % → 3 290


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
manual_prices = st.builds(
    ManualPrice, amount=st.integers(1, 10**9).map(lambda n: Money(n, SEK)), set_at=instants
)
valuations = st.none() | st.builds(
    CategoryValuation,
    enabled=st.booleans(),
    enabled_at=st.none() | instants,
    custom_curve=st.none() | st.just(SEVENTY),
)


@given(
    buyout_enabled=st.booleans(),
    available=st.booleans(),
    category=st.sampled_from([*STANDARD_CURVES, "headset", "accessory"]),
    manual=st.none() | manual_prices,
    valuation=valuations,
    on=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
)
def test_the_price_follows_the_order_of_precedence(
    buyout_enabled: bool,
    available: bool,
    category: str,
    manual: ManualPrice | None,
    valuation: CategoryValuation | None,
    on: date,
) -> None:
    quote = price(
        buyout_enabled=buyout_enabled,
        available=available,
        category=category,
        manual=manual,
        valuation=valuation,
        on=on,
    )

    automatic = valuation is not None and valuation.enabled
    if not (buyout_enabled and available):
        assert quote is None
    elif manual is not None and (
        not automatic or valuation.enabled_at is None or manual.set_at > valuation.enabled_at
    ):
        assert quote == Quote(manual.amount, PriceSource.MANUAL)
    elif not automatic:
        assert quote is None
    elif valuation.custom_curve is not None:
        assert quote is not None
        assert quote.source == PriceSource.CUSTOM_CURVE
    elif category in STANDARD_CURVES:
        assert quote is not None
        assert quote.source == PriceSource.STANDARD_CURVE
    else:
        assert quote is None
    if quote is not None and quote.source != PriceSource.MANUAL:
        assert Money.zero(SEK) <= quote.amount <= PHONE_COST


# --- the application: price_of ----------------------------------------------------------------

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def at(caller: Caller, when: datetime) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, "req-p"))


class World:
    """A company with buyouts on (unless told otherwise), its admin, and a phone bought for
    12 000 SEK on 15 January 2024, leased until 15 January 2027."""

    def __init__(self, app: LessorApplication, *, settings: dict[str, bool] | None = None) -> None:
        self.app = app
        self.company_id = app.companies.register(
            at(OPERATOR, T0),
            name="Acme AB",
            currency=SEK,
            time_zone="Europe/Stockholm",
            vat_rate=Decimal("25"),
            settings={"device_buyout": True} if settings is None else settings,
        ).subject_id
        self.admin = Caller(Actor("tok-acme-admin", Role.ADMIN), company_id=self.company_id)
        self.device_id = self.a_device("SN-PHONE", "phone")

    def a_device(self, serial: str, category: str) -> UUID:
        return self.app.devices.register(
            at(self.admin, T0),
            company_id=self.company_id,
            serial=serial,
            model="iPhone 15",
            category=category,
            company_cost=PHONE_COST,
            contract_type=ContractType.LEASED,
            lease_start=LEASE_START,
            renewal_date=date(2027, 1, 15),
        ).subject_id

    def price(self, when: datetime, device_id: UUID | None = None) -> Quote | None:
        device = self.app.devices.get(self.admin, device_id or self.device_id)
        company = self.app.companies.read(self.admin, self.company_id)
        return self.app.valuation.price_of(device, company, when)

    def enable(self, when: datetime, category: str = "phone", enabled: bool = True) -> None:
        self.app.valuation.set_automatic(at(self.admin, when), self.company_id, category, enabled)

    def set_manual(self, when: datetime, amount: Money | None) -> None:
        self.app.valuation.set_buyout_price(at(self.admin, when), self.device_id, amount)


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.fixture
def world(app: LessorApplication) -> World:
    return World(app)


SUMMER = datetime(2026, 7, 15, 10, tzinfo=UTC)  # 30 months after the lease start


def test_given_automatic_valuation_for_phones_then_the_app_prices_the_worked_example(
    world: World,
) -> None:
    world.enable(T0)

    assert world.price(SUMMER) == Quote(sek(3420), PriceSource.STANDARD_CURVE)


def test_the_price_is_read_on_the_companys_local_date_not_the_utc_one(world: World) -> None:
    world.enable(T0)
    # 14 August 22:30 UTC is already 15 August in Stockholm: 31 completed months.
    assert world.price(datetime(2026, 8, 14, 21, 59, tzinfo=UTC)).amount == sek(3420)
    assert world.price(datetime(2026, 8, 14, 22, 30, tzinfo=UTC)).amount == sek(3290)


def test_given_buyouts_are_off_for_the_company_then_the_app_has_no_price(
    app: LessorApplication,
) -> None:
    world = World(app, settings={})
    world.enable(T0)
    world.set_manual(T0 + timedelta(hours=1), sek(2000))

    assert world.price(SUMMER) is None


def test_given_the_device_is_made_unavailable_then_the_app_has_no_price_until_available_again(
    world: World,
) -> None:
    world.enable(T0)
    world.app.valuation.set_buyout_availability(at(world.admin, T0), world.device_id, False)

    assert world.price(SUMMER) is None

    world.app.valuation.set_buyout_availability(at(world.admin, T0), world.device_id, True)
    assert world.price(SUMMER) == Quote(sek(3420), PriceSource.STANDARD_CURVE)


def test_a_manual_price_wins_until_automatic_valuation_is_re_enabled_then_a_newer_one_wins_again(
    world: World,
) -> None:
    t = T0
    world.enable(t)
    world.set_manual(t + timedelta(days=1), sek(2500))
    assert world.price(SUMMER) == Quote(sek(2500), PriceSource.MANUAL)

    world.enable(t + timedelta(days=2))  # re-enabled: overrides every older manual price
    assert world.price(SUMMER) == Quote(sek(3420), PriceSource.STANDARD_CURVE)

    world.set_manual(t + timedelta(days=3), sek(2000))
    assert world.price(SUMMER) == Quote(sek(2000), PriceSource.MANUAL)


def test_re_enabling_for_another_category_leaves_this_categorys_manual_price_alone(
    world: World,
) -> None:
    world.enable(T0)
    world.set_manual(T0 + timedelta(days=1), sek(2500))

    world.enable(T0 + timedelta(days=2), category="laptop")

    assert world.price(SUMMER) == Quote(sek(2500), PriceSource.MANUAL)


def test_given_automatic_valuation_off_then_a_manual_price_stays_until_cleared(
    world: World,
) -> None:
    world.set_manual(T0, sek(2500))
    assert world.price(SUMMER) == Quote(sek(2500), PriceSource.MANUAL)

    world.set_manual(T0 + timedelta(days=1), None)

    assert world.price(SUMMER) is None


def test_switching_automatic_valuation_off_removes_the_curve_price(world: World) -> None:
    world.enable(T0)
    world.enable(T0 + timedelta(days=1), enabled=False)

    assert world.price(SUMMER) is None


def test_saving_a_custom_curve_recalculates_the_price_and_clearing_it_restores_the_standard(
    world: World,
) -> None:
    world.enable(T0)
    assert world.price(SUMMER) == Quote(sek(3420), PriceSource.STANDARD_CURVE)

    world.app.valuation.save_custom_curve(at(world.admin, T0), world.company_id, "Phone", SEVENTY)
    assert world.price(SUMMER) == Quote(sek(7200), PriceSource.CUSTOM_CURVE)

    world.app.valuation.clear_custom_curve(at(world.admin, T0), world.company_id, "phone")
    assert world.price(SUMMER) == Quote(sek(3420), PriceSource.STANDARD_CURVE)


def test_clearing_a_custom_curve_that_does_not_exist_is_refused(world: World) -> None:
    with pytest.raises(RuleViolation, match="no custom curve for 'phone'"):
        world.app.valuation.clear_custom_curve(at(world.admin, T0), world.company_id, "phone")


def test_a_category_without_a_standard_curve_has_no_price_until_a_custom_curve_is_saved(
    world: World,
) -> None:
    headset = world.a_device("SN-HEADSET", "headset")
    with pytest.raises(InvalidValue, match="no standard curve for 'headset'"):
        world.enable(T0, category="headset")
    assert world.price(SUMMER, headset) is None

    world.app.valuation.save_custom_curve(at(world.admin, T0), world.company_id, "headset", SEVENTY)
    assert world.price(SUMMER, headset) is None  # saved, but automatic valuation is still off
    world.enable(T0 + timedelta(hours=1), category="headset")

    assert world.price(SUMMER, headset) == Quote(sek(7200), PriceSource.CUSTOM_CURVE)


def test_only_admins_and_operators_change_valuation_settings(world: World) -> None:
    service = Caller(Actor("tok-acme-svc", Role.SERVICE), company_id=world.company_id)

    with pytest.raises(NotAllowed):
        world.app.valuation.set_automatic(at(service, T0), world.company_id, "phone", True)
    with pytest.raises(NotAllowed):
        world.app.valuation.save_custom_curve(at(service, T0), world.company_id, "phone", SEVENTY)
    world.app.valuation.set_automatic(at(OPERATOR, T0), world.company_id, "phone", True)


def test_a_manual_price_in_another_currency_or_not_positive_is_refused(world: World) -> None:
    with pytest.raises(InvalidValue, match="must be in SEK"):
        world.set_manual(T0, Money.of("100", "EUR"))
    with pytest.raises(InvalidValue, match="must be positive"):
        world.set_manual(T0, sek(0))


# --- the application: valuation_chart ---------------------------------------------------------


def test_the_chart_shows_the_standard_and_the_custom_curve_month_by_month(world: World) -> None:
    world.enable(T0)
    world.app.valuation.save_custom_curve(at(world.admin, T0), world.company_id, "phone", SEVENTY)

    shown = world.app.valuation.chart(world.admin, world.company_id, " Phone ")

    assert shown == {
        "category": "phone",
        "automatic": True,
        "standard": chart(STANDARD_CURVES["phone"], 60),
        "custom": chart(SEVENTY, 60),
    }
    assert shown["standard"][30] == (30, Decimal("28.50"))
    assert shown["custom"][30] == (30, Decimal("60.00"))


def test_the_chart_of_a_category_without_curves_shows_neither(world: World) -> None:
    shown = world.app.valuation.chart(world.admin, world.company_id, "headset", months=12)

    assert shown == {"category": "headset", "automatic": False, "standard": None, "custom": None}


def test_the_chart_can_be_shorter_or_longer_than_five_years(world: World) -> None:
    shown = world.app.valuation.chart(world.admin, world.company_id, "laptop", months=72)

    assert [month for month, _ in shown["standard"]] == list(range(73))
    assert shown["custom"] is None


def test_employees_do_not_see_the_valuation_chart_and_other_tenants_get_not_found(
    world: World, app: LessorApplication
) -> None:
    employee = Caller(Actor("tok-ann", Role.EMPLOYEE), company_id=world.company_id)
    globex = World(app)
    globex_admin = globex.admin

    with pytest.raises(NotAllowed):
        app.valuation.chart(employee, world.company_id, "phone")
    with pytest.raises(NotFound):
        app.valuation.chart(globex_admin, world.company_id, "phone")
