"""The rental accounts read model: each company's credits and rentals, and the key batches
with how many keys were redeemed; and its queries."""

from projections.rental_accounts.projection import RentalAccounts
from projections.rental_accounts.queries import (
    RentalAccountFilter,
    query_key_batches,
    query_rental_accounts,
)

__all__ = [
    "RentalAccountFilter",
    "RentalAccounts",
    "query_key_batches",
    "query_rental_accounts",
]
