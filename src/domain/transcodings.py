"""How value objects are stored inside events and snapshots (the library's JSON transcoder)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.model.actor import Actor
from domain.model.invoice import InvoiceLine
from domain.model.money import Money
from domain.model.product import ProductKind
from domain.model.subscription import ChargeLine, SeatLine
from domain.model.usage import UsageChange


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class AsDict(Transcoding):
    """A value object stored as a dict: `to_dict` and `from_dict` if it has them, else its
    dataclass fields (`revive` turns the decoded field values back into the object)."""

    def __init__(
        self, type_: type, name: str, revive: Callable[[dict[str, Any]], Any] | None = None
    ) -> None:
        self.type = type_
        self.name = name
        self.revive = revive or getattr(type_, "from_dict", None) or (lambda d: type_(**d))

    def encode(self, obj: Any) -> dict[str, Any]:
        if hasattr(obj, "to_dict"):
            return dict(obj.to_dict())
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.revive(data)


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
        AsDict(Money, "money"),
        AsDict(Actor, "actor"),
        AsDict(SeatLine, "seat_line", lambda d: SeatLine(**{**d, "kind": ProductKind(d["kind"])})),
        AsDict(ChargeLine, "charge_line"),
        AsDict(UsageChange, "usage_change"),
        AsDict(InvoiceLine, "invoice_line"),
    ):
        transcoder.register(transcoding)
