"""The baseline of `scripts/bench http`: a plain FastAPI app with the same three routes,
answering fixed bodies of the same shape and size, no database (docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()

_DEVICE = {
    "device_id": "00000000-0000-0000-0000-000000000000",
    "company_id": "00000000-0000-0000-0000-000000000000",
    "serial": "SN-000000",
    "model": "ThinkPad T14",
    "category": "laptop",
    "contract_type": "purchased",
    "status": "in_stock",
    "assignee": None,
    "company_cost": {"amount": "12000.00", "currency": "SEK"},
    "version": 1,
}
_PAGE = {"items": [_DEVICE] * 100, "next_cursor": 100}


@app.get("/healthz")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@app.get("/v1/devices")
def devices() -> dict[str, Any]:
    return _PAGE


@app.post("/v1/devices", status_code=201)
def register(body: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 (parsed, as Lessor does)
    return {"id": _DEVICE["device_id"], "version": 1, "position": 1}
