"""RFC 9457 problem+json for every error, mapped in one place. Never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.stripe_gateway import StripeGatewayError
from api.http.preconditions import if_match_sent
from api.http.schemas.health import ProjectionHealthOut
from api.http.schemas.subscriptions import QuoteOut, quote_out
from domain.model.errors import (
    DomainError,
    InvalidValue,
    NotAllowed,
    NotFound,
    RuleViolation,
    Throttled,
    VersionConflict,
)
from domain.model.purchase_quote import StaleQuote

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://lessor.dev/problems/"
log = logging.getLogger("lessor.http")


class Problem(BaseModel):
    """An RFC 9457 problem, as `problem` below writes it."""

    type: str = Field(description=f"{TYPE_BASE}<kind>, e.g. {TYPE_BASE}not-found")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="the request's path")
    current_version: int | None = Field(
        default=None, description="409 version-conflict and 412: the version it is at now"
    )
    quote: QuoteOut | None = Field(default=None, description="409 stale-quote: the quote now")
    projections: dict[str, ProjectionHealthOut] | None = Field(
        default=None, description="503 not-ready (/readyz): each read model's position and lag"
    )


class FieldError(BaseModel):
    field: str = Field(description="where, dotted: body.lines.0.seats, query.limit")
    message: str
    type: str = Field(description="pydantic's error type, e.g. int_type, extra_forbidden")


class ValidationProblem(Problem):
    """422: a request the schema refuses lists each refusal; a refused value has none."""

    errors: list[FieldError] | None = None


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_of(error: DomainError) -> tuple[int, str]:
    if isinstance(error, NotFound):
        return 404, "not-found"
    if isinstance(error, NotAllowed):
        return 403, "forbidden"
    if isinstance(error, VersionConflict):
        return 409, "version-conflict"
    if isinstance(error, StaleQuote):
        return 409, "stale-quote"
    if isinstance(error, RuleViolation):
        return 409, "rule-violation"
    if isinstance(error, InvalidValue):
        return 422, "invalid-value"
    return 409, "refused"


def _precondition_failed(request: Request, exc: VersionConflict, if_match: str) -> JSONResponse:
    """A stale If-Match (RFC 9110 §13.1.1): 412, with the version it is at now."""
    current = exc.current_version
    now = f'its ETag is now "{current}"' if current is not None else "it has changed"
    return problem(
        412,
        "Precondition failed",
        f"If-Match {if_match} no longer matches the resource: {now}. Read it again, then retry.",
        type_="precondition-failed",
        instance=request.url.path,
        current_version=current,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, VersionConflict) and (if_match := if_match_sent(request)):
            return _precondition_failed(request, exc, if_match)
        if isinstance(exc, Throttled):
            retry = {"Retry-After": str(exc.retry_after_s)}
            return problem(
                429,
                exc.title,
                exc.detail,
                type_="throttled",
                instance=request.url.path,
                headers=retry,
            )
        status, kind = _status_of(exc)
        extra: dict[str, Any] = exc.extensions()
        if isinstance(exc, VersionConflict):
            extra["current_version"] = exc.current_version
        if isinstance(exc, StaleQuote):
            extra["quote"] = QuoteOut.model_validate(quote_out(exc.fresh)).model_dump(mode="json")
        return problem(
            status, exc.title, exc.detail, type_=kind, instance=request.url.path, **extra
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_path(e.get("loc", ())),
                "message": e.get("msg", "invalid"),
                "type": e.get("type", "value_error"),
            }
            for e in exc.errors()
        ]
        malformed = any(e["type"] == "json_invalid" for e in errors)
        detail = (
            "The request body is not valid JSON."
            if malformed
            else "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        )
        return problem(
            422,
            "Malformed JSON" if malformed else "Invalid request",
            detail,
            type_="malformed-json" if malformed else "validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            400: "Bad request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
            429: "Too many requests",
            503: "Not ready",
        }
        detail = exc.detail if isinstance(exc.detail, str) else titles.get(exc.status_code, "")
        slug = titles.get(exc.status_code, "error").lower().replace(" ", "-")
        return problem(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            detail,
            type_=slug,
            instance=request.url.path,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(StripeGatewayError)
    async def payment_provider(request: Request, _exc: StripeGatewayError) -> JSONResponse:
        return problem(
            502,
            "Payment provider unavailable",
            "The payment provider refused or could not be reached; nothing was recorded."
            " Try again in a moment.",
            type_="payment-provider",
            instance=request.url.path,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> JSONResponse:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Internal error",
            "Something went wrong on our side. Retrying with the same Idempotency-Key is safe.",
            type_="internal",
            instance=request.url.path,
        )
