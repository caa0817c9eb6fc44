"""/v1/catalog/products: what the provider sells."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import Field

from api.http.responses import Resource
from api.http.schemas.common import Body, MoneyOut, Strict, Versioned, money_out, prices_minor
from domain.model.money import Money
from domain.model.product import Product, ProductKind


class ProductCreate(Strict):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200, description="Shown on invoices")
    kind: ProductKind
    prices: dict[str, Decimal] = Field(
        description='List price per seat per month, by currency: {"SEK": "49.00"}'
    )

    def prices_minor(self) -> dict[str, int]:
        return prices_minor(self.prices)


class ProductChange(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    prices: dict[str, Decimal] | None = None

    def prices_minor(self) -> dict[str, int] | None:
        return None if self.prices is None else prices_minor(self.prices)


class ProductOut(Body):
    id: UUID
    code: str
    name: str
    kind: str
    prices: dict[str, MoneyOut] = Field(description="a price per currency")
    version: int


class ProductList(Body):
    items: list[ProductOut] = Field(description="every product, plans and options")


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "code": product.code,
        "name": product.name,
        "kind": str(product.kind),
        "prices": {c: money_out(Money(m, c)) for c, m in sorted(product.prices.items())},
        "version": product.version,
    }


PRODUCT = Resource(Product, product_out, ProductOut, "/v1/catalog/products")
