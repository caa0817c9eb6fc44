"""The event log read model: every business event as one row, and its queries."""

from projections.event_log.projection import EventLog
from projections.event_log.queries import (
    EventLogFilter,
    query_device_events,
    query_event,
    query_event_log,
    query_rental_account_history,
    query_subscription_history,
)

__all__ = [
    "EventLog",
    "EventLogFilter",
    "query_device_events",
    "query_event",
    "query_event_log",
    "query_rental_account_history",
    "query_subscription_history",
]
