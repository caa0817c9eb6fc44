"""Stored history stays readable: the golden fixture decodes with today's code, forever.

tests/golden/stored_records.jsonl holds events and snapshots exactly as earlier code stored
them (SQLite and PostgreSQL rows, state bytes as text; see tests/golden/make_fixture.py).
Each record goes back into a store through the recorder and is read the way the application
reads it. Never edit the fixture: change the code (class_version + upcaster, ADR 0008) and
append records for new classes and versions.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from domain.application import LessorApplication
from domain.model.actor import Actor
from domain.model.money import Money
from domain.model.price_import import Change
from domain.model.valuation import Curve
from tests.apps import ports
from tests.unit.test_event_serialisation import model_aggregates, model_event_classes

FIXTURE = Path(__file__).parents[1] / "golden" / "stored_records.jsonl"
RECORDS: list[dict[str, Any]] = [
    json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines()
]
STORES = ("sqlite", "postgres")
FIRST = "7c47c1b"  # the generation written before any class had a class_version


def record_id(record: dict[str, Any]) -> str:
    name = record["topic"].rsplit(":", 1)[1]
    if record["kind"] == "snapshot":
        name = json.loads(record["state"])["topic"].rsplit(":", 1)[1] + ".snapshot"
    return f"{record['generation']}-{record['store']}-{name}-v{record['originator_version']}"


def stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(record["originator_id"]),
        originator_version=record["originator_version"],
        topic=record["topic"],
        state=record["state"].encode("utf-8"),
    )


def stored_class_version(record: dict[str, Any]) -> int:
    state = json.loads(record["state"])
    if record["kind"] == "snapshot":
        state = state["state"]
    return int(state.get("class_version", 1))


def class_version(cls: type) -> int:
    return int(getattr(cls, "class_version", 1))


@cache
def store(generation: str, kind: str, *, with_snapshots: bool) -> LessorApplication:
    """A fresh store holding one generation's records of one store kind."""
    app = LessorApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}, **ports()
    )
    mine = [r for r in RECORDS if (r["generation"], r["store"]) == (generation, kind)]
    app.recorder.insert_events([stored(r) for r in mine if r["kind"] == "event"])
    if with_snapshots:
        assert app.snapshots is not None
        app.snapshots.recorder.insert_events([stored(r) for r in mine if r["kind"] == "snapshot"])
    return app


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


# --- the fixture covers today's model ---------------------------------------------------------


def covered(kind: str) -> dict[str, set[tuple[type, int]]]:
    """Per store: the (class, class_version) pairs the fixture holds records of."""
    found: dict[str, set[tuple[type, int]]] = defaultdict(set)
    for record in RECORDS:
        if record["kind"] == kind:
            topic = record["topic"]
            if kind == "snapshot":
                topic = json.loads(record["state"])["topic"]
            found[record["store"]].add((resolve_topic(topic), stored_class_version(record)))
    return found


def test_every_event_class_has_a_golden_record_at_its_class_version_in_both_stores() -> None:
    for kind in STORES:
        missing = sorted(
            f"{cls.__qualname__} v{class_version(cls)}"
            for cls in model_event_classes()
            if (cls, class_version(cls)) not in covered("event")[kind]
        )
        assert missing == [], f"{kind}: run tests/golden/make_fixture.py to append: {missing}"


def test_every_aggregate_has_a_golden_snapshot_at_its_class_version_in_both_stores() -> None:
    for kind in STORES:
        missing = sorted(
            f"{cls.__qualname__} v{class_version(cls)}"
            for cls in model_aggregates()
            if (cls, class_version(cls)) not in covered("snapshot")[kind]
        )
        assert missing == [], f"{kind}: run tests/golden/make_fixture.py to append: {missing}"


def test_the_first_generation_is_there_and_stores_ids_in_each_stores_own_shape() -> None:
    first = [r for r in RECORDS if r["generation"] == FIRST]
    by_store = {kind: [r for r in first if r["store"] == kind] for kind in STORES}

    assert len(by_store["sqlite"]) == len(by_store["postgres"]) > 100
    assert all("-" not in r["originator_id"] for r in by_store["sqlite"])  # uuid hex text
    assert all(str(UUID(r["originator_id"])) == r["originator_id"] for r in by_store["postgres"])


def test_every_aggregate_and_event_class_declares_its_class_version() -> None:
    """Declared on the class itself, not inherited, so a change to it shows in the diff.
    (The library redefines each nested event under its own name, and Device's nested events
    subclass their fact of the same name in device_events.py: any of these may hold it.)"""
    undeclared = sorted(
        cls.__qualname__
        for cls in [*model_aggregates(), *model_event_classes()]
        if not any(
            "class_version" in vars(own)
            for own in cls.__mro__
            if (own.__module__, own.__qualname__) == (cls.__module__, cls.__qualname__)
            or own.__name__ == cls.__name__
        )
    )

    assert undeclared == []


# --- every record decodes ----------------------------------------------------------------------


EVENTS = [r for r in RECORDS if r["kind"] == "event"]
SNAPSHOTS = [r for r in RECORDS if r["kind"] == "snapshot"]


@pytest.mark.parametrize("record", EVENTS, ids=record_id)
def test_a_golden_event_decodes_into_todays_class_with_every_field(record: dict[str, Any]) -> None:
    app = store(record["generation"], record["store"], with_snapshots=False)
    cls = resolve_topic(record["topic"])

    event = app.mapper.to_domain_event(stored(record))

    assert type(event) is cls
    assert (event.originator_id, event.originator_version) == (
        UUID(record["originator_id"]),
        record["originator_version"],
    )
    assert set(vars(event)) == {f.name for f in dataclasses.fields(cls)}  # upcast to today
    assert type(event.actor) is Actor
    assert event.at.utcoffset() is not None
    if stored_class_version(record) == class_version(cls):
        # Same version, same bytes: a stored shape is never changed in place.
        assert app.mapper.to_stored_event(event).state == stored(record).state


@pytest.mark.parametrize("record", SNAPSHOTS, ids=record_id)
def test_an_aggregate_restores_from_its_golden_snapshot_as_from_its_golden_events(
    record: dict[str, Any],
) -> None:
    from_events = store(record["generation"], record["store"], with_snapshots=False)
    with_snapshots = store(record["generation"], record["store"], with_snapshots=True)
    aggregate_id, version = UUID(record["originator_id"]), record["originator_version"]

    snapshot = with_snapshots.mapper.to_domain_event(stored(record))
    assert isinstance(snapshot, Snapshot)
    restored = snapshot.mutate(None)
    replayed = from_events.repository.get(aggregate_id, version=version)

    assert type(restored) is type(replayed)
    assert state_of(restored) == state_of(replayed)
    assert state_of(with_snapshots.repository.get(aggregate_id)) == state_of(
        from_events.repository.get(aggregate_id)
    )


# --- what the first generation says, read from its events and from its snapshots --------------

ACME = UUID("00000000-0000-4000-8000-00000000acde")
ANN = UUID("00000000-0000-4000-8000-000000000a11")
DEVICE = UUID("00000000-0000-4000-8000-0000000de71c")
PLAN = UUID("00000000-0000-4000-8000-0000000091a0")
SUBSCRIPTION = UUID("00000000-0000-4000-8000-000000005b01")
BOUGHT, MID_CHECKOUT, REPLACEMENT = UUID(int=0xB0), UUID(int=0xC0), UUID(int=0xE1)
PRICE_IMPORT = UUID("fbe933d2-6710-5ef2-810d-69461b57440a")
FROZEN = Money(342_050, "SEK")


@pytest.fixture(params=[(kind, s) for kind in STORES for s in (False, True)], ids=str)
def first_generation(request: pytest.FixtureRequest) -> LessorApplication:
    kind, with_snapshots = request.param
    return store(FIRST, kind, with_snapshots=with_snapshots)


def test_the_company_keeps_its_rates_settings_licence_and_curves(
    first_generation: LessorApplication,
) -> None:
    company = first_generation.repository.get(ACME)

    assert (company.name, company.currency, company.time_zone) == ("Acme AB", "SEK", "Asia/Kolkata")
    assert company.vat_rate == Decimal("12.345")
    assert type(company.vat_rate) is Decimal
    assert company.settings == {
        "device_buyout": True,
        "buyout_receipts": False,
        "auto_mark_received": True,
        "employees_mark_received": True,
    }
    assert (company.default_subscription_id, company.default_product_id) == (SUBSCRIPTION, PLAN)
    headset = company.category_valuation("headset")
    assert headset is not None
    assert headset.enabled
    assert headset.custom_curve == Curve(
        points=((0, Decimal("80")), (24, Decimal("12.5"))), floor=Decimal("5")
    )
    assert company.category_valuation("laptop").custom_curve is None
    assert company.last_digest_week == "2021-W09"


def test_members_and_products_keep_their_text_dates_and_prices(
    first_generation: LessorApplication,
) -> None:
    ann = first_generation.repository.get(ANN)
    plan = first_generation.repository.get(PLAN)

    assert (ann.email, ann.name, ann.role) == ("ann@acme.se", "Ann Ångström", "employee")
    assert ann.last_employment_day == date(2027, 2, 28)
    assert plan.name == "Workplace Plan – Ångström"
    assert plan.prices == {"SEK": 5500, "EUR": 450, "JPY": 700}
    assert plan.price_in("SEK") == Money(5500, "SEK")


def test_devices_keep_their_money_dates_and_end_of_lease_state(
    first_generation: LessorApplication,
) -> None:
    device = first_generation.repository.get(DEVICE)
    bought = first_generation.repository.get(BOUGHT)
    checkout = first_generation.repository.get(MID_CHECKOUT)
    replacement = first_generation.repository.get(REPLACEMENT)

    assert device.company_cost == Money(2_499_050, "SEK")
    assert (device.lease_start, device.renewal_date) == (date(2026, 1, 1), date(2029, 1, 1))
    assert (device.status, device.assignee_id) == ("in_stock", None)
    assert (bought.status, bought.paid_amount, bought.buyer_id) == (
        "bought_by_employee",
        FROZEN,
        ANN,
    )
    assert bought.replacement_id == REPLACEMENT
    assert (checkout.phase, checkout.checkout_amount) == ("checkout_open", FROZEN)
    assert checkout.checkout_expires_at == datetime(2021, 5, 2, 9, 30, 15, 250000, tzinfo=UTC)
    assert (replacement.serial, replacement.received, replacement.status) == (
        "F17-ÅÄÖ-0042",
        True,
        "active",
    )


def test_a_subscription_keeps_its_lines_and_ends_as_it_did(
    first_generation: LessorApplication,
) -> None:
    subscription = first_generation.repository.get(SUBSCRIPTION)

    assert (subscription.status, subscription.term) == ("cancelled", "monthly")
    assert subscription.line(PLAN).seats == 9
    assert subscription.line(PLAN).unit_price == Money(5500, "SEK")
    assert subscription.holders == {}
    assert subscription.po_reference is None


def test_a_price_import_keeps_its_rows(first_generation: LessorApplication) -> None:
    [priced, unchanged] = first_generation.repository.get(PRICE_IMPORT).outcomes

    assert priced.row.price == Money(342_000, "SEK")
    assert priced.changes == (Change.PRICE_SET, Change.AVAILABILITY_SET)
    assert (unchanged.row.serial, unchanged.row.effective_date) == ("SN,42 Ö", date(2021, 2, 28))


# --- snapshots older than the golden ones: the shapes v1 had before it settled ---------------


def restored_from_older_shape(
    app: LessorApplication, aggregate_id: UUID, version: int, rename: dict[str, str], drop: set[str]
) -> tuple[Aggregate, Aggregate]:
    """(restored, replayed): a snapshot of today's state, reshaped as an earlier commit wrote
    it (unversioned, `rename`d today → then, `drop`ped), restored; and the replay it must match."""
    replayed = app.repository.get(aggregate_id, version=version)
    written = app.mapper.to_stored_event(Snapshot.take(replayed))
    outer = json.loads(written.state)
    state = outer["state"]
    state.pop("class_version")
    for today, then in rename.items():
        state[then] = state.pop(today)
    for name in drop:
        del state[name]
    older = json.dumps(outer, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    snapshot = app.mapper.to_domain_event(dataclasses.replace(written, state=older))
    return snapshot.mutate(None), replayed


def test_a_company_snapshot_from_before_licences_and_valuation_restores() -> None:
    """As 825ef5d wrote it: name, currency, zone, VAT and settings only (version 5 is the
    company before its first default licence)."""
    app = store(FIRST, "sqlite", with_snapshots=False)
    restored, replayed = restored_from_older_shape(
        app,
        ACME,
        5,
        rename={},
        drop={"default_subscription_id", "default_product_id", "valuation", "last_digest_week"},
    )

    assert state_of(restored) == state_of(replayed)
    assert restored.category_valuation("headset") is None


@pytest.mark.parametrize("subscription_id", [SUBSCRIPTION, UUID(int=0x5B02)])
def test_a_subscription_snapshot_with_its_term_as_an_enum_restores(subscription_id: UUID) -> None:
    """As c5fdebb wrote it: `term` held the enum, and no months were counted to the term."""
    app = store(FIRST, "sqlite", with_snapshots=False)
    head = app.repository.get(subscription_id).version
    restored, replayed = restored_from_older_shape(
        app, subscription_id, head, rename={"term_code": "term"}, drop={"months_to_term_start"}
    )

    assert state_of(restored) == state_of(replayed)
    assert restored.months_to_term_start > 0  # renewed or converted at least once
