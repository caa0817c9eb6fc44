"""/v1/terms: the provider's terms of sale, versioned (ADR 0032)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.http.responses import Resource
from api.http.schemas.common import Body, Strict
from domain.model.provider_terms import MAX_SUMMARY_CHARS, MAX_VERSION_CHARS, ProviderTerms


class TermsPublish(Strict):
    version: str = Field(min_length=1, max_length=MAX_VERSION_CHARS, description="e.g. 2026-12")
    summary: str = Field(default="", max_length=MAX_SUMMARY_CHARS)


class TermsOut(Body):
    id: str = Field(description="The provider's terms (one for the provider)")
    version: str = Field(description="The version a purchase confirmation accepts")
    summary: str
    published_at: str
    versions: list[str] = Field(description="Every version published, oldest first")


def terms_out(terms: ProviderTerms) -> dict[str, Any]:
    return {
        "id": str(terms.id),
        "version": terms.current,
        "summary": terms.summary,
        "published_at": terms.published_at.isoformat(),
        "versions": list(terms.versions),
    }


TERMS = Resource(ProviderTerms, terms_out, TermsOut)
