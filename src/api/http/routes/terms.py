"""/v1/terms: the provider's terms of sale (operators publish versions; everyone reads them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import CallerDep, ContainerDep
from api.http.documented import DocumentedRoute, problem_response
from api.http.schemas.terms import TERMS, TermsPublish
from domain.application import Outcome
from domain.model.errors import NotFound

router = APIRouter(prefix="/v1/terms", tags=["terms"], route_class=DocumentedRoute)
terms = CommandRoutes(router, "", TERMS)


@terms.post(
    "",
    "Publish a new version of the provider's terms (operator); the first creates them",
    status_code=201,
    first_use=True,
)
def publish(app: App, ctx: Ctx, body: TermsPublish) -> Outcome:
    return app.terms.publish(ctx, body.version, body.summary)


@router.get(
    "",
    summary="The provider's terms in force",
    response_model=TERMS.model,
    responses={404: problem_response(404)},
)
def get(who: CallerDep, c: ContainerDep, response: Response) -> dict[str, Any]:
    del who  # any authenticated caller reads the terms they accept
    current = c.app.terms.current()
    if current is None:
        raise NotFound("The provider has published no terms yet.")
    return TERMS.read(response, current)
