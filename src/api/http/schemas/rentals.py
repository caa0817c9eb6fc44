"""/v1/devices/{id}/rma-swap: a new unit takes over a rental."""

from __future__ import annotations

from pydantic import Field

from api.http.schemas.common import Strict


class SwapIn(Strict):
    serial: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=200)
