"""`lessor replay`: the read models as they were at an instant or a log position, folded
into a fresh database (a new SQLite file by default) beside the live ones, which are only
read. `lessor invoices list --views URL` reads the result (docs/adr/0040-replay.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from adapters.replay import Cut, ReplayRefused, replay
from adapters.settings_url import DatabaseUrl
from adapters.sql import Database, open_database
from api.cli.projections import _progress
from api.cli.shared import UsageProblem, opened, out
from domain.model.errors import DomainError


def parse_instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UsageProblem(f"--at: not an ISO 8601 instant: {text!r}") from None
    if at.utcoffset() is None:
        raise UsageProblem(f"--at: give a time zone (e.g. {text}Z or {text}+01:00)")
    return at.astimezone(UTC)


def _fresh_sqlite(path: Path) -> str:
    """Create the file (refusing one that exists or a place that is not writable)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.open("x").close()
    except FileExistsError:
        raise UsageProblem(f"{path} exists: replay writes into a fresh file") from None
    except OSError as error:
        raise UsageProblem(f"cannot write {path}: {error.strerror}") from None
    return f"sqlite:///{path}"


def _target(into: str | None) -> str:
    """The target's URL; a SQLite file (by default a new one under var/) is created here."""
    if into is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return _fresh_sqlite(Path("var") / f"replay-{stamp}.db")
    if into.startswith("sqlite:///"):
        return _fresh_sqlite(Path(DatabaseUrl(into).sqlite_path))
    return into


@contextmanager
def views_database(url: str) -> Iterator[Database]:
    """A read-model database named on the command line (`--views`, `--into`)."""
    try:
        parsed = DatabaseUrl(url)
    except DomainError as error:
        raise UsageProblem(str(error).replace("LESSOR_DATABASE_URL", "the URL")) from None
    if not parsed.is_postgres and not Path(parsed.sqlite_path).is_file():
        raise UsageProblem(f"no such database file: {parsed.sqlite_path}")
    db = open_database(parsed)
    try:
        yield db
    finally:
        db.close()


def replay_command(
    at: Annotated[
        str | None, typer.Option("--at", help="An ISO 8601 instant with a time zone")
    ] = None,
    position: Annotated[
        int | None, typer.Option("--position", help="The last log position to fold", min=0)
    ] = None,
    into: Annotated[
        str | None,
        typer.Option("--into", help="A fresh database URL (default: a new SQLite file)"),
    ] = None,
    business_time: Annotated[
        bool,
        typer.Option(
            "--business-time",
            help="Cut --at by each event's business time, not by when it was recorded",
        ),
    ] = False,
) -> None:
    """Fold the log up to --at or --position into fresh read models; print where they are."""
    if (at is None) == (position is None):
        raise UsageProblem("Give exactly one of --at and --position.")
    if business_time and at is None:
        raise UsageProblem("--business-time goes with --at.")
    cut = Cut(position=position, at=parse_instant(at) if at else None, business_time=business_time)
    with opened() as container:
        head = container.projector.head()
        if position is not None and position > head:
            raise UsageProblem(f"--position {position} is beyond the head of the log ({head}).")
        if into is not None and into == container.settings.database_url:
            raise UsageProblem("--into names the live database: replay never touches it.")
        url = _target(into)
        with views_database(url) as target, _progress() as bar:
            task = bar.add_task("replay", total=max(position or head, 1))

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1))

            try:
                result = replay(
                    container.app,
                    container.db,
                    target,
                    list(container.projector.projections.values()),
                    cut,
                    progress=advance,
                )
            except ReplayRefused as error:
                raise UsageProblem(str(error)) from None
            bar.update(task, completed=max(result.position, 1), total=max(result.position, 1))
    out.print(f"replayed {result.folded} event(s) up to position {result.position}")
    out.print(f"read models: {url}", highlight=False, soft_wrap=True)
