"""The composition root: Settings → eventsourcing env → application, views and projector."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from adapters.clock import Clock, SystemClock
from adapters.projector import Projector
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
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start_projector(self) -> None:
        """Run the projector in a background thread (the default inside `lessor serve`)."""
        self.app.committed_listeners.append(self.projector.wake)
        self._thread = threading.Thread(
            target=self.projector.run_forever,
            args=(self._stop,),
            kwargs={"poll_interval_s": self.settings.projector_poll_s},
            name="lessor-projector",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.projector.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
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
        settings=settings, app=app, db=db, projector=projector, clock=clock or SystemClock()
    )


def init_database(settings: Settings) -> None:
    """Create the event store tables and the view tables once."""
    build(settings, create_schema=True).close()
