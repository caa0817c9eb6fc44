"""The provider's terms of sale: operators publish versions; purchases accept one (ADR 0032)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.application.core import ApplicationCore, CommandContext, Outcome, command
from domain.model.actor import Role
from domain.model.errors import NotFound
from domain.model.provider_terms import PROVIDER_TERMS_ID, ProviderTerms


@dataclass(frozen=True, eq=False)
class Terms:
    core: ApplicationCore

    @command("publish_terms")
    def publish(self, ctx: CommandContext, version: str, summary: str = "") -> Outcome:
        ctx.caller.require(Role.OPERATOR)
        terms = self.current()
        if terms is None:
            return self.core.commit(
                ctx, ProviderTerms.publish_first(version, summary, cause=ctx.cause), created=True
            )
        terms.publish(version, summary, cause=ctx.cause)
        return self.core.commit(ctx, terms, created=False)

    def current(self) -> ProviderTerms | None:
        """The terms in force, or None before the first version is published (any caller may
        read them: they are what every purchase accepts)."""
        try:
            return self.core.load(ProviderTerms, PROVIDER_TERMS_ID, "Terms")
        except NotFound:
            return None

    def current_version(self) -> str | None:
        terms = self.current()
        return terms.current if terms is not None else None
