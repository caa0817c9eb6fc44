"""The directory read model: companies, members and API tokens by name, and its queries."""

from projections.directory.projection import Directory
from projections.directory.queries import (
    CompanyFilter,
    MemberFilter,
    company_member_ids,
    query_caller_name,
    query_companies,
    query_company,
    query_members,
)

__all__ = [
    "CompanyFilter",
    "Directory",
    "MemberFilter",
    "company_member_ids",
    "query_caller_name",
    "query_companies",
    "query_company",
    "query_members",
]
