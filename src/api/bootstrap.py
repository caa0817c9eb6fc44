"""The composition root: Settings → eventsourcing env → application, views and projector."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.clock import Clock, SystemClock
from adapters.projector import Projector
from adapters.scheduler import Scheduler
from adapters.settings_url import DatabaseUrl
from adapters.sql import Database, open_database
from api.settings import Settings
from domain.application import LessorApplication
from projections.registry import all_projections


@dataclass
class Container:
    settings: Settings
    app: LessorApplication
    db: Database
    projector: Projector
    clock: Clock
    scheduler: Scheduler
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start_projector(self) -> None:
        """Run the projector in a background thread (the default inside `lessor serve`)."""
        self.app.committed_listeners.append(self.projector.wake)
        self._start(
            "lessor-projector",
            self.projector.run_forever,
            self._stop,
            poll_interval_s=self.settings.projector_poll_s,
        )

    def start_scheduler(self) -> None:
        """Run the time rules every `scheduler_interval_s` (the default inside `lessor serve`)."""
        self._start(
            "lessor-scheduler",
            self.scheduler.run_forever,
            self.clock.now,
            self._stop,
            interval_s=self.settings.scheduler_interval_s,
        )

    def _start(self, name: str, target: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        self.projector.wake()
        for thread in self._threads:
            thread.join(timeout=10)
        self.app.close()
        self.db.close()


def build(
    settings: Settings, *, clock: Clock | None = None, create_schema: bool = False
) -> Container:
    """Wire everything. Only `lessor db init` passes create_schema=True (no DDL races)."""
    url = DatabaseUrl(settings.database_url)
    db = open_database(url)  # first: it also creates the SQLite file's directory
    app = LessorApplication(env=url.eventsourcing_env(create_table=create_schema))
    projector = Projector(app, db, all_projections())
    if create_schema:
        projector.create_schema()
    return Container(
        settings=settings,
        app=app,
        db=db,
        projector=projector,
        clock=clock or SystemClock(),
        scheduler=Scheduler(app, db, projector),
    )


def init_database(settings: Settings) -> None:
    """Create the event store tables and the view tables once."""
    build(settings, create_schema=True).close()
