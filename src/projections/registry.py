"""Every read model the projector maintains, by name."""

from __future__ import annotations

from projections.audit_chain import AuditChain
from projections.base import Projection
from projections.charges import Charges
from projections.directory import Directory
from projections.due import DueProjection
from projections.event_log import EventLog
from projections.hardware_overview import HardwareOverview
from projections.invoices import Invoices
from projections.outbox import Outbox
from projections.rental_accounts import RentalAccounts
from projections.subscription_overview import SubscriptionOverview
from projections.usage import UsageProjection


def all_projections() -> list[Projection]:
    return [
        EventLog(),
        HardwareOverview(),
        SubscriptionOverview(),
        Charges(),
        Outbox(),
        DueProjection(),
        Directory(),
        UsageProjection(),
        RentalAccounts(),
        Invoices(),
        AuditChain(),
    ]
