"""Signing in and out of the console, and its static files (ADR 0041).

Sign-in takes an API token once and turns it into a server-side session: the browser
keeps only a random session id (HttpOnly, SameSite=Strict; Secure over HTTPS), never the
token. Employees and service accounts are refused: the console is for the people who
manage companies.
"""

from __future__ import annotations

from importlib import resources

import anyio
from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from adapters.token_secrets import hash_token
from api.console.forms import SIGN_IN_CSRF_COOKIE, CsrfForm, SignInForm, new_csrf_token
from api.console.pages import HOME
from api.console.rendering import render
from api.console.routing import SIGN_IN_PATH, console_pages
from api.console.session import (
    CONSOLE_ROLES,
    SESSION_COOKIE,
    ViewerDep,
    authenticate_token_hash,
    live_container,
    viewer_of,
)

router = console_pages()
COOKIE_PATH = "/console"
MAX_TOKEN = 200
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _sign_in_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    token = new_csrf_token()
    response = render(
        request, None, "console/sign_in.html", status_code=status, csrf_token=token, error=error
    )
    _cookie(request, response, SIGN_IN_CSRF_COOKIE, token)
    return response


@router.get("")
async def home(request: Request) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")[:MAX_TOKEN]
    viewer = await anyio.to_thread.run_sync(viewer_of, live_container(request), secret)
    signed_in = bool(secret) and viewer is not None
    return RedirectResponse(HOME if signed_in else SIGN_IN_PATH, status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in(request: Request, form: SignInForm) -> Response:
    secret = form.get("token", "").strip()
    if not secret or len(secret) > MAX_TOKEN:
        return _sign_in_page(request, error="Paste an API token to sign in.", status=400)
    container = live_container(request)
    token_hash = hash_token(secret)
    caller = authenticate_token_hash(container, token_hash)
    if caller is None:
        error = "This token is unknown or revoked, or its member's employment has ended."
        return _sign_in_page(request, error=error, status=401)
    if caller.role not in CONSOLE_ROLES:
        error = "Only operators and company admins may sign in to the console."
        return _sign_in_page(request, error=error, status=403)
    session = container.console_sessions.open(token_hash, caller.company_id)
    response = RedirectResponse(HOME, status_code=303)
    _cookie(request, response, SESSION_COOKIE, session)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/sign-out")
def sign_out(request: Request, viewer: ViewerDep, _form: CsrfForm) -> Response:
    live_container(request).console_sessions.close(viewer.session_secret)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The stylesheet and scripts in the package (no CDN, ever)."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    folder = resources.files("api.console") / "static"
    if suffix not in STATIC_TYPES or "/" in name or name.startswith("."):
        return Response(status_code=404)
    asset = folder / name
    if not asset.is_file():
        return Response(status_code=404)
    response = Response(asset.read_bytes(), media_type=STATIC_TYPES[suffix])
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
