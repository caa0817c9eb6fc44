"""The Lessor application: one method per command (load → check → decide → save)."""

from __future__ import annotations

from domain.application.base import CommandContext, Idempotency, Outcome, command
from domain.application.end_of_lease import DeviceOptions, EndOfLeaseCommands
from domain.application.price_imports import PriceImportCommands
from domain.application.subscriptions import Quote, SubscriptionCommands
from domain.application.tokens import TokenCommands, TokenInfo
from domain.model.company import Company
from domain.model.device import Device
from domain.model.member import Member
from domain.model.subscription import Subscription


class LessorApplication(
    EndOfLeaseCommands, PriceImportCommands, SubscriptionCommands, TokenCommands
):
    """All aggregates in one event store (tables `lessor_events`, `lessor_snapshots`)."""

    name = "lessor"
    snapshotting_intervals = {  # noqa: RUF012 (library API)
        Company: 50,
        Member: 50,
        Device: 50,
        Subscription: 50,
    }


__all__ = [
    "CommandContext",
    "DeviceOptions",
    "Idempotency",
    "LessorApplication",
    "Outcome",
    "Quote",
    "TokenInfo",
    "command",
]
