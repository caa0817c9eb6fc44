"""Console pages rendered from the package's Jinja2 templates, autoescaped everywhere.

`render` is how every console page answers: the template gets `viewer`, `csrf_token` and
`request` besides its own context. Times are shown in the viewer's company time zone
with UTC on hover (`when`). Every answer carries headers that forbid framing, inline
scripts and caching, so a page that leaked markup still could not run it (ADR 0041).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from api.console.session import ConsoleViewer

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:;"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=PackageLoader("api.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a misspelt name fails the test, not the page silently
    trim_blocks=True,
    lstrip_blocks=True,
)


def parse_instant(value: str | datetime) -> datetime:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return instant.astimezone(UTC)


@pass_context
def when(context: Context, value: str | datetime | None) -> Markup:
    """A stored UTC instant as a <time>: local to the viewer's company, UTC on hover."""
    if value is None:
        return Markup("")
    instant = parse_instant(value)
    viewer = context.get("viewer")
    zone = ZoneInfo(viewer.time_zone if viewer is not None else "UTC")
    local = instant.astimezone(zone)
    utc = instant.strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = local.strftime("%Y-%m-%d %H:%M %Z")
    iso = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso, utc, shown)


def plain(value: object) -> str:
    """A detail's scalar as people read JSON: true/false, a dash for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


environment.filters["when"] = when
environment.filters["plain"] = plain


def render(
    request: Request,
    viewer: ConsoleViewer | None,
    template_name: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A console page: `template_name` under templates/ (e.g. "console/audit_log.html")."""
    template = environment.get_template(template_name)
    # Signed in: the session's token; the sign-in page passes its own.
    csrf_token = viewer.csrf_token if viewer is not None else context.pop("csrf_token", "")
    replayed = getattr(request.app.state, "replayed", None)
    banner = replayed.banner() if replayed is not None else None
    html = template.render(
        request=request, viewer=viewer, csrf_token=csrf_token, replay_banner=banner, **context
    )
    return secured(HTMLResponse(html, status_code=status_code))


def secured(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(SECURITY_HEADERS)
    return response
