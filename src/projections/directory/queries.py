"""Reads of the directory: the list of companies (operators), of a company's members (its
admins; operators for any company)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.model.actor import Caller, Role
from projections.reading import MAX_PAGE, Page, Views, Where, every_item

MEMBER_READERS = (Role.OPERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class CompanyFilter:
    company_id: UUID | None = None
    after: int | None = None  # cursor: the registration position of the previous page's last
    limit: int = 100


@dataclass(frozen=True, slots=True)
class MemberFilter:
    company_id: UUID | None = None  # operators: every company's members unless one is asked
    role: str | None = None
    after: int | None = None
    limit: int = 100


def query_companies(views: Views, caller: Caller, f: CompanyFilter) -> Page:
    """Every tenant, for the provider's operators (a company's own people read theirs by id)."""
    caller.require(Role.OPERATOR)
    where = Where()
    where.add("company_id = ?", str(f.company_id) if f.company_id else None)
    where.add("registered_position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with views.transaction() as tx:
        rows = tx.fetchall(
            "SELECT company_id, registered_position, name, currency, time_zone, registered_at"
            f" FROM directory_companies{where.sql()} ORDER BY registered_position LIMIT ?",
            [*where.params, limit + 1],
        )
    items = [
        {
            "company_id": r[0],
            "name": r[2],
            "currency": r[3],
            "time_zone": r[4],
            "registered_at": r[5],
        }
        for r in rows[:limit]
    ]
    return Page(items=items, next_cursor=rows[limit - 1][1] if len(rows) > limit else None)


def query_members(views: Views, caller: Caller, f: MemberFilter) -> Page:
    """A company's people with their email and last employment day: its admins see their
    own company's, operators any company's (or every company's)."""
    caller.require(*MEMBER_READERS)
    company_id = caller.scope(f.company_id)
    where = Where()
    where.add("company_id = ?", str(company_id) if company_id else None)
    where.add("role = ?", f.role)
    where.add("registered_position > ?", f.after)
    limit = min(f.limit, MAX_PAGE)
    with views.transaction() as tx:
        rows = tx.fetchall(
            "SELECT member_id, company_id, registered_position, name, email, role,"
            " last_employment_day, registered_at"
            f" FROM directory_members{where.sql()} ORDER BY registered_position LIMIT ?",
            [*where.params, limit + 1],
        )
    items = [
        {
            "member_id": r[0],
            "company_id": r[1],
            "name": r[3],
            "email": r[4],
            "role": r[5],
            "last_employment_day": r[6],
            "registered_at": r[7],
        }
        for r in rows[:limit]
    ]
    return Page(items=items, next_cursor=rows[limit - 1][2] if len(rows) > limit else None)


def company_member_ids(views: Views, caller: Caller, company_id: UUID) -> list[UUID]:
    """Every member of a company, in registration order (a member file's export)."""
    items = every_item(
        lambda after: query_members(
            views, caller, MemberFilter(company_id=company_id, after=after, limit=MAX_PAGE)
        )
    )
    return [UUID(i["member_id"]) for i in items]
