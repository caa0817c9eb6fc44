"""Console forms: an urlencoded body read and bounded, and CSRF checked (ADR 0041).

Every form that changes state carries the session's CSRF token in a hidden field
(`csrf_field` in templates/console/_forms.html) and its route depends on `require_csrf`;
a post without it, or with another session's, is refused (403) before anything changes.
The sign-in form has no session yet: it carries a token that must match a cookie set with
the form (double submit), so another site cannot sign a browser in as someone else.
The cookie is SameSite=Strict as well; the token does not rely on that alone.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from api.console.replayed import refuse_if_replayed
from api.console.session import ConsoleViewer, signed_in_viewer

CSRF_FIELD = "csrf_token"
SIGN_IN_CSRF_COOKIE = "lessor_console_csrf"
MAX_FIELDS = 50
MAX_FORM_BYTES = 16_384

Form = dict[str, str]


class CsrfRefused(Exception):
    """The form's CSRF token is missing or wrong: 403, nothing done."""


class FormRefused(Exception):
    """Not an urlencoded form, or too large: 400, nothing done."""


async def form_fields(request: Request) -> Form:
    """The posted fields (the first value of each name). No multipart: no console form
    uploads files, and reading only this one kind keeps the parser small."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if body and kind != "application/x-www-form-urlencoded":
        raise FormRefused("Send the form as application/x-www-form-urlencoded.")
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(f"A console form is at most {MAX_FORM_BYTES} bytes.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("The form could not be read.") from None
    fields: Form = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def same_token(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def require_csrf(
    request: Request, viewer: Annotated[ConsoleViewer, Depends(signed_in_viewer)]
) -> Form:
    """The dependency of every state-changing console route: the form, once its CSRF
    token is the session's; on a replay (read only) none but the session's own."""
    refuse_if_replayed(request)
    fields = await form_fields(request)
    if not same_token(fields.get(CSRF_FIELD), viewer.csrf_token):
        raise CsrfRefused
    return fields


async def require_sign_in_csrf(request: Request) -> Form:
    """The sign-in form's token against its cookie (there is no session yet)."""
    fields = await form_fields(request)
    if not same_token(fields.get(CSRF_FIELD), request.cookies.get(SIGN_IN_CSRF_COOKIE)):
        raise CsrfRefused
    return fields


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


CsrfForm = Annotated[Form, Depends(require_csrf)]
SignInForm = Annotated[Form, Depends(require_sign_in_csrf)]
