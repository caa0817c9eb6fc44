"""The usage service: batches through the application, the issued-month seam, snapshots of a
long ledger, roles, the price list (SPEC §5)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import CommandContext, Idempotency, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.errors import InvalidValue, NotAllowed, NotFound
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.usage import UsageChange, checked_change
from domain.model.usage_ledger import UsageChangesRefused, UsageLedger, ledger_id
from tests.apps import in_memory_app, ports

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
T = datetime(2026, 10, 3, 7, 0, tzinfo=UTC)


def ctx(caller: Caller = OPERATOR, key: str | None = None) -> CommandContext:
    return CommandContext(
        caller=caller,
        cause=Cause(actor=caller.actor, at=T + timedelta(days=40), correlation_id="t"),
        idempotency=None if key is None else Idempotency(key=key, request_hash="h"),
    )


def company(app: LessorApplication) -> UUID:
    return app.companies.register(
        ctx(),
        name="Reporting AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal(25),
        settings={},
    ).subject_id


def change(cid: str, action: str, hours: float, entity: str = "ann") -> UsageChange:
    return checked_change(
        change_id=cid,
        kind="portal_user",
        entity_id=entity,
        action=action,
        at=T + timedelta(hours=hours),
    )


class OctoberIssued:
    """An IssuedMonths as the invoices will answer once October 2026 is invoiced."""

    def __init__(self) -> None:
        self.asked: list[tuple[UUID, set[str]]] = []

    def issued(self, company_id: UUID, months: Collection[str]) -> set[str]:
        self.asked.append((company_id, set(months)))
        return {"2026-10"} & set(months)


def test_a_batch_is_one_event_on_the_companys_ledger() -> None:
    app = in_memory_app()
    acme = company(app)
    outcome = app.usage.record_changes(
        ctx(), acme, [change("a", "activated", 0), change("b", "activated", 0, "bob")]
    )
    assert outcome.created
    assert outcome.subject_id == ledger_id(acme)
    assert outcome.version == 2  # opened, then the batch
    again = app.usage.record_changes(ctx(), acme, [change("a", "activated", 0)])
    assert not again.created
    assert again.version == 2
    assert again.position == outcome.position  # nothing was written


def test_a_change_in_an_issued_month_is_refused_through_the_port() -> None:
    issued = OctoberIssued()
    app = LessorApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, **ports(), issued_months=issued
    )
    acme = company(app)
    before = app.recorder.max_notification_id()
    with pytest.raises(UsageChangesRefused, match="2026-10, whose invoice is already issued"):
        app.usage.record_changes(ctx(), acme, [change("a", "activated", 0)])
    assert app.recorder.max_notification_id() == before
    assert issued.asked == [(acme, {"2026-10"})]
    # November is open: the correction of October goes there.
    app.usage.record_changes(ctx(), acme, [change("b", "activated", 24 * 30)])


def test_until_invoices_exist_no_month_is_issued() -> None:
    app = in_memory_app()
    acme = company(app)
    app.usage.record_changes(ctx(), acme, [change("a", "activated", -24 * 365 * 5)])


def test_a_retry_under_its_idempotency_key_answers_as_the_first_time() -> None:
    app = in_memory_app()
    acme = company(app)
    first = app.usage.record_changes(ctx(key="k-1"), acme, [change("a", "activated", 0)])
    app.usage.record_changes(ctx(), acme, [change("d", "deactivated", 5)])
    retry = app.usage.record_changes(ctx(key="k-1"), acme, [change("a", "activated", 0)])
    assert retry.replayed
    assert retry.version == first.version == 2


def test_who_records_usage() -> None:
    app = in_memory_app()
    acme, other = company(app), company(app)
    employee = Caller(actor=Actor("tok-e", Role.EMPLOYEE), company_id=acme)
    admin = Caller(actor=Actor("tok-a", Role.ADMIN), company_id=acme)
    with pytest.raises(NotAllowed):
        app.usage.record_changes(ctx(employee), acme, [change("a", "activated", 0)])
    with pytest.raises(NotFound):
        app.usage.record_changes(ctx(admin), other, [change("a", "activated", 0)])
    app.usage.record_changes(ctx(admin), acme, [change("a", "activated", 0)])
    with pytest.raises(NotAllowed):
        app.usage.set_price(ctx(admin), "smart", prices={"SEK": 100}, description=None)


def test_the_dry_run_checks_every_batch_in_turn_and_records_nothing() -> None:
    app = in_memory_app()
    acme = company(app)
    before = app.recorder.max_notification_id()
    batches = [[change("a", "activated", 0)], [change("d", "deactivated", 5)]]
    assert app.usage.check_changes(OPERATOR, acme, batches, ctx().cause) == 2
    assert app.recorder.max_notification_id() == before
    with pytest.raises(UsageChangesRefused):
        app.usage.check_changes(OPERATOR, acme, [[change("d", "deactivated", 5)]], ctx().cause)


def test_the_price_list_keeps_other_currencies_and_refuses_bad_prices() -> None:
    app = in_memory_app()
    assert app.usage.price_list(OPERATOR) is None
    app.usage.set_price(ctx(), "smart", prices={"SEK": 19900}, description=None)
    app.usage.set_price(ctx(), "smart", prices={"EUR": 1800}, description="Smart (EU)")
    prices = app.usage.price_list(OPERATOR)
    assert prices is not None
    assert prices.price("smart", "SEK") == Money(19900, "SEK")
    assert prices.price("smart", "EUR") == Money(1800, "EUR")
    assert prices.description("smart") == "Smart (EU)"
    assert prices.description("complete") == "Reporting – Complete"
    for bad in ({"SEK": -1}, {"XXX": 100}, {"SEK": 10**16}):
        with pytest.raises(InvalidValue):
            app.usage.set_price(ctx(), "smart", prices=bad, description=None)
    with pytest.raises(InvalidValue):
        app.usage.set_price(ctx(), "gold_user", prices={"SEK": 1}, description=None)


def test_a_long_ledger_is_snapshotted_and_loads_the_same() -> None:
    app = in_memory_app(IS_SNAPSHOTTING_ENABLED="y")
    acme = company(app)
    for i in range(60):  # 61 events: past the interval of 50
        app.usage.record_changes(
            ctx(),
            acme,
            [
                change(f"a{i}", "activated", i, f"u{i}"),
                change(f"d{i}", "deactivated", i + 1, f"u{i}"),
            ],
        )
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(ledger_id(acme))] == [50]
    loaded = app.usage.ledger(OPERATOR, acme)
    replayed: Any = None
    for recorded in app.events.get(ledger_id(acme)):
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, UsageLedger)
    assert loaded.version == replayed.version == 61
    assert loaded.timelines == replayed.timelines
    assert loaded.change_count == 120
