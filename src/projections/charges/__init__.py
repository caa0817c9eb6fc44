"""The charges read model: every chargeable line for the invoice run, and its queries."""

from projections.charges.projection import Charges

__all__ = ["Charges"]
