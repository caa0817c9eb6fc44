"""The provider's terms of sale, versioned: a purchase confirmation accepts one version
(SPEC §3, seed 001, ADR 0032). One aggregate for the whole provider."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from eventsourcing.domain import Aggregate, event

from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.ids import natural_id
from domain.model.text import bounded_text

PROVIDER_TERMS_ID: Final = natural_id("provider-terms")
MAX_VERSION_CHARS: Final = 40
MAX_SUMMARY_CHARS: Final = 500


# Between a version's first and last letter or digit: spaces and a few separators only.
VERSION_SEPARATORS: Final = frozenset(" .-_/")


def _version(value: str) -> str:
    """A label a buyer quotes back exactly (`accept_terms`): letters, digits and the
    separators, beginning and ending with a letter or digit — so no `+0.0` beside `0`, no
    lone symbol or emoji modifier that renders as nothing much."""
    version = bounded_text(value, "terms version", MAX_VERSION_CHARS, required=True)
    shaped = version[0].isalnum() and version[-1].isalnum()
    if not shaped or not all(c.isalnum() or c in VERSION_SEPARATORS for c in version):
        raise InvalidValue(
            "A terms version is letters and digits, with spaces or . - _ / between them"
            f" (e.g. 2026-12): not '{version}'."
        )
    return version


def _summary(value: str) -> str:
    return bounded_text(value, "terms summary", MAX_SUMMARY_CHARS)


class ProviderTerms(Aggregate):
    class_version = 1

    class FirstPublished(LessorCreated):
        class_version = 1
        version: str
        summary: str

    class Published(LessorEvent):
        class_version = 1
        version: str
        summary: str

    @classmethod
    def publish_first(cls, version: str, summary: str, *, cause: Cause) -> ProviderTerms:
        return cls._create(
            cls.FirstPublished,
            id=PROVIDER_TERMS_ID,
            version=_version(version),
            summary=_summary(summary),
            **cause.stamp(None),
        )

    @event(FirstPublished)
    def __init__(self, *, version: str, summary: str, at: datetime) -> None:
        self.current = version
        self.summary = summary
        self.published_at = at
        self.versions = [version]  # every version ever published, oldest first

    def publish(self, version: str, summary: str, *, cause: Cause) -> None:
        """A new version replaces the current one; a version is never published twice."""
        version = _version(version)
        if version.casefold() in {v.casefold() for v in self.versions}:
            raise RuleViolation(f"Terms version '{version}' was published already.")
        self.trigger_event(
            self.Published, version=version, summary=_summary(summary), **cause.stamp(None)
        )

    @event(Published)
    def _published(self, *, version: str, summary: str, at: datetime) -> None:
        self.current = version
        self.summary = summary
        self.published_at = at
        self.versions = [*self.versions, version]


__all__ = ["PROVIDER_TERMS_ID", "ProviderTerms"]
