"""/v1/devices/buyout-prices/import: manual buyout prices and availability from a CSV file.

The body is the CSV file itself (Content-Type: text/csv, or application/octet-stream as
the OpenAPI declares it, so that generated clients send it as bytes), e.g.

    curl -X POST '…/v1/devices/buyout-prices/import?dry_run=false' \\
         -H 'Content-Type: text/csv' --data-binary @prices.csv

A dry run (the default) answers 200 with what each row would change and every error. An
apply with any error answers 422 problem+json listing every error, and writes nothing; a
clean apply answers 200 with the counts. The same file again answers 200 with
"repeated": true and writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from adapters.price_csv import read_price_csv
from api.http.deps import ContainerDep, ContextDep
from api.http.documented import DocumentedRoute
from api.http.problems import problem
from api.http.responses import POSITION_HEADER
from api.http.schemas import money_out
from api.http.schemas.price_imports import CsvFileProblem, ImportResultOut
from domain.application.price_imports import ImportResult
from domain.model.actor import DEVICE_MANAGERS
from domain.model.errors import InvalidValue
from domain.model.price_import import Change, PriceImportRejected, RowError, RowOutcome

router = APIRouter(
    prefix="/v1/devices/buyout-prices", tags=["devices"], route_class=DocumentedRoute
)

# Bodies that are not the file itself: a form upload or JSON would parse as nonsense rows.
NOT_A_CSV_BODY = ("multipart/", "application/json", "application/x-www-form-urlencoded")


async def csv_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/import",
    summary="Import manual buyout prices and availability from CSV (dry run by default)",
    response_model=ImportResultOut,
    responses={422: {"model": CsvFileProblem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The CSV file (serial,price,available,effective_date), UTF-8;"
            " sent as text/csv or application/octet-stream",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def import_buyout_prices(
    request: Request,
    response: Response,
    ctx: ContextDep,
    c: ContainerDep,
    content: Annotated[bytes, Depends(csv_body)],
    dry_run: Annotated[bool, Query(description="true: only check and report; false: apply")] = True,
    company_id: Annotated[UUID | None, Query(description="operators name the company")] = None,
) -> Any:
    ctx.caller.require(*DEVICE_MANAGERS)
    target = company_id or ctx.caller.company_id
    if target is None:
        raise InvalidValue("company_id is required for operators.")
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(NOT_A_CSV_BODY):
        raise InvalidValue(
            "Send the CSV file itself as the request body, with Content-Type: text/csv"
            " (or application/octet-stream)."
        )
    table = read_price_csv(content)
    try:
        result = c.app.price_imports.import_buyout_prices(ctx, target, table, dry_run=dry_run)
    except PriceImportRejected as rejected:
        return problem(
            422,
            rejected.title,
            rejected.detail,
            type_="invalid-value",
            instance=request.url.path,
            errors=[error_out(e) for e in rejected.errors],
        )
    response.headers[POSITION_HEADER] = str(result.position)
    return _result_out(result)


def _result_out(result: ImportResult) -> dict[str, Any]:
    return {
        "import_id": str(result.import_id),
        "company_id": str(result.company_id),
        "sha256": result.sha256,
        "dry_run": result.dry_run,
        "valid": not result.errors,
        "applied": result.applied,
        "repeated": result.repeated,
        "counts": {
            "rows": len(result.rows),
            "errors": len(result.errors),
            "devices_changed": result.devices_changed,
            **{change.value: result.count(change) for change in Change},
        },
        "rows": [_row_out(outcome) for outcome in result.rows],
        "errors": [error_out(e) for e in result.errors],
    }


def _row_out(outcome: RowOutcome) -> dict[str, Any]:
    row = outcome.row
    return {
        "line": row.line,
        "serial": row.serial,
        "device_id": str(row.device_id),
        "price": money_out(row.price) if row.price is not None else None,
        "price_given": row.price_given,
        "available": row.available,
        "effective_date": row.effective_date.isoformat(),
        "changes": [change.value for change in outcome.changes],
    }


def error_out(error: RowError) -> dict[str, Any]:
    return {"line": error.line, "field": error.field, "message": error.message}
