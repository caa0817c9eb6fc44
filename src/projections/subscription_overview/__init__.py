"""The subscription overview read model: terms, renewals and seats, and its queries."""

from projections.subscription_overview.projection import SubscriptionOverview

__all__ = ["SubscriptionOverview"]
