"""The hardware overview read model: one row per device, and its queries."""

from projections.hardware_overview.projection import HardwareOverview

__all__ = ["HardwareOverview"]
