"""One clock for every host: this host's, corrected to the database server's.

Hosts' clocks drift apart (NTP down, a VM resumed), and the worker compares the
times other hosts wrote with its own: an outbox row's lease (``claimed_at``), a
row's ``next_attempt_at``, an item's ``scheduled_at``. A worker whose clock ran
90 s ahead would take another worker's rows in flight for abandoned, and publish
a timed article 90 s early. So the worker reads the time as the database has it:
its own clock plus the offset measured against the server, re-measured every
minute (one query; nothing on the sending path waits for it).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

log = logging.getLogger("wxops.clock")

#: Seconds between two measurements of the offset (clocks drift slowly).
RESYNC_SECONDS = 60.0
#: Seconds before measuring again after the database could not be asked.
RETRY_SECONDS = 5.0
#: An offset (or a change of it) this large is said in the log.
NOTEWORTHY = timedelta(seconds=1)


class DatabaseClock:
    """UTC now by the database server's clock (``server_now`` answers it, or None
    when the database's clock is this host's, as for SQLite). Thread-safe: the
    worker's jobs run on several threads. When the database cannot be asked the
    last offset measured is kept (none at first: this host's clock)."""

    def __init__(self, server_now: Callable[[], datetime | None],
                 every: float = RESYNC_SECONDS,
                 local: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._server_now, self._every = server_now, every
        self._local, self._monotonic = local, monotonic
        self._offset = self._said = timedelta(0)
        self._next = -math.inf
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        if self._monotonic() >= self._next:
            self._measure()
        return self._local() + self._offset

    @property
    def offset(self) -> timedelta:
        """The database's clock less this host's, as last measured."""
        return self._offset

    def _measure(self) -> None:
        with self._lock:
            if self._monotonic() < self._next:
                return  # another thread measured while this one waited
            try:
                before = self._local()
                server = self._server_now()
                after = self._local()
            except Exception as exc:  # the database's faults: the last offset stands
                log.warning("database clock not read (%s); this host's clock is used "
                            "with the last offset measured", exc)
                self._next = self._monotonic() + RETRY_SECONDS
                return
            if server is None:
                self._next = math.inf
                return
            self._offset = server - (before + (after - before) / 2)
            self._next = self._monotonic() + self._every
            self._say()

    def _say(self) -> None:
        if abs(self._offset - self._said) < NOTEWORTHY:
            return
        self._said = self._offset
        log.warning("this host's clock is %.1f s %s the database server's; wxops uses "
                    "the database's", abs(self._offset.total_seconds()),
                    "behind" if self._offset > timedelta(0) else "ahead of")
