"""/v1/catalog/products: what the provider sells (operators manage it; everyone reads it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.http.deps import CallerDep, ContainerDep, ContextDep
from api.http.routes._responses import command_response
from api.http.schemas import ProductChange, ProductCreate, product_out

router = APIRouter(prefix="/v1/catalog/products", tags=["catalog"])


@router.post("", status_code=201, summary="Add a product: a plan or an option (operator)")
def add_product(body: ProductCreate, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    outcome = c.app.catalog.add_product(
        ctx, code=body.code, name=body.name, kind=body.kind, prices=body.prices_minor()
    )
    product = c.app.catalog.product(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, product_out(product), lambda i: f"/v1/catalog/products/{i}")


@router.get("", summary="The catalog")
def list_products(who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    del who  # any authenticated caller may read the catalog
    return {"items": [product_out(p) for p in c.app.catalog.products()]}


@router.get("/{product_id}", summary="One product")
def get_product(product_id: UUID, who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    return product_out(c.app.catalog.product(who, product_id))


@router.patch("/{product_id}", summary="Rename or re-price (applies to later sales only)")
def change_product(
    product_id: UUID, body: ProductChange, ctx: ContextDep, c: ContainerDep
) -> JSONResponse:
    outcome = c.app.catalog.change_product(
        replace(ctx, expected_version=body.expected_version),
        product_id,
        name=body.name,
        prices=body.prices_minor(),
    )
    product = c.app.catalog.product(ctx.caller, outcome.subject_id, version=outcome.version)
    return command_response(outcome, product_out(product))
