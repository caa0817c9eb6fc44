"""Directory: who is who — companies, their members (name, email, last employment day) and
the API tokens that act for them (label, role, member).

The lists of companies and members read it, and the event log joins it to show the person
behind an actor id (a token id): the member's name and email, or the token's label. Only
names, never a token's hash.
"""

from __future__ import annotations

from typing import Any

from domain.model.api_token import ApiToken
from domain.model.company import Company
from domain.model.member import Member
from projections.base import Projection, ViewSession, update_row
from projections.jsonable import day_text, utc_text


class Directory(Projection):
    name = "directory"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "directory_companies": """
            company_id TEXT PRIMARY KEY,
            registered_position BIGINT NOT NULL,
            name TEXT NOT NULL,
            currency TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            registered_at TEXT NOT NULL
        """,
        "directory_members": """
            member_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            registered_position BIGINT NOT NULL,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            role TEXT NOT NULL,
            last_employment_day TEXT,
            registered_at TEXT NOT NULL
        """,
        "directory_tokens": """
            token_id TEXT PRIMARY KEY,
            company_id TEXT,
            role TEXT NOT NULL,
            member_id TEXT,
            label TEXT NOT NULL,
            revoked BOOLEAN NOT NULL
        """,
    }
    handles = (
        Company.Registered,
        Company.Renamed,
        Company.TimeZoneChanged,
        Member.Registered,
        Member.LastEmploymentDaySet,
        ApiToken.Issued,
        ApiToken.Revoked,
    )
    indexes = (
        "CREATE INDEX IF NOT EXISTS {directory_members}_by_company"
        " ON {directory_members} (company_id, registered_position)",
        # The operator-wide lists, in their order (ADR 0051).
        "CREATE INDEX IF NOT EXISTS {directory_members}_in_order"
        " ON {directory_members} (registered_position)",
        "CREATE INDEX IF NOT EXISTS {directory_members}_by_role"
        " ON {directory_members} (role, registered_position)",
        "CREATE INDEX IF NOT EXISTS {directory_companies}_in_order"
        " ON {directory_companies} (registered_position)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Company.Registered):
            view.execute(
                "INSERT INTO {directory_companies} (company_id, registered_position, name,"
                " currency, time_zone, registered_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    position,
                    event.name,
                    event.currency,
                    event.time_zone,
                    utc_text(event.at),
                ),
            )
        elif isinstance(event, Company.Renamed):
            update_row(view, "directory_companies", "company_id", event, name=event.name)
        elif isinstance(event, Company.TimeZoneChanged):
            update_row(view, "directory_companies", "company_id", event, time_zone=event.time_zone)
        elif isinstance(event, Member.Registered):
            view.execute(
                "INSERT INTO {directory_members} (member_id, company_id, registered_position,"
                " name, email, role, last_employment_day, registered_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.company_id),
                    position,
                    event.name,
                    event.email,
                    str(event.role),
                    day_text(event.last_employment_day),
                    utc_text(event.at),
                ),
            )
        elif isinstance(event, Member.LastEmploymentDaySet):
            day = day_text(event.last_employment_day)
            update_row(view, "directory_members", "member_id", event, last_employment_day=day)
        elif isinstance(event, ApiToken.Issued):
            view.execute(
                "INSERT INTO {directory_tokens} (token_id, company_id, role, member_id, label,"
                " revoked) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.company_id) if event.company_id else None,
                    str(event.role),
                    str(event.member_id) if event.member_id else None,
                    event.label,
                    False,
                ),
            )
        elif isinstance(event, ApiToken.Revoked):
            update_row(view, "directory_tokens", "token_id", event, revoked=True)
