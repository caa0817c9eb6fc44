"""One folding loop: each stored event is decoded once and applied to every view that folds
it; a record projection (the audit chain) gets every stored record as it is, undecoded.
Used by the projector (live, rebuild, verify) and by replay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from adapters.event_pages import LoggedEvent
from adapters.sql import SqlSession
from projections.base import Projection, RecordProjection


class EventFolder:
    def __init__(self, mapper: Mapper[Any], projections: Iterable[Projection]) -> None:
        self._mapper = mapper
        self._folded_topics: dict[str, dict[str, bool]] = {p.name: {} for p in projections}

    def fold(
        self,
        targets: Sequence[tuple[Projection, SqlSession]],
        events: Sequence[LoggedEvent],
        positions: Mapping[str, int] | None = None,
    ) -> None:
        """Apply each event to every target projection that folds it (and, given their
        `positions`, has not passed it yet), decoding it once."""
        records = [(p, view) for p, view in targets if isinstance(p, RecordProjection)]
        decoded = [(p, view) for p, view in targets if not isinstance(p, RecordProjection)]
        for logged in events:
            for chain, view in records:
                if positions is None or logged.position > positions[chain.name]:
                    chain.apply_record(logged, view)
            folding = [
                (p, view)
                for p, view in decoded
                if self._folds(p, logged.topic)
                and (positions is None or logged.position > positions[p.name])
            ]
            if not folding:
                continue  # e.g. a uniqueness claim: no view reads it, so it is never decoded
            event = self._mapper.to_domain_event(
                StoredEvent(
                    originator_id=logged.originator_id,
                    originator_version=logged.originator_version,
                    topic=logged.topic,
                    state=logged.state,
                )
            )
            for projection, view in folding:
                projection.apply(event, logged.position, view)

    def _folds(self, projection: Projection, topic: str) -> bool:
        """Whether `projection` folds events of this topic (resolved once per topic)."""
        known = self._folded_topics.setdefault(projection.name, {})
        folds = known.get(topic)
        if folds is None:
            folds = known[topic] = projection.folds(resolve_topic(topic))
        return folds
