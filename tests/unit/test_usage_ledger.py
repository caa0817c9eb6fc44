"""UsageLedger: each entity's intervals, whatever the arrival order; retries; refusals that
name their change (SPEC §5, issue 11).

Instants are UTC; the company's zone is Europe/Stockholm unless a test says otherwise.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.actor import Actor, Role
from domain.model.errors import InvalidValue
from domain.model.events import Cause
from domain.model.usage import (
    MAX_BATCH,
    ActiveInterval,
    UsageChange,
    UsageKind,
    checked_change,
    months_touched,
)
from domain.model.usage_ledger import (
    UsageChangesInvalid,
    UsageChangesRefused,
    UsageLedger,
    ledger_id,
)

ACME = UUID("00000000-0000-4000-8000-00000000acde")
ADMIN = Actor("acme-admin", Role.ADMIN)
ZONE = "Europe/Stockholm"
T = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
CAUSE = Cause(actor=ADMIN, at=datetime(2026, 11, 20, tzinfo=UTC), correlation_id="c-1")


def change(
    change_id: str,
    action: str,
    at: datetime,
    entity: str = "ann",
    kind: str = "superuser",
) -> UsageChange:
    return checked_change(change_id=change_id, kind=kind, entity_id=entity, action=action, at=at)


def on(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def ledger() -> UsageLedger:
    return UsageLedger.open(company_id=ACME, cause=CAUSE)


def record(
    book: UsageLedger, *changes: UsageChange, issued: frozenset[str] = frozenset()
) -> list[UsageChange]:
    return book.record(list(changes), time_zone=ZONE, issued_months=issued, cause=CAUSE)


def refused(book: UsageLedger, *changes: UsageChange) -> UsageChangesRefused:
    version = book.version
    with pytest.raises(UsageChangesRefused) as caught:
        record(book, *changes)
    assert book.version == version, "a refused batch records nothing"
    return caught.value


# ----------------------------------------------------------- given / when / then


def test_one_ledger_per_company_its_id_derived_from_the_company() -> None:
    assert ledger().id == ledger_id(ACME) != ledger_id(UUID(int=1))


def test_an_activation_then_a_deactivation_make_one_closed_interval() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)))
    record(book, change("d1", "deactivated", on(5)))
    assert book.intervals_of("superuser", "ann") == [ActiveInterval(on(0), on(5))]


def test_an_activation_alone_leaves_the_interval_open() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)))
    assert book.intervals_of("superuser", "ann") == [ActiveInterval(on(0), None)]


def test_a_batch_is_one_event_of_its_new_changes() -> None:
    book = ledger()
    new = record(
        book,
        change("a1", "activated", on(0)),
        change("a2", "activated", on(1), entity="bob"),
        change("d1", "deactivated", on(2)),
    )
    assert [c.change_id for c in new] == ["a1", "a2", "d1"]
    assert [type(e).__name__ for e in book.collect_events()] == ["Opened", "ChangesRecorded"]


def test_within_a_batch_the_deactivation_may_come_before_its_activation() -> None:
    book = ledger()
    record(book, change("d1", "deactivated", on(5)), change("a1", "activated", on(0)))
    assert book.intervals_of("superuser", "ann") == [ActiveInterval(on(0), on(5))]


def test_a_backdated_interval_fills_a_gap_before_a_later_one() -> None:
    book = ledger()
    record(book, change("a2", "activated", on(10)))
    record(book, change("d1", "deactivated", on(5)), change("a1", "activated", on(0)))
    assert book.intervals_of("superuser", "ann") == [
        ActiveInterval(on(0), on(5)),
        ActiveInterval(on(10), None),
    ]


def test_a_change_id_seen_before_is_a_no_op() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)))
    version = book.version
    assert record(book, change("a1", "activated", on(0))) == []
    assert book.version == version
    assert book.change_count == 1


def test_a_repeat_inside_one_batch_counts_once() -> None:
    book = ledger()
    new = record(book, change("a1", "activated", on(0)), change("a1", "activated", on(0)))
    assert len(new) == 1


def test_a_change_id_reused_with_other_content_is_refused_naming_it() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)))
    with pytest.raises(UsageChangesInvalid) as caught:
        record(book, change("a1", "activated", on(1)))
    assert caught.value.errors[0].change_id == "a1"
    assert "sent before with other content" in caught.value.detail


def test_a_duplicate_change_id_inside_a_batch_with_other_content_is_refused() -> None:
    with pytest.raises(UsageChangesInvalid) as caught:
        record(ledger(), change("x", "activated", on(0)), change("x", "activated", on(0), "bob"))
    assert [(e.index, e.change_id) for e in caught.value.errors] == [(1, "x")]


def test_deactivating_before_any_activation_is_refused_naming_the_change() -> None:
    error = refused(ledger(), change("d1", "deactivated", on(0)))
    assert [(e.index, e.change_id) for e in error.errors] == [(0, "d1")]
    assert "deactivated before any activation" in error.detail
    assert "'d1'" in error.detail


def test_an_activation_inside_an_interval_is_refused_as_overlapping() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)), change("d1", "deactivated", on(10)))
    error = refused(book, change("a2", "activated", on(3)), change("d2", "deactivated", on(4)))
    assert [e.change_id for e in error.errors] == ["a2", "d2"]  # both lie inside [0 h, 10 h)
    assert "overlap" in error.errors[0].detail
    assert "not active then" in error.errors[1].detail


def test_activating_an_active_entity_again_is_refused() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)))
    error = refused(book, change("a2", "activated", on(3)))
    assert error.errors[0].change_id == "a2"


def test_deactivating_an_inactive_entity_is_refused() -> None:
    book = ledger()
    record(book, change("a1", "activated", on(0)), change("d1", "deactivated", on(2)))
    error = refused(book, change("d2", "deactivated", on(4)))
    assert error.errors[0].change_id == "d2"
    assert "not active then" in error.detail


def test_two_changes_of_one_entity_at_one_instant_are_refused() -> None:
    error = refused(ledger(), change("a1", "activated", on(0)), change("d1", "deactivated", on(0)))
    assert "same instant" in error.detail


def test_a_refused_batch_records_none_of_its_good_changes_and_lists_each_refusal() -> None:
    book = ledger()
    error = refused(
        book,
        change("ok", "activated", on(0), entity="bob"),
        change("bad1", "deactivated", on(1), entity="cat"),
        change("bad2", "deactivated", on(1), entity="dan"),
    )
    assert [(e.index, e.change_id) for e in error.errors] == [(1, "bad1"), (2, "bad2")]
    assert "and 1 more" in error.detail
    assert book.intervals_of("superuser", "bob") == []


def test_a_change_in_an_issued_month_is_refused() -> None:
    with pytest.raises(UsageChangesRefused) as caught:
        record(ledger(), change("a1", "activated", on(0)), issued=frozenset({"2026-10"}))
    assert "2026-10" in caught.value.detail
    assert "already issued" in caught.value.detail


def test_a_batch_holds_one_to_a_thousand_changes() -> None:
    with pytest.raises(InvalidValue):
        record(ledger())
    too_many = [change(f"a{i}", "activated", on(0), entity=f"e{i}") for i in range(MAX_BATCH + 1)]
    with pytest.raises(InvalidValue, match="at most 1,000"):
        record(ledger(), *too_many)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "admin_user", "unknown kind"),
        ("action", "paused", "action"),
        ("at", datetime(2026, 10, 5, 8, 0), "time zone"),  # naive: its instant is unknown
        ("at", datetime(1999, 12, 31, tzinfo=UTC), "within"),
        ("change_id", "", "1 to 100"),
        ("entity_id", "x" * 101, "1 to 100"),
        ("entity_id", "ann\u200b", "invisible"),
    ],
)
def test_bad_input_is_refused_where_it_enters(field: str, value: object, message: str) -> None:
    given = {
        "change_id": "c",
        "kind": "superuser",
        "entity_id": "ann",
        "action": "activated",
        "at": on(0),
        field: value,
    }
    with pytest.raises(InvalidValue, match=message):
        checked_change(**given)


def test_instants_are_kept_in_utc_whatever_offset_they_arrive_with() -> None:
    local = datetime.fromisoformat("2026-10-05T10:00:00+02:00")
    assert change("a", "activated", local).at == on(0)
    assert change("a", "activated", local).at.tzinfo == UTC


# ----------------------------------------------------------- local months


def local(text: str) -> datetime:
    """A Stockholm wall time (CET/CEST) as a UTC instant."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def test_an_interval_across_local_midnight_at_month_end_touches_both_months() -> None:
    interval = ActiveInterval(local("2026-10-31T23:30"), local("2026-11-01T00:10"))
    assert months_touched(interval, ZONE) == ("2026-10", "2026-11")


def test_an_interval_ending_exactly_at_local_midnight_does_not_touch_the_next_month() -> None:
    interval = ActiveInterval(local("2026-10-20T12:00"), local("2026-11-01T00:00"))
    assert months_touched(interval, ZONE) == ("2026-10", "2026-10")


def test_the_month_boundary_is_local_not_utc() -> None:
    # 23:30 UTC on 31 October is 00:30 on 1 November in Stockholm (CET, +01:00).
    start = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert months_touched(ActiveInterval(start, start + timedelta(minutes=5)), ZONE) == (
        "2026-11",
        "2026-11",
    )
    assert months_touched(ActiveInterval(start, start + timedelta(minutes=5)), "UTC") == (
        "2026-10",
        "2026-10",
    )


def test_an_open_interval_touches_every_month_from_its_start() -> None:
    assert months_touched(ActiveInterval(local("2026-10-03T09:00"), None), ZONE) == (
        "2026-10",
        None,
    )


# ----------------------------------------------------------- property: arrival order

KINDS = [k.value for k in UsageKind]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def timelines(draw: st.DrawFn) -> dict[tuple[str, str], list[tuple[int, int | None]]]:
    """Per entity, disjoint intervals as (start, end) minute offsets; the last may be open."""
    found: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    for n in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(KINDS))
        cuts = sorted(draw(st.sets(st.integers(0, 400_000), min_size=1, max_size=6)))
        if len(cuts) % 2 and not draw(st.booleans()):
            cuts = cuts[:-1] or cuts
        pairs: list[tuple[int, int | None]] = [
            (cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None) for i in range(0, len(cuts), 2)
        ]
        found[(kind, f"e{n}")] = pairs
    return found


def changes_of(
    found: dict[tuple[str, str], list[tuple[int, int | None]]],
) -> list[list[UsageChange]]:
    """Each interval's changes as one group (its activation and its deactivation)."""
    groups = []
    for (kind, entity), pairs in found.items():
        for i, (start, end) in enumerate(pairs):
            group = [
                change(
                    f"{entity}-{i}-a", "activated", BASE + timedelta(minutes=start), entity, kind
                )
            ]
            if end is not None:
                group.append(
                    change(
                        f"{entity}-{i}-d",
                        "deactivated",
                        BASE + timedelta(minutes=end),
                        entity,
                        kind,
                    )
                )
            groups.append(group)
    return groups


@settings(max_examples=60, deadline=None)
@given(found=timelines(), seed=st.integers(0, 2**32 - 1), retries=st.integers(0, 3))
def test_any_arrival_order_of_whole_intervals_gives_the_same_intervals(
    found: dict[tuple[str, str], list[tuple[int, int | None]]], seed: int, retries: int
) -> None:
    """Intervals sent in any order, in batches of any size, each interval's two changes in
    one batch in either order, and some batches sent again: the same intervals."""
    shuffle = random.Random(seed)
    groups = changes_of(found)
    shuffle.shuffle(groups)
    batches: list[list[UsageChange]] = []
    while groups:
        size = shuffle.randint(1, len(groups))
        batch = [c for group in groups[:size] for c in group]
        shuffle.shuffle(batch)
        batches.append(batch)
        groups = groups[size:]
    batches += [shuffle.choice(batches) for _ in range(retries)]
    book = ledger()
    for batch in batches:
        record(book, *batch)
    for (kind, entity), pairs in found.items():
        assert book.intervals_of(kind, entity) == [
            ActiveInterval(
                BASE + timedelta(minutes=s), None if e is None else BASE + timedelta(minutes=e)
            )
            for s, e in pairs
        ]


@settings(max_examples=40, deadline=None)
@given(found=timelines(), seed=st.integers(0, 2**32 - 1))
def test_replaying_the_events_gives_the_same_ledger(
    found: dict[tuple[str, str], list[tuple[int, int | None]]], seed: int
) -> None:
    groups = changes_of(found)
    random.Random(seed).shuffle(groups)
    book = ledger()
    for group in groups:
        record(book, *group)
    events = book.collect_events()
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    assert replayed is not None
    assert replayed.timelines == book.timelines
    assert replayed.entity_of == book.entity_of
