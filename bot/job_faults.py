"""The worker's jobs through a database outage: a fault that passes (the database
restarting, its connections cut, a full SQLite disk that may be freed) is said in
one line when it starts and when it ends, not as a traceback from every job every
second; each job simply runs again on its next round. Anything else is raised,
for the scheduler to log with its traceback."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from bot.wiring import database as db

log = logging.getLogger("wxops.worker")


class Outage:
    """Whether the database is away, as the jobs last found it (shared by all). It
    ends when a job that met it runs through: a job that did not need the database
    that round says nothing about it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.met_by: set[str] = set()  # the jobs that met it, while it lasts

    def met(self, job: str, exc: BaseException) -> None:
        with self._lock:
            first = not self.met_by
            self.met_by.add(job)
        if first:
            log.warning("database unavailable (%s met %s); the jobs run again each round",
                        job, db.describe(exc))
        else:
            log.debug("%s: database still unavailable: %s", job, db.describe(exc))

    def passed(self, job: str) -> None:
        with self._lock:
            ended = job in self.met_by
            if ended:
                self.met_by.clear()
        if ended:
            log.warning("database available again (%s ran)", job)


def through_outages(job: Callable[[], None], outage: Outage) -> Callable[[], None]:
    """``job``, saying a passing database fault through ``outage`` instead of raising."""

    @functools.wraps(job)
    def run() -> None:
        try:
            job()
        except Exception as exc:
            if not db.transient(exc) and not _full(exc):
                raise
            outage.met(job.__name__, exc)
        else:
            outage.passed(job.__name__)

    return run


def _full(exc: BaseException) -> bool:
    """SQLite's disk full: it passes once space is freed (PostgreSQL's, class 53,
    is transient already)."""
    return getattr(getattr(exc, "orig", None), "sqlite_errorname", "") == "SQLITE_FULL"
