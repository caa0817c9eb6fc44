"""A deliberately broken projector for the negative control of the exactly-once test.

It moves the position in one transaction and writes the view in another — the dual
write that the real projector avoids. Killed between the two commits, it loses events;
the kill test must notice, or the test has no teeth.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Sequence

from adapters.projector import TRACKING_TABLE, Projector, live_names
from api.bootstrap import build
from api.settings import Settings


class SeparateTransactionProjector(Projector):
    def run_batches(self, names: Sequence[str]) -> int:
        return sum(self.run_batch(name) for name in names)

    def run_batch(self, name: str) -> int:
        projection = self.projections[name]
        with self.db.transaction() as tx:
            position = self._locked_position(tx, name)
            events = self.log.after(tx, position, self.batch_size)
            if not events:
                return 0
            tx.execute(
                f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?",
                (events[-1].position, name),
            )
        # The gap between the two commits. Wide on purpose: with it the broken projector is
        # caught on almost every kill, so the negative control never passes by luck. (The real
        # projector has no such gap at any width: position and view commit together.)
        time.sleep(0.05)
        with self.db.transaction() as tx:
            self._fold([(projection, tx.with_names(live_names(projection)))], events)
        return len(events)


def main() -> None:
    container = build(Settings())
    projector = SeparateTransactionProjector(
        container.app,
        container.db,
        list(container.projector.projections.values()),
        batch_size=int(sys.argv[1]) if len(sys.argv) > 1 else 7,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("projector running", flush=True)
    projector.run_forever(stop, poll_interval_s=0.02)


if __name__ == "__main__":
    main()
