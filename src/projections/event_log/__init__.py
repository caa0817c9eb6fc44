"""The event log read model: every business event as one row, and its queries."""

from projections.event_log.projection import EventLog

__all__ = ["EventLog"]
