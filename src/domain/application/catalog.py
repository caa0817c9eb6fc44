"""The provider's catalog: products (plans and options) with list prices per currency."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import Caller, Role
from domain.model.ids import natural_id
from domain.model.product import Product, ProductKind
from domain.ports import IdSource

# Catalog keys are provider-wide, not per company: claims use this namespace as "company".
PROVIDER = natural_id("provider")


@dataclass(frozen=True, eq=False)
class Catalog:
    core: ApplicationCore
    ids: IdSource

    @command("add_product")
    def add_product(
        self,
        ctx: CommandContext,
        *,
        code: str,
        name: str,
        kind: ProductKind,
        prices: dict[str, int],
    ) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        product_id = self.ids.new_id()
        product = Product.add(
            product_id=product_id, code=code, name=name, kind=kind, prices=prices, cause=ctx.cause
        )
        claim = self.core.claim("product-code", PROVIDER, product.code, product.id, ctx.cause)
        return self.core.commit(ctx, product, claim, created=True)

    @command("change_product")
    def change_product(
        self,
        ctx: CommandContext,
        product_id: UUID,
        *,
        name: str | None = None,
        prices: dict[str, int] | None = None,
    ) -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        product = self.product(ctx.caller, product_id)
        self.core.check_version(ctx, product)
        product.change(name=name, prices=prices, cause=ctx.cause)
        return self.core.commit(ctx, product, created=False)

    def product(self, caller: Caller, product_id: UUID, version: int | None = None) -> Product:
        """Every authenticated caller may read the catalog (the caller is for symmetry with
        the other reads, and for the day a catalog becomes per-customer)."""
        del caller
        return self.core.load(Product, product_id, "Product", version)

    def products(self) -> list[Product]:
        ids = [n.originator_id for n in self.core.notifications_of(Product.Added)]
        return [self.core.load(Product, product_id, "Product") for product_id in ids]
