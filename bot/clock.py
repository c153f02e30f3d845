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
#: An offset within this (beyond half the measuring query's round trip, which
#: bounds the measurement's error) is taken for none: hosts on NTP agree that well,
#: and where the clocks agree this host's times stay exactly its own.
AGREE = timedelta(milliseconds=50)
#: An offset (or a change of it) this large is said in the log.
NOTEWORTHY = timedelta(seconds=1)


def offset_of(before: datetime, server: datetime, after: datetime) -> timedelta:
    """The server's clock less this host's, from the server's time read between this
    host's ``before`` and ``after`` (taken at the middle: the error is at most half
    the round trip)."""
    return server - (before + (after - before) / 2)


class DatabaseClock:
    """UTC now by the database server's clock (``server_now`` answers it, or None
    when the database's clock is this host's, as for SQLite). Thread-safe: the
    worker's jobs run on several threads. When the database cannot be asked the
    last offset measured is kept (none at first: this host's clock).

    ``background``: a measurement due is made on a thread of its own, and the
    time asked meanwhile is given with the last offset, so that no caller waits
    for the database (a push has 5 s in all, and an unreachable server can take
    longer to refuse); ``measure`` makes one at once (the worker, at start)."""

    def __init__(self, server_now: Callable[[], datetime | None],
                 every: float = RESYNC_SECONDS,
                 local: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic,
                 background: bool = False) -> None:
        self._server_now, self._every = server_now, every
        self._local, self._monotonic = local, monotonic
        self._offset = self._said = timedelta(0)
        self._next = -math.inf
        self._lock = threading.Lock()
        self._background, self._measuring = background, False

    def __call__(self) -> datetime:
        if self._monotonic() >= self._next:
            if self._background:
                self._measure_in_background()
            else:
                self.measure()
        return self._local() + self._offset

    def _measure_in_background(self) -> None:
        with self._lock:
            if self._measuring:
                return
            self._measuring = True
        threading.Thread(target=self._measure_then_done, name="wxops-clock",
                         daemon=True).start()

    def _measure_then_done(self) -> None:
        try:
            self.measure()
        finally:
            self._measuring = False

    @property
    def offset(self) -> timedelta:
        """The database's clock less this host's, as last measured."""
        return self._offset

    def measure(self) -> None:
        """Measure the offset now, unless it was measured within ``every``."""
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
            offset = offset_of(before, server, after)
            agree = abs(offset) <= AGREE + (after - before) / 2
            self._offset = timedelta(0) if agree else offset
            self._next = self._monotonic() + self._every
            self._say()

    def _say(self) -> None:
        if abs(self._offset - self._said) < NOTEWORTHY:
            return
        self._said = self._offset
        log.warning("this host's clock is %.1f s %s the database server's; wxops uses "
                    "the database's", abs(self._offset.total_seconds()),
                    "behind" if self._offset > timedelta(0) else "ahead of")
