"""/v1/companies/{id}/default-licence: the licence a company's new members get while a
seat is free (a company setting, kept by the subscriptions service)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.http.commands import App, CommandRoutes, Ctx
from api.http.documented import DocumentedRoute
from api.http.schemas.default_licence import COMPANY_DEFAULT_LICENCE, DefaultLicence
from domain.application import Outcome

router = APIRouter(tags=["subscriptions"], route_class=DocumentedRoute)
company = CommandRoutes(router, "/v1/companies/{company_id}", COMPANY_DEFAULT_LICENCE)


@company.post("/default-licence", "The licence new members get while a seat is free")
def choose_default_licence(app: App, ctx: Ctx, company_id: UUID, body: DefaultLicence) -> Outcome:
    return app.subscriptions.choose_default_licence(
        ctx, company_id, body.subscription_id, body.product_id
    )
