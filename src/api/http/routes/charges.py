"""/v1/charges: the chargeable facts the invoice run reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from api.http.deps import CallerDep, ChargesPage
from api.http.documented import DocumentedRoute
from api.http.schemas.charges import ChargePage
from projections.charges import ChargeFilter, query_charges

router = APIRouter(tags=["subscriptions"], route_class=DocumentedRoute)


@router.get(
    "/v1/charges",
    tags=["charges"],
    summary="Chargeable facts for the invoice run",
    response_model=ChargePage,
)
def list_charges(
    who: CallerDep,
    paging: ChargesPage,
    company_id: UUID | None = None,
    subscription_id: UUID | None = None,
    charged_from: Annotated[date | None, Query(description="inclusive")] = None,
    charged_to: Annotated[date | None, Query(description="exclusive")] = None,
) -> dict[str, Any]:
    page = query_charges(
        paging.views,
        who,
        ChargeFilter(
            company_id=company_id,
            subscription_id=subscription_id,
            charged_from=charged_from,
            charged_to=charged_to,
            after=paging.after,
            limit=paging.limit,
        ),
    )
    return page.to_json()
