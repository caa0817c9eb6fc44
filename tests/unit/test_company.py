"""Company: the tenant — its name, currency, time zone, VAT rate and feature settings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.actor import Actor, Role
from domain.model.company import DEFAULT_SETTINGS, DEFAULT_VAT_RATE, Company
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from domain.model.time import DEFAULT_TIME_ZONE

ACME = UUID("00000000-0000-4000-8000-00000000acde")
OPERATOR = Actor("op-1", Role.OPERATOR)
ADMIN = Actor("acme-admin", Role.ADMIN)
# Business time, deliberately far from the library's recording `timestamp` (now).
T0 = datetime(2021, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 3, 14, 30, tzinfo=UTC)


def cause(actor: Actor = OPERATOR, at: datetime = T0, correlation_id: str = "req-1") -> Cause:
    return Cause(actor=actor, at=at, correlation_id=correlation_id)


def register(**overrides: Any) -> Company:
    arguments: dict[str, Any] = {
        "company_id": ACME,
        "name": "Acme AB",
        "currency": "SEK",
        "cause": cause(),
    }
    arguments.update(overrides)
    return Company.register(**arguments)


def a_registered_company(**overrides: Any) -> Company:
    company = register(**overrides)
    company.collect_events()
    return company


def state(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "currency": company.currency,
        "time_zone": company.time_zone,
        "vat_rate": company.vat_rate,
        "settings": dict(company.settings),
        "version": company.version,
    }


# --- registering --------------------------------------------------------------------------


def test_a_registered_company_has_the_defaults_it_was_not_given() -> None:
    company = register()

    assert company.id == ACME
    assert company.name == "Acme AB"
    assert company.currency == "SEK"
    assert company.time_zone == DEFAULT_TIME_ZONE
    assert company.vat_rate == DEFAULT_VAT_RATE
    assert company.settings == DEFAULT_SETTINGS


def test_registering_records_one_fact_stamped_with_actor_business_time_and_correlation() -> None:
    company = register(
        name="  Acme AB ",
        currency="EUR",
        time_zone="Europe/Helsinki",
        vat_rate=Decimal("25.5"),
        settings={"device_buyout": True},
    )

    [registered] = company.collect_events()

    assert isinstance(registered, Company.Registered)
    assert registered.originator_id == ACME
    assert registered.name == "Acme AB"
    assert registered.currency == "EUR"
    assert registered.time_zone == "Europe/Helsinki"
    assert registered.vat_rate == Decimal("25.5")
    assert registered.settings == {**DEFAULT_SETTINGS, "device_buyout": True}
    assert registered.actor == OPERATOR
    assert registered.at == T0
    assert registered.at != registered.timestamp  # business time, not recording time
    assert registered.correlation_id == "req-1"
    assert registered.company_id == ACME  # a company is its own tenant


def test_settings_given_at_registration_override_only_those_defaults() -> None:
    company = register(settings={"auto_mark_received": True, "buyout_receipts": False})

    assert company.settings == {
        **DEFAULT_SETTINGS,
        "auto_mark_received": True,
        "buyout_receipts": False,
    }


def test_registration_does_not_share_the_default_settings_dict() -> None:
    company = register()
    company.change(settings={"device_buyout": True}, cause=cause())

    assert DEFAULT_SETTINGS["device_buyout"] is False


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_company_without_a_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidValue, match="needs a name"):
        register(name=name)


@pytest.mark.parametrize("currency", ["XXX", "sek", "", "SEKK", "XAU"])
def test_a_company_in_an_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(InvalidValue, match="unknown currency"):
        register(currency=currency)


@pytest.mark.parametrize("time_zone", ["Mars/Olympus_Mons", "", "Europe/stockholm!"])
def test_a_company_in_an_unknown_time_zone_is_refused(time_zone: str) -> None:
    with pytest.raises(InvalidValue, match="time zone"):
        register(time_zone=time_zone)


@pytest.mark.parametrize(
    "vat_rate", [Decimal("-0.01"), Decimal("100.01"), Decimal("-1"), Decimal("250")]
)
def test_a_vat_rate_outside_0_to_100_percent_is_refused(vat_rate: Decimal) -> None:
    with pytest.raises(InvalidValue, match="between 0 and 100"):
        register(vat_rate=vat_rate)


def test_a_vat_rate_that_is_not_a_number_is_refused_as_an_invalid_value() -> None:
    """NaN is not between 0 and 100; the refusal must be a typed domain error, not a crash."""
    with pytest.raises(InvalidValue, match="between 0 and 100"):
        register(vat_rate=Decimal("NaN"))
    company = a_registered_company()
    with pytest.raises(InvalidValue, match="between 0 and 100"):
        company.change(vat_rate=Decimal("NaN"), cause=cause(ADMIN, T1))


@pytest.mark.parametrize("vat_rate", [Decimal("0"), Decimal("100"), Decimal("12.5")])
def test_a_vat_rate_from_0_to_100_percent_inclusive_is_accepted(vat_rate: Decimal) -> None:
    assert register(vat_rate=vat_rate).vat_rate == vat_rate


def test_an_unknown_setting_is_refused_and_named() -> None:
    with pytest.raises(InvalidValue, match="Unknown company settings: colour, dark_mode"):
        register(settings={"dark_mode": True, "colour": False, "device_buyout": True})


@pytest.mark.parametrize("value", [1, 0, "true", None, "yes"])
def test_a_setting_that_is_not_true_or_false_is_refused(value: object) -> None:
    with pytest.raises(InvalidValue, match="'device_buyout' must be true or false"):
        register(settings={"device_buyout": value})


# --- changing -----------------------------------------------------------------------------


def test_renaming_records_the_new_name_stamped_with_the_company() -> None:
    company = a_registered_company()

    company.change(name=" Acme Group ", cause=cause(ADMIN, T1, "req-2"))

    [renamed] = company.collect_events()
    assert isinstance(renamed, Company.Renamed)
    assert renamed.name == "Acme Group"
    assert (renamed.actor, renamed.at, renamed.correlation_id, renamed.company_id) == (
        ADMIN,
        T1,
        "req-2",
        ACME,
    )
    assert company.name == "Acme Group"


def test_changing_the_vat_rate_records_it() -> None:
    company = a_registered_company()

    company.change(vat_rate=Decimal("12"), cause=cause(ADMIN, T1, "req-2"))

    [changed] = company.collect_events()
    assert isinstance(changed, Company.VatRateChanged)
    assert changed.vat_rate == Decimal("12")
    assert (changed.actor, changed.at, changed.company_id) == (ADMIN, T1, ACME)
    assert company.vat_rate == Decimal("12")


def test_moving_the_company_to_another_time_zone_records_it() -> None:
    company = a_registered_company()

    company.change(time_zone="America/New_York", cause=cause(ADMIN, T1, "req-2"))

    [moved] = company.collect_events()
    assert isinstance(moved, Company.TimeZoneChanged)
    assert moved.time_zone == "America/New_York"
    assert (moved.actor, moved.at, moved.company_id) == (ADMIN, T1, ACME)
    assert company.time_zone == "America/New_York"


def test_changing_settings_records_only_the_settings_that_differ() -> None:
    company = a_registered_company()

    company.change(
        settings={"device_buyout": True, "buyout_receipts": True, "auto_mark_received": False},
        cause=cause(ADMIN, T1, "req-2"),
    )

    [changed] = company.collect_events()
    assert isinstance(changed, Company.SettingsChanged)
    assert changed.changes == {"device_buyout": True}
    assert (changed.actor, changed.at, changed.company_id) == (ADMIN, T1, ACME)
    assert company.settings == {**DEFAULT_SETTINGS, "device_buyout": True}


def test_a_change_of_several_things_records_one_fact_per_thing_that_differs() -> None:
    company = a_registered_company()

    company.change(
        name="Acme AB",  # the same
        vat_rate=Decimal("6"),
        time_zone=DEFAULT_TIME_ZONE,  # the same
        settings={"employees_mark_received": False},
        cause=cause(ADMIN, T1),
    )

    events = company.collect_events()
    assert [type(e) for e in events] == [Company.VatRateChanged, Company.SettingsChanged]
    assert company.version == 3


def test_a_change_to_what_already_is_records_nothing() -> None:
    company = a_registered_company(vat_rate=Decimal("25"))
    before = state(company)

    company.change(
        name="  Acme AB  ",
        vat_rate=Decimal("25.00"),
        time_zone=DEFAULT_TIME_ZONE,
        settings=dict(DEFAULT_SETTINGS),
        cause=cause(ADMIN, T1),
    )

    assert company.collect_events() == []
    assert state(company) == before


def test_a_change_that_names_nothing_records_nothing() -> None:
    company = a_registered_company()

    company.change(settings={}, cause=cause(ADMIN, T1))

    assert company.collect_events() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "   "}, "needs a name"),
        ({"vat_rate": Decimal("100.5")}, "between 0 and 100"),
        ({"vat_rate": Decimal("-3")}, "between 0 and 100"),
        ({"time_zone": "Atlantis/Capital"}, "time zone"),
        ({"settings": {"dark_mode": True}}, "Unknown company settings: dark_mode"),
        ({"settings": {"device_buyout": "on"}}, "must be true or false"),
        ({"settings": {"device_buyout": True, "dark_mode": True}}, "Unknown company settings"),
    ],
    ids=[
        "blank-name",
        "vat-above-100",
        "vat-below-0",
        "unknown-zone",
        "unknown-setting",
        "non-bool-setting",
        "one-good-one-unknown-setting",
    ],
)
def test_a_refused_change_records_nothing(change: dict[str, Any], message: str) -> None:
    company = a_registered_company()
    before = state(company)

    with pytest.raises(InvalidValue, match=message):
        company.change(**change, cause=cause(ADMIN, T1))

    assert company.collect_events() == []
    assert state(company) == before


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Acme Group", "vat_rate": Decimal("101")},
        {"vat_rate": Decimal("12"), "time_zone": "Atlantis/Capital"},
        {"time_zone": "Europe/Oslo", "settings": {"dark_mode": True}},
    ],
    ids=["rename+bad-vat", "vat+bad-zone", "zone+bad-setting"],
)
def test_a_change_refused_for_one_field_records_nothing_for_the_others(
    change: dict[str, Any],
) -> None:
    """A command checks every rule before it records anything: a refusal changes nothing."""
    company = a_registered_company()
    before = state(company)

    with pytest.raises(InvalidValue):
        company.change(**change, cause=cause(ADMIN, T1))

    assert company.collect_events() == []
    assert state(company) == before


# --- properties ---------------------------------------------------------------------------

setting_names = st.sampled_from(sorted(DEFAULT_SETTINGS))
valid_settings = st.dictionaries(setting_names, st.booleans(), max_size=len(DEFAULT_SETTINGS))
invalid_settings = st.one_of(
    st.dictionaries(setting_names, st.sampled_from([0, 1, "true", None]), min_size=1).flatmap(
        lambda bad: valid_settings.map(lambda good: {**good, **bad})
    ),
    st.dictionaries(
        st.sampled_from(["dark_mode", "colour", "Device_Buyout", ""]), st.booleans(), min_size=1
    ).flatmap(lambda bad: valid_settings.map(lambda good: {**good, **bad})),
)
setting_requests = st.lists(st.one_of(valid_settings, invalid_settings), max_size=12)


@given(requests=setting_requests)
def test_settings_end_as_the_defaults_updated_by_every_accepted_change(
    requests: list[dict[str, Any]],
) -> None:
    company = a_registered_company()
    expected = dict(DEFAULT_SETTINGS)

    for request in requests:
        valid = set(request) <= set(DEFAULT_SETTINGS) and all(
            isinstance(v, bool) for v in request.values()
        )
        before = dict(company.settings)
        if valid:
            company.change(settings=request, cause=cause(ADMIN, T1))
            expected.update(request)
        else:
            with pytest.raises(InvalidValue):
                company.change(settings=request, cause=cause(ADMIN, T1))
        recorded = company.collect_events()
        changed = {k: v for k, v in request.items() if before.get(k) != v} if valid else {}
        # Exactly the differences are recorded, or nothing at all.
        assert [e.changes for e in recorded] == ([changed] if changed else [])

    assert company.settings == expected


@given(requests=st.lists(valid_settings, max_size=8))
def test_replaying_the_recorded_setting_changes_gives_the_same_settings(
    requests: list[dict[str, bool]],
) -> None:
    company = register()
    for request in requests:
        company.change(settings=request, cause=cause(ADMIN, T1))
    events = company.collect_events()

    replayed: Company | None = None
    for recorded in events:
        replayed = recorded.mutate(replayed)

    assert replayed is not None
    assert replayed.settings == company.settings
    assert replayed.version == company.version
