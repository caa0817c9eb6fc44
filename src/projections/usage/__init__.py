"""The usage read model: per company, month and kind, the entities active at any time in the
month (company time zone), and the usage price list; and its queries."""

from projections.usage.projection import UsageProjection
from projections.usage.queries import (
    MonthUsage,
    UsageLine,
    current_usage,
    month_usage,
    usage_prices,
)

__all__ = [
    "MonthUsage",
    "UsageLine",
    "UsageProjection",
    "current_usage",
    "month_usage",
    "usage_prices",
]
