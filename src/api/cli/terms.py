"""`lessor terms`: the provider's terms of sale — publish a new version, show the current."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.shared import opened, operator_context, out

terms_app = typer.Typer(help="The provider's terms of sale.", no_args_is_help=True)


@terms_app.command("publish")
def terms_publish(
    version: Annotated[str, typer.Argument(help="The new version, e.g. 2026-12")],
    summary: Annotated[str, typer.Option(help="What changed")] = "",
) -> None:
    """Publish a new version: quotes carry it, purchases accept it from now on."""
    with opened() as container:
        ctx = operator_context(container)
        container.app.terms.publish(ctx, version, summary)
    out.print(f"terms version {version} published", highlight=False)


@terms_app.command("show")
def terms_show() -> None:
    """The version in force (or that none is published)."""
    with opened() as container:
        version = container.app.terms.current_version()
    out.print(f"terms version {version}" if version else "no terms published", highlight=False)
