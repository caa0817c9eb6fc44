"""The loop of a background worker (email sender, scheduler): a step, a pause, again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime


def run_every(
    step: Callable[[datetime], object],
    clock: Callable[[], datetime],
    stop: threading.Event,
    *,
    interval_s: float,
    log: logging.Logger,
    failure: str,
) -> None:
    """Run `step(clock())` every `interval_s` until `stop` is set. A failing step (e.g. the
    database is away) is logged as `failure` and the next round retries: the loop lives on."""
    while not stop.is_set():
        try:
            step(clock())
        except Exception:
            log.exception(failure)
        stop.wait(interval_s)
