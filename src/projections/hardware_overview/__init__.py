"""The hardware overview read model: one row per device, and its queries."""

from projections.hardware_overview.projection import HardwareOverview
from projections.hardware_overview.queries import (
    READY,
    HardwareFilter,
    bought_devices_by_company,
    leased_devices_in_use,
    query_hardware,
)

__all__ = [
    "READY",
    "HardwareFilter",
    "HardwareOverview",
    "bought_devices_by_company",
    "leased_devices_in_use",
    "query_hardware",
]
