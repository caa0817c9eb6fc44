"""What every `lessor` command shares: the console, the CLI's actor, the container."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from rich.console import Console

from api.bootstrap import Container, build
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause

out = Console()
CLI_ACTOR = Actor(id="cli", role=Role.OPERATOR)


class UsageProblem(Exception):
    """Bad input on the command line: printed as one line, exit code 2."""


@contextmanager
def opened(settings: Settings | None = None) -> Iterator[Container]:
    """The container from the environment's settings, closed when the command is done."""
    container = build(settings or Settings())
    try:
        yield container
    finally:
        container.close()


def cli_cause(container: Container) -> Cause:
    """Business time from the container's clock (the sandbox clock in sandbox mode)."""
    return Cause(actor=CLI_ACTOR, at=container.clock.now(), correlation_id=f"cli-{uuid4()}")


def operator_context(container: Container) -> CommandContext:
    """A command's context as the CLI's operator, at the container's business time."""
    return CommandContext(
        caller=Caller(actor=CLI_ACTOR, company_id=None), cause=cli_cause(container)
    )
