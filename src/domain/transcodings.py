"""How value objects are stored inside events and snapshots (the library's JSON transcoder)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.model.actor import Actor
from domain.model.invoice import InvoiceLine
from domain.model.money import Money
from domain.model.product import ProductKind
from domain.model.subscription import ChargeLine, SeatLine


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


class SeatLineAsDict(Transcoding):
    type = SeatLine
    name = "seat_line"

    def encode(self, obj: SeatLine) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> SeatLine:
        return SeatLine(**{**data, "kind": ProductKind(data["kind"])})


class ChargeLineAsDict(Transcoding):
    type = ChargeLine
    name = "charge_line"

    def encode(self, obj: ChargeLine) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> ChargeLine:
        return ChargeLine(**data)


class InvoiceLineAsDict(Transcoding):
    type = InvoiceLine
    name = "invoice_line"

    def encode(self, obj: InvoiceLine) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> InvoiceLine:
        return InvoiceLine(**data)


def register_lessor_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (
        DateAsISO(),
        MoneyAsDict(),
        ActorAsDict(),
        SeatLineAsDict(),
        ChargeLineAsDict(),
        InvoiceLineAsDict(),
    ):
        transcoder.register(transcoding)
