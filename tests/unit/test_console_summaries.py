"""Every event type the audit log can show has a readable one-line summary (issue #14)."""

from __future__ import annotations

from typing import Any

import pytest

from api.console.summaries import EVENT_TYPES, SUMMARIES, summary_of
from projections.event_log.projection import HIDDEN_DETAILS, NOT_LOGGED, operation_of
from projections.jsonable import event_details
from tests.unit.test_event_serialisation import model_event_classes, sample_id, samples

LOGGED = {c.__qualname__ for c in model_event_classes()} - {c.__qualname__ for c in NOT_LOGGED}


def item_of(event: Any, name: str = "Erik Lind", role: str = "employee") -> dict[str, Any]:
    """The event as the event_log read model lists it (the fields a summary reads)."""
    return {
        "operation": operation_of(event),
        "actor": {"id": "t", "role": role, "name": name, "email": None, "label": None},
        "details": event_details(event, HIDDEN_DETAILS),
    }


def test_every_logged_event_type_has_a_summary_and_no_other() -> None:
    assert len(LOGGED) > 80  # the discovery works at all
    assert set(SUMMARIES) == LOGGED
    assert set(EVENT_TYPES) == LOGGED  # the filter offers exactly these


@pytest.mark.parametrize("event", list(samples()), ids=sample_id)
def test_a_summary_reads_as_a_sentence_of_who_did_what(event: Any) -> None:
    if type(event) in NOT_LOGGED:
        return
    line = summary_of(item_of(event))
    assert line.startswith("Erik Lind")
    assert type(event).__qualname__ not in line  # not a class name
    assert "{" not in line, line
    assert "None" not in line, line


def test_the_preliminary_choice_reads_as_the_issue_says() -> None:
    [event] = [e for e in samples() if operation_of(e) == "Device.PreliminaryChoiceMade"][:1]
    line = summary_of(item_of(event))
    assert line == f"Erik Lind chose {event.choice.value} (preliminary)"


def test_the_systems_own_events_are_done_by_lessor() -> None:
    item = {
        "operation": "RentalAccount.DayCharged",
        "actor": {"id": "scheduler", "role": "system", "name": "system"},
        "details": {"day": "2026-03-02", "total": 3, "balance": 7},
    }
    assert summary_of(item) == "Lessor charged 3 credits for 2026-03-02 (balance 7)"
