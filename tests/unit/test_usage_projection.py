"""The usage read model: month counts of entities active at any time in the month, in the
company's time zone, equal a brute-force walk over every entity and month (SPEC §5).

Changes go through the application (in memory) and are folded into an in-memory SQLite view
by the real projection; the month queries are the ones the API and the invoice run call.
"""

from __future__ import annotations

import random
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.sql import SqliteDatabase, SqlSession
from domain.application import CommandContext, LessorApplication
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from domain.model.money import Money
from domain.model.usage import UsageChange, UsageKind, checked_change
from projections.usage import UsageProjection, current_usage, month_usage, usage_prices
from tests.apps import in_memory_app

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
ZONES = ["Europe/Stockholm", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]


class UsageViews:
    """The usage tables in an in-memory SQLite database, folded by the real projection."""

    def __init__(self) -> None:
        self.db = SqliteDatabase(":memory:")
        self.projection = UsageProjection()
        self.names = {t: t for t in self.projection.tables}
        self.position = 0
        with self.db.transaction() as tx:
            session = tx.with_names(self.names)
            for table, body in self.projection.tables.items():
                session.execute(f"CREATE TABLE {{{table}}} ({body})")
            for ddl in self.projection.indexes:
                session.execute(ddl)

    def catch_up(self, app: LessorApplication) -> None:
        with self.db.transaction() as tx:
            session = tx.with_names(self.names, batched=True)
            for n in app.recorder.select_notifications(start=self.position + 1, limit=100_000):
                event = app.mapper.to_domain_event(n)
                if self.projection.folds(type(event)):
                    self.projection.apply(event, n.id, session)
                self.position = n.id

    def transaction(self) -> AbstractContextManager[SqlSession]:
        return self.db.transaction()

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.db.transaction() as tx:
            return {t: sorted(tx.fetchall(f"SELECT * FROM {t}"), key=repr) for t in self.names}


def ctx(at: datetime = NOW) -> CommandContext:
    return CommandContext(
        caller=OPERATOR, cause=Cause(actor=OPERATOR.actor, at=at, correlation_id="t")
    )


def company(app: LessorApplication, tz: str = "Europe/Stockholm") -> UUID:
    return app.companies.register(
        ctx(),
        name="Reporting AB",
        currency="SEK",
        time_zone=tz,
        vat_rate=Decimal(25),
        settings={},
    ).subject_id


def change(
    cid: str, action: str, at: datetime, entity: str = "ann", kind: str = "superuser"
) -> UsageChange:
    return checked_change(change_id=cid, kind=kind, entity_id=entity, action=action, at=at)


def local(text: str, tz: str = "Europe/Stockholm") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


def counts(views: UsageViews, company_id: UUID, month: date) -> dict[str, int]:
    usage = month_usage(views, OPERATOR, company_id, month)
    return {k.kind: k.count for k in usage.kinds if k.count}


# ----------------------------------------------------------- given / when / then


def test_an_entity_added_and_removed_within_a_month_counts_once(app: LessorApplication) -> None:
    acme, views = company(app), UsageViews()
    app.usage.record_changes(
        ctx(),
        acme,
        [
            change("a1", "activated", local("2026-10-03T09:00")),
            change("d1", "deactivated", local("2026-10-10T09:00")),
            change("a2", "activated", local("2026-10-20T09:00")),
            change("d2", "deactivated", local("2026-10-25T09:00")),
        ],
    )
    views.catch_up(app)
    assert counts(views, acme, date(2026, 10, 1)) == {"superuser": 1}
    assert counts(views, acme, date(2026, 11, 1)) == {}
    entities = month_usage(views, OPERATOR, acme, date(2026, 10, 1)).kinds[0].entities
    assert [(e.entity_id, len(e.intervals)) for e in entities] == [("ann", 2)]


def test_one_active_across_the_local_month_end_counts_in_both_months(
    app: LessorApplication,
) -> None:
    acme, views = company(app), UsageViews()
    app.usage.record_changes(
        ctx(),
        acme,
        [
            change("a1", "activated", local("2026-10-31T23:30")),
            change("d1", "deactivated", local("2026-11-01T00:10")),
            change("a2", "activated", local("2026-10-20T12:00"), entity="bob"),
            change("d2", "deactivated", local("2026-11-01T00:00"), entity="bob"),
        ],
    )
    views.catch_up(app)
    assert counts(views, acme, date(2026, 10, 1)) == {"superuser": 2}
    nov = month_usage(views, OPERATOR, acme, date(2026, 11, 1))
    assert [e.entity_id for e in nov.kinds[0].entities] == ["ann"]  # bob ended at 00:00 local


def test_the_month_lines_are_priced_from_the_usage_price_list(app: LessorApplication) -> None:
    acme, views = company(app), UsageViews()
    app.usage.set_price(ctx(), "smart", prices={"SEK": 19900}, description=None)
    app.usage.record_changes(
        ctx(),
        acme,
        [
            change(f"s{i}", "activated", local("2026-10-03T09:00"), entity=f"m{i}", kind="smart")
            for i in range(3)
        ]
        + [change("p1", "activated", local("2026-10-03T09:00"), kind="portal_user")],
    )
    views.catch_up(app)
    lines = month_usage(views, OPERATOR, acme, date(2026, 10, 1)).lines
    assert [(x.description, x.quantity, x.unit_price, x.amount) for x in lines] == [
        ("Reporting – Portal user", 1, None, None),  # no price set: the invoice run must refuse
        ("Reporting – Smart", 3, Money(19900, "SEK"), Money(59700, "SEK")),
    ]
    prices = {p["kind"]: p for p in usage_prices(views)}
    assert prices["smart"]["prices"] == [{"amount": "199.00", "currency": "SEK", "minor": 19900}]
    assert prices["complete"]["description"] == "Reporting – Complete"


def test_the_running_count_is_the_month_now_lies_in_locally(app: LessorApplication) -> None:
    acme, views = company(app), UsageViews()
    app.usage.record_changes(ctx(), acme, [change("a1", "activated", local("2026-10-31T23:30"))])
    views.catch_up(app)
    # 23:30 UTC on 31 October is already November in Stockholm.
    assert current_usage(
        views, OPERATOR, acme, datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    ).month == ("2026-11")
    assert current_usage(views, OPERATOR, acme, NOW).kinds[0].count == 1  # still active in 2027


def test_an_admin_reads_only_their_own_company(app: LessorApplication) -> None:
    from domain.model.errors import NotFound

    acme, other, views = company(app), company(app), UsageViews()
    views.catch_up(app)
    admin = Caller(actor=Actor("tok-admin", Role.ADMIN), company_id=acme)
    assert month_usage(views, admin, None, date(2026, 10, 1)).company_id == acme
    with pytest.raises(NotFound):
        month_usage(views, admin, other, date(2026, 10, 1))


# ----------------------------------------------------------- property: brute force

KINDS = [k.value for k in UsageKind]
BASE = datetime(2026, 9, 20, tzinfo=UTC)
MINUTES = 200 * 24 * 60  # about seven months after BASE
# Local month starts (in every zone drawn from), as minutes after BASE, and a minute either
# side of each: the boundaries a rule off by one gets wrong.
EDGES = sorted(
    {
        int((datetime(y, m, 1, tzinfo=ZoneInfo(z)) - BASE).total_seconds() // 60) + d
        for z in ZONES
        for y, m in [(2026, 10), (2026, 11), (2026, 12), (2027, 1), (2027, 2), (2027, 3)]
        for d in (-1, 0, 1)
    }
)


@st.composite
def usage(draw: st.DrawFn) -> dict[tuple[str, str], list[tuple[int, int | None]]]:
    found: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    for n in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(KINDS))
        instants = st.integers(0, MINUTES) | st.sampled_from(EDGES)
        cuts = sorted(draw(st.sets(instants, min_size=1, max_size=6)))
        found[(kind, f"e{n}")] = [
            (cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None) for i in range(0, len(cuts), 2)
        ]
    return found


def brute_force(
    found: dict[tuple[str, str], list[tuple[int, int | None]]], tz: str, month: date
) -> dict[str, int]:
    """Walk every entity: is one of its intervals inside [local 1st 00:00, next 1st 00:00)?"""
    zone = ZoneInfo(tz)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=zone)
    result: dict[str, int] = {}
    for (kind, _), pairs in found.items():
        for s, e in pairs:
            s_at = BASE + timedelta(minutes=s)
            e_at = None if e is None else BASE + timedelta(minutes=e)
            if s_at < end and (e_at is None or e_at > start):
                result[kind] = result.get(kind, 0) + 1
                break
    return result


@settings(max_examples=40, deadline=None)
@given(
    found=usage(),
    tz=st.sampled_from(ZONES),
    moved_to=st.none() | st.sampled_from(ZONES),
    seed=st.integers(0, 2**32 - 1),
)
def test_month_counts_equal_a_brute_force_walk_in_any_arrival_order_and_zone(
    found: dict[tuple[str, str], list[tuple[int, int | None]]],
    tz: str,
    moved_to: str | None,
    seed: int,
) -> None:
    app = in_memory_app()
    acme = company(app, tz)
    views, each_batch = UsageViews(), UsageViews()
    shuffle = random.Random(seed)
    groups = []
    for (kind, entity), pairs in found.items():
        for i, (s, e) in enumerate(pairs):
            group = [
                change(f"{entity}-{i}a", "activated", BASE + timedelta(minutes=s), entity, kind)
            ]
            if e is not None:
                group.append(
                    change(
                        f"{entity}-{i}d", "deactivated", BASE + timedelta(minutes=e), entity, kind
                    )
                )
            groups.append(group)
    shuffle.shuffle(groups)
    while groups:
        size = shuffle.randint(1, len(groups))
        batch = [c for g in groups[:size] for c in g]
        shuffle.shuffle(batch)
        app.usage.record_changes(ctx(), acme, batch)
        groups = groups[size:]
        each_batch.catch_up(app)
    if moved_to is not None:
        app.companies.change(ctx(), acme, time_zone=moved_to)
        each_batch.catch_up(app)
        tz = moved_to
    views.catch_up(app)  # folded in one pass, as a rebuild does
    assert views.dump() == each_batch.dump()
    for m in range(9):
        month = date(2026 + (8 + m) // 12, (8 + m) % 12 + 1, 1)
        assert counts(views, acme, month) == brute_force(found, tz, month), month
