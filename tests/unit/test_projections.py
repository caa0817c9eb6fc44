"""Read models, fed from an in-memory application into an in-memory SQLite view database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sql import SqlSession
from domain.application import CommandContext, Idempotency, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType
from domain.model.errors import DomainError
from domain.model.events import Cause
from domain.model.money import Money
from projections.base import Projection
from projections.event_log import EventLog
from projections.hardware_overview import HardwareOverview
from projections.jsonable import ENVELOPE_FIELDS
from tests.apps import in_memory_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
PROJECTIONS: tuple[type[Projection], ...] = (EventLog, HardwareOverview)


# --- the view database ----------------------------------------------------------------------


class Views:
    """Fresh in-memory tables for the read models, created the way the projector creates them."""

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.projections: list[Projection] = [cls() for cls in PROJECTIONS]
        self.names = {t: t for p in self.projections for t in p.tables}
        self.session = SqlSession(self.connection.cursor(), dialect="sqlite", names=self.names)
        self.position = 0  # the last log position folded in
        for projection in self.projections:
            for table, body in projection.tables.items():
                self.session.execute(f"CREATE TABLE IF NOT EXISTS {{{table}}} ({body})")
            for ddl in projection.indexes:
                self.session.execute(ddl)

    def catch_up(self, app: LessorApplication) -> int:
        """Fold every notification not yet folded, decoded by the real mapper; the new position."""
        for notification in app.recorder.select_notifications(
            start=self.position + 1, limit=10_000
        ):
            event = app.mapper.to_domain_event(notification)
            for projection in self.projections:
                projection.apply(event, notification.id, self.session)
            self.position = notification.id
        self.connection.commit()
        return self.position

    def rows(self, table: str, order_by: str) -> list[dict[str, Any]]:
        cursor = self.connection.execute(f"SELECT * FROM {table} ORDER BY {order_by}")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: sorted(self.connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in self.names
        }

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def views() -> Iterator[Views]:
    built = Views()
    yield built
    built.close()


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


# --- a small world --------------------------------------------------------------------------


def ctx(
    caller: Caller, at: datetime = T0, correlation_id: str = "req-1", **kw: Any
) -> CommandContext:
    return CommandContext(
        caller=caller, cause=Cause(actor=caller.actor, at=at, correlation_id=correlation_id), **kw
    )


class World:
    """Acme with an admin and two employees, Ann and Bob, built through the application."""

    def __init__(self, app: LessorApplication) -> None:
        self.app = app
        self.company_id = app.companies.register(
            ctx(OPERATOR),
            name="Acme AB",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal("25"),
            settings={},
        ).subject_id
        self.admin = Caller(actor=Actor("tok-acme-admin", Role.ADMIN), company_id=self.company_id)
        self.ann = self.member("ann@acme.se", "Ann Andersson")
        self.bob = self.member("bob@acme.se", "Bob Berg")

    def member(self, email: str, name: str) -> UUID:
        return self.app.members.register(
            ctx(self.admin),
            company_id=self.company_id,
            email=email,
            name=name,
            role=Role.EMPLOYEE,
            last_employment_day=None,
        ).subject_id

    def device(self, serial: str, at: datetime = T0, **kw: Any) -> UUID:
        return self.app.devices.register(
            ctx(self.admin, at=at, correlation_id=f"reg-{serial}", **kw),
            company_id=self.company_id,
            serial=serial,
            model="MacBook Air 13",
            category=" Laptop",
            company_cost=Money(1_499_000, "SEK"),
            contract_type=ContractType.LEASED,
            lease_start=date(2026, 3, 1),
            renewal_date=date(2029, 3, 1),
        ).subject_id


@pytest.fixture
def world(app: LessorApplication) -> World:
    return World(app)


def log_rows(views: Views, operation: str) -> list[dict[str, Any]]:
    return [r for r in views.rows("event_log", "position") if r["operation"] == operation]


# --- event log ------------------------------------------------------------------------------


def test_a_registered_device_is_logged_with_its_operation_time_actor_and_details(
    app: LessorApplication, world: World, views: Views
) -> None:
    device_id = world.device("C02-1", at=datetime(2026, 3, 2, 10, 30, 0, 250_000, tzinfo=UTC))

    views.catch_up(app)

    [row] = log_rows(views, "Device.Registered")
    assert row["aggregate_type"] == "Device"
    assert row["aggregate_id"] == str(device_id)
    assert row["aggregate_version"] == 1
    assert row["company_id"] == str(world.company_id)
    assert row["occurred_at"] == "2026-03-02T10:30:00.250000Z"  # business time, in UTC
    assert (row["actor_id"], row["actor_role"]) == ("tok-acme-admin", "admin")
    assert row["correlation_id"] == "reg-C02-1"
    assert json.loads(row["details"]) == {
        "serial": "C02-1",
        "model": "MacBook Air 13",
        "category": "laptop",
        "company_cost": {"amount": "14990.00", "currency": "SEK", "minor": 1_499_000},
        "contract_type": "leased",
        "lease_start": "2026-03-01",
        "renewal_date": "2029-03-01",
        "replacement_for": None,
    }


def test_the_log_time_is_business_time_in_fixed_width_utc_whatever_zone_it_was_given_in(
    app: LessorApplication, world: World, views: Views
) -> None:
    world.device("Z-1", at=datetime(2026, 7, 1, 0, 0, tzinfo=ZoneInfo("Europe/Stockholm")))
    world.device("Z-2", at=datetime(2026, 7, 1, 0, 0, 0, 1, tzinfo=ZoneInfo("America/Denver")))

    views.catch_up(app)

    times = [r["occurred_at"] for r in log_rows(views, "Device.Registered")]
    assert times == ["2026-06-30T22:00:00.000000Z", "2026-07-01T06:00:00.000001Z"]


def test_every_logged_row_has_details_without_the_envelope(
    app: LessorApplication, world: World, views: Views
) -> None:
    device_id = world.device("C02-1")
    app.devices.assign(ctx(world.admin), device_id, world.ann)
    app.devices.unassign(ctx(world.admin), device_id)
    app.companies.change(ctx(world.admin), world.company_id, settings={"device_buyout": True})
    app.members.set_last_employment_day(ctx(world.admin), world.bob, date(2026, 8, 31))

    views.catch_up(app)

    rows = views.rows("event_log", "position")
    assert [r["operation"] for r in rows] == [
        "Company.Registered",
        "Member.Registered",
        "Member.Registered",
        "Device.Registered",
        "Device.Assigned",
        "Device.Unassigned",
        "Company.SettingsChanged",
        "Member.LastEmploymentDaySet",
    ]
    for row in rows:
        assert not set(json.loads(row["details"])) & ENVELOPE_FIELDS, row["operation"]
        assert len(row["occurred_at"]) == len("2026-03-02T09:00:00.000000Z")
    assert json.loads(rows[4]["details"]) == {"member_id": str(world.ann)}
    assert json.loads(rows[6]["details"]) == {"changes": {"device_buyout": True}}
    assert json.loads(rows[7]["details"]) == {"last_employment_day": "2026-08-31"}
    assert [r["aggregate_version"] for r in rows if r["aggregate_type"] == "Device"] == [1, 2, 3]


def test_a_company_registration_is_logged_under_the_company_itself(
    app: LessorApplication, world: World, views: Views
) -> None:
    views.catch_up(app)

    [row] = log_rows(views, "Company.Registered")
    assert row["company_id"] == row["aggregate_id"] == str(world.company_id)
    assert (row["actor_id"], row["actor_role"]) == ("tok-operator", "operator")
    assert json.loads(row["details"])["vat_rate"] == "25"


def test_idempotency_records_and_uniqueness_claims_are_not_logged(
    app: LessorApplication, world: World, views: Views
) -> None:
    world.device("C02-1", idempotency=Idempotency("k-1", "h-1"))

    views.catch_up(app)

    operations = {r["operation"] for r in views.rows("event_log", "position")}
    assert operations == {"Company.Registered", "Member.Registered", "Device.Registered"}
    topics = {n.topic for n in app.recorder.select_notifications(1, 100)}
    assert any("IdempotencyRecord" in t for t in topics)  # they are in the store, though
    assert any("UniqueClaim" in t for t in topics)


def test_a_tokens_hash_never_reaches_the_log(
    app: LessorApplication, world: World, views: Views
) -> None:
    secret_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    cause = Cause(actor=OPERATOR.actor, at=T0, correlation_id="cli")
    token_id = app.tokens.issue(
        cause,
        token_hash=secret_hash,
        company_id=world.company_id,
        role=Role.EMPLOYEE,
        member_id=world.ann,
        label="Ann's phone",
    )
    app.tokens.issue(
        cause, token_hash="ops-hash", company_id=None, role=Role.OPERATOR, member_id=None, label="o"
    )
    app.tokens.revoke(cause, token_id)

    views.catch_up(app)

    issued, operator_issued = log_rows(views, "ApiToken.Issued")
    assert json.loads(issued["details"]) == {
        "role": "employee",
        "member_id": str(world.ann),
        "label": "Ann's phone",
    }
    assert operator_issued["company_id"] is None
    [revoked] = log_rows(views, "ApiToken.Revoked")
    assert json.loads(revoked["details"]) == {}
    everything = json.dumps(views.dump())
    assert secret_hash not in everything
    assert "ops-hash" not in everything


# --- hardware overview ----------------------------------------------------------------------


def overview(views: Views, device_id: UUID) -> dict[str, Any]:
    [row] = [
        r for r in views.rows("hardware_overview", "device_id") if r["device_id"] == str(device_id)
    ]
    return row


def test_a_registered_device_appears_in_stock_with_its_contract(
    app: LessorApplication, world: World, views: Views
) -> None:
    device_id = world.device("C02-1")

    position = views.catch_up(app)

    row = overview(views, device_id)
    assert row == {
        "device_id": str(device_id),
        "company_id": str(world.company_id),
        "registered_position": position - 1,  # the serial claim is saved with it, after it
        "serial": "C02-1",
        "model": "MacBook Air 13",
        "category": "laptop",
        "contract_type": "leased",
        "status": "in_stock",
        "assignee_id": None,
        "assignee_name": None,
        "lease_start": "2026-03-01",
        "renewal_date": "2029-03-01",
        "company_cost_minor": 1_499_000,
        "currency": "SEK",
        "registered_at": "2026-03-02T09:00:00.000000Z",
        "received": 1,  # SQLite keeps booleans as integers
        "replacement_for": None,
        "replacement_id": None,
        "phase": "none",
        "preliminary_choice": None,
        "final_decision": None,
        "overdue": 0,
        "buyer_id": None,
        "release_from": None,
        "version": 1,
    }


def test_the_overview_follows_a_device_from_hand_to_hand(
    app: LessorApplication, world: World, views: Views
) -> None:
    device_id = world.device("C02-1")
    seen = []

    def look() -> tuple[str, str | None, str | None, int]:
        views.catch_up(app)
        row = overview(views, device_id)
        return row["status"], row["assignee_id"], row["assignee_name"], row["version"]

    seen.append(look())
    app.devices.assign(ctx(world.admin), device_id, world.ann)
    seen.append(look())
    app.devices.unassign(ctx(world.admin), device_id)
    seen.append(look())
    app.devices.assign(ctx(world.admin), device_id, world.bob)
    seen.append(look())

    assert seen == [
        ("in_stock", None, None, 1),
        ("active", str(world.ann), "Ann Andersson", 2),
        ("in_stock", None, None, 3),
        ("active", str(world.bob), "Bob Berg", 4),
    ]


def test_the_overview_knows_members_by_name_per_company(
    app: LessorApplication, world: World, views: Views
) -> None:
    views.catch_up(app)

    members = views.rows("hardware_overview_members", "name")
    assert [(m["name"], m["company_id"]) for m in members] == [
        ("Ann Andersson", str(world.company_id)),
        ("Bob Berg", str(world.company_id)),
    ]


# --- determinism ----------------------------------------------------------------------------

Command = tuple[str, int, int]
commands = st.lists(
    st.tuples(
        st.sampled_from(["register", "assign", "unassign", "hire", "last-day", "settings"]),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=25,
)


def play(
    app: LessorApplication, script: list[Command], after_each: Callable[[], object] | None = None
) -> None:
    """Run a generated script through the application; refused commands are simply refused."""
    world = World(app)
    members = [world.ann, world.bob]
    devices: list[UUID] = []
    for step, (command, i, j) in enumerate(script):
        at = T0 + timedelta(minutes=7 * step, microseconds=step)
        context = ctx(world.admin, at=at, correlation_id=f"step-{step}")
        try:
            if command == "register":
                devices.append(world.device(f"SN-{i}", at=at))
            elif command == "assign" and devices:
                app.devices.assign(context, devices[i % len(devices)], members[j % len(members)])
            elif command == "unassign" and devices:
                app.devices.unassign(context, devices[i % len(devices)])
            elif command == "hire":
                members.append(world.member(f"m{i}-{j}@acme.se", f"Member {i}.{j}"))
            elif command == "last-day":
                app.members.set_last_employment_day(
                    context, members[i % len(members)], date(2026, 9, j + 1)
                )
            elif command == "settings":
                app.companies.change(
                    context, world.company_id, settings={"device_buyout": bool(i % 2)}
                )
        except DomainError:
            pass
        if after_each is not None:
            after_each()


@given(script=commands)
def test_the_same_events_give_the_same_rows_in_any_fresh_database(script: list[Command]) -> None:
    app = in_memory_app()
    play(app, script)
    first, second = Views(), Views()
    try:
        first.catch_up(app)
        second.catch_up(app)

        assert first.dump() == second.dump()
    finally:
        first.close()
        second.close()


@given(script=commands)
def test_a_rebuild_from_position_zero_equals_the_view_kept_up_command_by_command(
    script: list[Command],
) -> None:
    app = in_memory_app()
    live, rebuilt = Views(), Views()
    try:
        play(app, script, after_each=lambda: live.catch_up(app))
        live.catch_up(app)
        rebuilt.catch_up(app)

        assert live.dump() == rebuilt.dump()
        logged = len(live.dump()["event_log"])
        business = [
            n
            for n in app.recorder.select_notifications(1, 10_000)
            if "IdempotencyRecord" not in n.topic and "UniqueClaim" not in n.topic
        ]
        assert logged == len(business)
    finally:
        live.close()
        rebuilt.close()
