"""The `due` read model: what time rule is next due, per aggregate (docs/adr/0010)."""

from projections.due.projection import DueProjection

__all__ = ["DueProjection"]
