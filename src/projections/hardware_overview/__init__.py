"""The hardware overview read model: one row per device, and its queries."""

from projections.hardware_overview.projection import HardwareOverview
from projections.hardware_overview.queries import (
    READY,
    HardwareFilter,
    leased_devices_in_use,
    query_hardware,
)

__all__ = [
    "READY",
    "HardwareFilter",
    "HardwareOverview",
    "leased_devices_in_use",
    "query_hardware",
]
