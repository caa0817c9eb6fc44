"""`lessor clock show|set|advance`: the sandbox clock (ADR 0011); production refuses changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from adapters.sandbox_clock import SandboxClock, SandboxTime, parse_step
from api.bootstrap import build
from api.settings import Settings
from domain.model.errors import InvalidValue, NotAllowed

clock_app = typer.Typer(
    help="Business time: show it; in sandbox mode, set or advance it.", no_args_is_help=True
)
out = Console()


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with a zone offset ('Z' allowed), in UTC; bad input: InvalidValue."""
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            f"'{text}' is not an ISO 8601 instant, e.g. 2027-01-01T00:00:00Z."
        ) from None
    if instant.tzinfo is None:
        raise InvalidValue(f"'{text}' needs a time zone offset, e.g. 2027-01-01T00:00:00Z.")
    return instant.astimezone(UTC)


def _move(move: Callable[[SandboxClock], SandboxTime]) -> None:
    """Refused before anything is opened unless this deployment runs in sandbox mode."""
    settings = Settings()
    if settings.mode != "sandbox":
        raise NotAllowed(
            "This deployment runs in production mode: business time is the wall clock and "
            "cannot be moved (LESSOR_MODE=sandbox makes a sandbox)."
        )
    container = build(settings)
    try:
        assert isinstance(container.clock, SandboxClock)
        _print(move(container.clock))
    finally:
        container.close()


def _print(moved: SandboxTime) -> None:
    offset = timedelta(seconds=round(moved.offset.total_seconds()))
    sign = f"− {-offset}" if offset < timedelta(0) else f"+ {offset}"
    out.print(
        f"business time: {moved.now.isoformat()} (wall clock {sign})",
        highlight=False,
        soft_wrap=True,
    )


@clock_app.command("show")
def clock_show() -> None:
    """Business time now, and how far the sandbox clock is from the wall clock."""
    container = build(Settings())
    try:
        if isinstance(container.clock, SandboxClock):
            _print(container.clock.show())
        else:
            now = container.clock.now().isoformat()
            out.print(
                f"business time: {now} (production mode: the wall clock)",
                highlight=False,
                soft_wrap=True,
            )
    finally:
        container.close()


@clock_app.command("set")
def clock_set(
    instant: Annotated[str, typer.Argument(help="ISO 8601 instant, e.g. 2027-01-01T00:00:00Z")],
) -> None:
    """Move business time forward to INSTANT; it runs on with the wall clock from there."""
    to = parse_instant(instant)
    _move(lambda clock: clock.set(to))


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="e.g. 30d, 2h, 1d12h, 3mo, 1y, P1M, PT2H")],
) -> None:
    """Move business time forward by DURATION (months and years are calendar months)."""
    step = parse_step(duration)
    _move(lambda clock: clock.advance(step))
