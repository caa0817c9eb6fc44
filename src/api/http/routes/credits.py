"""Prepaid rental credits (SPEC §4): activation keys (operators), the company's rental
account, redemptions, and renting a device at a daily rate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.http.commands import App, CommandRoutes, Ctx
from api.http.deps import (
    CallerDep,
    ContainerDep,
    ContextDep,
    Cursor,
    Limit,
    MinPosition,
    company_for,
)
from api.http.documented import DocumentedRoute, problem_response
from api.http.problems import Problem
from api.http.reads import views_after
from api.http.schemas import NoBody
from api.http.schemas.credits import (
    KEY_BATCH,
    RENTAL_ACCOUNT,
    IssuedKeysOut,
    KeyBatchesOut,
    KeysIssue,
    LicenceKeyOut,
    LicenceKeysOut,
    LicenceOut,
    Redemption,
    RentalAccountOut,
    RentalAccountsOut,
    RentalActivation,
    RentalSwap,
    key_batch_out,
    no_account_out,
)
from api.http.schemas.event_log import EventPage
from domain.application import Outcome
from projections.event_log import query_rental_account_history
from projections.rental_accounts import (
    RentalAccountFilter,
    query_key_batches,
    query_rental_accounts,
)

router = APIRouter(tags=["rental credits"], route_class=DocumentedRoute)
batch = CommandRoutes(router, "/v1/activation-keys/{batch_id}", KEY_BATCH)
account = CommandRoutes(router, "/v1/rental-account", RENTAL_ACCOUNT)
device = CommandRoutes(router, "/v1/devices/{device_id}", RENTAL_ACCOUNT)

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": Problem,
        "description": "Too many failed redemptions by the company lately (see Retry-After)",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}


@router.post(
    "/v1/activation-keys",
    summary="Issue a batch of activation keys (the codes are shown once)",
    status_code=201,
    response_model=IssuedKeysOut,
)
def issue_keys(body: KeysIssue, ctx: ContextDep, c: ContainerDep) -> JSONResponse:
    issued = c.app.credits.issue_keys(
        ctx,
        credits=body.credits,
        count=body.count,
        company_id=body.company_id,
        price=body.price.to_money() if body.price is not None else None,
        label=body.label,
    )
    answer = KEY_BATCH.answer(issued.outcome)
    shown = IssuedKeysOut.model_validate(
        {**key_batch_out(issued.outcome.subject_as(KEY_BATCH.kind)), "codes": issued.codes}
    )
    # The batch's answer without its body's length: this body (with the codes) is longer,
    # and a stale Content-Length makes a real server cut the answer off.
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return JSONResponse(
        shown.model_dump(mode="json"), status_code=answer.status_code, headers=headers
    )


@router.get("/v1/activation-keys", summary="Key batches (never their codes)", name="list_batches")
def list_batches(
    who: CallerDep,
    c: ContainerDep,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> KeyBatchesOut:
    views = views_after(c, "rental_accounts", min_position)
    page = query_key_batches(views, who, after=cursor, limit=limit)
    return KeyBatchesOut.model_validate(page.to_json())


@router.get(
    "/v1/rental-accounts",
    summary="Rental accounts: balance, runway, daily total, rentals with status and rate",
    name="list_accounts",
)
def list_accounts(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    suspended: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> RentalAccountsOut:
    views = views_after(c, "rental_accounts", min_position)
    f = RentalAccountFilter(company_id=company_id, suspended=suspended, after=cursor, limit=limit)
    return RentalAccountsOut.model_validate(query_rental_accounts(views, who, f).to_json())


@batch.post("/void", "Void the batch's keys not yet redeemed")
def void_batch(app: App, ctx: Ctx, batch_id: UUID, _: NoBody) -> Outcome:
    return app.credits.void_batch(ctx, batch_id)


@router.get(
    "/v1/rental-account",
    summary="The company's credits: balance, runway, daily total, rentals",
    name="account",
    response_model=RentalAccountOut,
)
def get_account(who: CallerDep, c: ContainerDep, company_id: UUID | None = None) -> dict[str, Any]:
    company = company_for(who, company_id)
    found = c.app.credits.account(who, company)
    return no_account_out(company) if found is None else RENTAL_ACCOUNT.body(found)


@router.get(
    "/v1/rental-account/history",
    summary="The rental contract's history: what, when, done by, details",
    name="history",
    response_model=EventPage,
)
def history(
    who: CallerDep,
    c: ContainerDep,
    company_id: UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    views = views_after(c, "event_log", min_position)
    company = company_for(who, company_id)
    return query_rental_account_history(views, who, company, after=cursor, limit=limit).to_json()


@account.post(
    "/redemptions",
    "Redeem an activation key (the first redemption opens the account)",
    status_code=201,
    responses=THROTTLED,
    first_use=True,
)
def redeem(app: App, ctx: Ctx, body: Redemption) -> Outcome:
    company = company_for(ctx.caller, body.company_id)
    return app.credits.redeem(ctx, company_id=company, code=body.code)


@device.post("/rental", "Rent the device at a daily rate (the first day is charged at once)")
def activate_rental(app: App, ctx: Ctx, device_id: UUID, body: RentalActivation) -> Outcome:
    return app.credits.activate(ctx, device_id, rate=body.rate)


@device.post("/rental/swap", "RMA to a registered unit: it takes over the paid days")
def swap_rental(app: App, ctx: Ctx, device_id: UUID, body: RentalSwap) -> Outcome:
    return app.credits.swap(ctx, device_id, replacement_id=body.replacement_id)


@router.get(
    "/v1/devices/{device_id}/rental/licence",
    summary="The rented device's signed licence, valid to the end of its last paid day",
    name="licence",
    responses={
        409: {
            **problem_response(409),
            "description": "No active rental (none, ended, or suspended): no licence",
        }
    },
)
def licence(device_id: UUID, who: CallerDep, c: ContainerDep) -> LicenceOut:
    facts = c.app.credits.licence(who, device_id, c.clock.now())
    signed, payload = c.licence_signer.sign(facts)
    return LicenceOut(
        licence=signed,
        key_id=payload["kid"],
        device_id=payload["device_id"],
        serial=payload["serial"],
        company_id=payload["company_id"],
        valid_until=payload["valid_until"],
        issued_at=payload["issued_at"],
    )


@router.get(
    "/v1/rental/licence-keys",
    summary="The public keys that rental licences are signed with",
    name="licence_keys",
)
def licence_keys(who: CallerDep, c: ContainerDep) -> LicenceKeysOut:
    del who  # any authenticated caller: the keys are public, the route is under /v1
    key = c.licence_signer.public
    return LicenceKeysOut(
        keys=[LicenceKeyOut(key_id=key.key_id, algorithm=key.algorithm, public_key=key.public_key)]
    )
