"""/v1/catalog/products: what the provider sells (operators manage it; everyone reads it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute
from api.http.schemas.catalog import (
    PRODUCT,
    ProductChange,
    ProductCreate,
    ProductList,
    product_out,
)
from domain.application import Outcome

router = APIRouter(prefix="/v1/catalog/products", tags=["catalog"], route_class=DocumentedRoute)
products = CommandRoutes(router, "", PRODUCT)
product = CommandRoutes(router, "/{product_id}", PRODUCT)


@products.post("", "Add a product: a plan or an option (operator)", status_code=201)
def add_product(app: App, ctx: Ctx, body: ProductCreate) -> Outcome:
    prices = body.prices_minor()
    return app.catalog.add_product(
        ctx, code=body.code, name=body.name, kind=body.kind, prices=prices
    )


@router.get("", summary="The catalog", response_model=ProductList)
def list_products(who: CallerDep, c: ContainerDep) -> dict[str, Any]:
    del who  # any authenticated caller may read the catalog
    return {"items": [product_out(p) for p in c.app.catalog.products()]}


@router.get("/{product_id}", summary="One product", response_model=PRODUCT.model)
def get_product(
    product_id: UUID, who: CallerDep, c: ContainerDep, response: Response
) -> dict[str, Any]:
    return PRODUCT.read(response, c.app.catalog.product(who, product_id))


@product.patch("", "Rename or re-price (applies to later sales only)")
def change_product(app: App, ctx: Ctx, product_id: UUID, body: ProductChange) -> Outcome:
    return app.catalog.change_product(ctx, product_id, name=body.name, prices=body.prices_minor())
