"""Each projection's `handles` covers every event its `apply` acts on.

The projector never decodes, let alone applies, an event a projection does not fold
(`Projection.folds`); so an event class `apply` dispatches on but `handles` leaves out
would silently vanish from that view. Every domain event class that a projection does not
fold is offered to its `apply` here, as a bare instance: the view must see no statement.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

import domain.model
from domain.model.device import Device
from domain.model.subscription import Subscription
from domain.model.unique_claim import UniqueClaim
from projections.base import Projection, RecordProjection
from projections.registry import all_projections


def _domain_event_classes() -> list[type]:
    for module in pkgutil.iter_modules(domain.model.__path__):
        importlib.import_module(f"domain.model.{module.name}")
    found: set[type] = set()
    pending: list[type] = [Aggregate.Event]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.add(sub)
                pending.append(sub)
    return sorted(
        (c for c in found if c.__module__.startswith("domain.model.")), key=lambda c: c.__qualname__
    )


EVENT_CLASSES = _domain_event_classes()


class RecordingView:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.statements.append(sql)
        return 0

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self.statements.append(sql)
        return None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        return []


def _unfolded(projection: Projection) -> Iterator[type]:
    return (cls for cls in EVENT_CLASSES if not projection.folds(cls))


def test_the_domain_event_classes_are_all_found() -> None:
    assert {Device.Assigned, Subscription.TermCharged, UniqueClaim.Claimed} <= set(EVENT_CLASSES)


@pytest.mark.parametrize("projection", all_projections(), ids=lambda p: p.name)
def test_apply_does_nothing_with_the_events_a_projection_does_not_fold(
    projection: Projection,
) -> None:
    acted_on = []
    for cls in _unfolded(projection):
        view = RecordingView()
        bare = object.__new__(cls)  # no fields: an apply that dispatches on it fails loudly
        try:
            projection.apply(bare, 1, view)
        except AttributeError:
            acted_on.append(cls.__qualname__)
            continue
        if view.statements:
            acted_on.append(cls.__qualname__)
    assert acted_on == [], f"{projection.name}: add these to `handles`: {acted_on}"


EVENT_PROJECTIONS = [p for p in all_projections() if not isinstance(p, RecordProjection)]


def test_only_the_audit_chain_reads_stored_records_instead_of_events() -> None:
    # It chains every stored record, claims included, undecoded: it folds no event class.
    records = [p for p in all_projections() if isinstance(p, RecordProjection)]
    assert [p.name for p in records] == ["audit_chain"]
    assert not [cls for cls in EVENT_CLASSES if records[0].folds(cls)]


@pytest.mark.parametrize("projection", EVENT_PROJECTIONS, ids=lambda p: p.name)
def test_every_projection_folds_some_event_and_skips_some(projection: Projection) -> None:
    folded = [cls for cls in EVENT_CLASSES if projection.folds(cls)]
    assert folded, f"{projection.name} folds nothing"
    assert list(_unfolded(projection)), f"{projection.name} folds everything, claims included"
