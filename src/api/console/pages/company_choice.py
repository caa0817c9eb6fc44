"""An operator chooses the company the console shows (admins always see their own)."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.console.forms import CsrfForm
from api.console.rendering import render
from api.console.routing import console_pages
from api.console.session import ViewerDep, container_of
from domain.model.errors import InvalidValue, NotAllowed
from projections.directory import CompanyFilter, query_companies, query_company
from projections.reading import MAX_PAGE, every_item

router = console_pages()
HOME = "/console"


@router.get("/company")
def choose_company(request: Request, viewer: ViewerDep, next: str = "") -> Response:
    db = container_of(request).db
    companies = list(
        every_item(
            lambda after: query_companies(
                db, viewer.caller, CompanyFilter(after=after, limit=MAX_PAGE)
            )
        )
    )
    return render(
        request, viewer, "console/company.html", companies=companies, next=local_path(next)
    )


@router.post("/company")
def select_company(request: Request, viewer: ViewerDep, form: CsrfForm) -> Response:
    """Every page shows the chosen company from now on ("" for every company)."""
    if not viewer.is_operator:
        raise NotAllowed("Only operators choose a company; an admin sees their own.")
    given = form.get("company_id", "").strip()
    company_id = None
    if given:
        try:
            company_id = UUID(given)
        except ValueError:
            raise InvalidValue("Choose a company from the list.") from None
        query_company(container_of(request).db, viewer.caller, company_id)  # it exists
    container_of(request).console_sessions.select_company(viewer.session_secret, company_id)
    return RedirectResponse(local_path(form.get("next", "")) or HOME, status_code=303)


def local_path(path: str) -> str:
    """A console path to go back to, or "" (never another site: no open redirect)."""
    if path.startswith("/console") and not path.startswith("//") and "\\" not in path:
        return path[:500]
    return ""
