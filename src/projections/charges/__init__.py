"""The charges read model: every chargeable line for the invoice run, and its queries."""

from projections.charges.projection import Charges
from projections.charges.queries import ChargeFilter, query_charges

__all__ = ["ChargeFilter", "Charges", "query_charges"]
