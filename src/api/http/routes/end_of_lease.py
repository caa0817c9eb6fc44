"""/v1/devices/{id}/…: end-of-lease options, choices, buyout checkout, receipt, release,
return; /v1/companies/{id}/valuation: automatic valuation and custom curves."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["end of lease"])
