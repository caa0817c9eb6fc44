"""How value objects are stored inside events and snapshots (the library's JSON transcoder)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.model.actor import Actor
from domain.model.money import Money


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Money:
        return Money.from_dict(data)


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return obj.to_dict()

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor.from_dict(data)


def register_lessor_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (DateAsISO(), MoneyAsDict(), ActorAsDict()):
        transcoder.register(transcoding)
