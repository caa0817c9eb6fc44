"""Reads of the directory: the list of companies (operators), of a company's members (its
admins; operators for any company)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.model.actor import Caller, Role
from domain.model.errors import NotFound
from projections.directory.actors import named_actors
from projections.reading import MAX_PAGE, ListFilter, Page, Views, Where, every_item, fetch_page

MEMBER_READERS = (Role.OPERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyFilter(ListFilter):
    """Operators: every company, or the one asked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFilter(ListFilter):
    role: str | None = None


def query_companies(views: Views, caller: Caller, f: CompanyFilter) -> Page:
    """Every tenant, for the provider's operators (a company's own people read theirs by id)."""
    caller.require(Role.OPERATOR)
    where = Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    return _page(views, "directory_companies", COMPANY_COLUMNS, where, f.after, f.limit)


def query_members(views: Views, caller: Caller, f: MemberFilter) -> Page:
    """A company's people with their email and last employment day: its admins see their
    own company's, operators any company's (or every company's)."""
    caller.require(*MEMBER_READERS)
    where = Where.in_scope(caller, f.company_id)
    where.add("role = ?", f.role)
    return _page(views, "directory_members", MEMBER_COLUMNS, where, f.after, f.limit)


def query_company(views: Views, caller: Caller, company_id: UUID) -> dict[str, Any]:
    """One company's name, currency and time zone: its own people's (any role), any
    company's for operators; another company answers like a missing one."""
    caller.require_company(company_id, "Company")
    with views.transaction() as tx:
        row = tx.fetchone(
            f"SELECT {', '.join(COMPANY_COLUMNS)} FROM directory_companies WHERE company_id = ?",
            [str(company_id)],
        )
    if row is None:
        raise NotFound("Company not found.")
    return dict(zip(COMPANY_COLUMNS, row, strict=True))


def query_caller_name(views: Views, caller: Caller) -> dict[str, Any]:
    """The caller as the event log names actors: `name`, `email`, `label` (ADR 0041)."""
    with views.transaction() as tx:
        return named_actors(tx, caller, [(caller.actor.id, caller.role)])[caller.actor.id]


# The columns of each list's items, by name, in the order they are shown.
COMPANY_COLUMNS = ("company_id", "name", "currency", "time_zone", "registered_at")
MEMBER_COLUMNS = (
    "member_id",
    "company_id",
    "name",
    "email",
    "role",
    "last_employment_day",
    "registered_at",
)


def _page(
    views: Views,
    table: str,
    columns: Sequence[str],
    where: Where,
    after: int | None,
    limit: int,
) -> Page:
    """One page of a directory table in registration order; the cursor is the position."""
    with views.transaction() as tx:
        rows, more = fetch_page(
            tx,
            f"SELECT registered_position, {', '.join(columns)} FROM {table}",
            where,
            "registered_position",
            limit,
            after=after,
        )
    items = [dict(zip(columns, r[1:], strict=True)) for r in rows]
    return Page(items=items, next_cursor=rows[-1][0] if more else None)


def company_member_ids(views: Views, caller: Caller, company_id: UUID) -> list[UUID]:
    """Every member of a company, in registration order (a member file's export)."""
    items = every_item(
        lambda after: query_members(
            views, caller, MemberFilter(company_id=company_id, after=after, limit=MAX_PAGE)
        )
    )
    return [UUID(i["member_id"]) for i in items]
