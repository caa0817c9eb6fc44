"""The subscription overview read model: terms, renewals and seats, and its queries."""

from projections.subscription_overview.projection import SubscriptionOverview
from projections.subscription_overview.queries import (
    SubscriptionFilter,
    company_subscription_ids,
    query_subscriptions,
)

__all__ = [
    "SubscriptionFilter",
    "SubscriptionOverview",
    "company_subscription_ids",
    "query_subscriptions",
]
