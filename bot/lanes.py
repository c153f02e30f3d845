"""Lanes: a claimed outbox batch drained side by side within one worker.

The rows of a batch are grouped by a key (``lane_of``: the person a row goes
to, or "" for the rows that must keep their order among themselves); each
group is taken whole by one lane, so one person's rows go out in order, one
after the other, and their window checks stay sequential. A few lanes (threads)
take groups from one queue until it is empty; each lane keeps its own
connections and makes its own one commit a row (``bot.sender``).

Only on PostgreSQL: on SQLite every commit takes the one write lock of the
file, so lanes would queue on it instead of overlapping (``Sender.width``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import TypeVar

from bot.seams import OutboxRow

T = TypeVar("T")
#: What a lane runs: it takes groups (``take``, None when there are no more).
Lane = Callable[[Callable[[], list[T] | None]], None]


def grouped(rows: Sequence[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """The rows by key, each group in the rows' order, the groups in the order
    of their first row."""
    groups: dict[Hashable, list[T]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return list(groups.values())


def lane_of(row: OutboxRow) -> str:
    """A row's lane: a reply to a follower goes on that follower's lane, so one
    person's replies (and their window checks) stay in order. Every other kind
    shares the one ordered lane "", in the order claimed: a draft's sync before
    its submission or preview, a notice (its recipient known only when it is
    sent) after what it tells of, the comment calls as they were queued."""
    if row.kind == "cs_reply":
        return f"openid:{row.payload['openid']}"
    return ""


class Lanes:
    """Up to ``width`` lanes, on threads kept from one batch to the next (each
    keeps its own gateway client, see ``bot.gateway``)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, groups: list[list[T]], lane: Lane[T]) -> None:
        """Drain ``groups`` with ``lane`` on as many lanes as there are groups (at
        most ``width``); one group, or a width of 1, runs here, in the caller's
        thread. A lane that raises takes no more groups; the others drain the
        rest; then the first error is raised."""
        queue: SimpleQueue[list[T]] = SimpleQueue()
        for group in groups:
            queue.put(group)

        def take() -> list[T] | None:
            try:
                return queue.get_nowait()
            except Empty:
                return None

        count = min(self.width, len(groups))
        if count <= 1:
            lane(take)
            return
        futures = [self._executor().submit(lane, take) for _ in range(count)]
        errors = [future.exception() for future in futures]  # waits for every lane
        first = next((error for error in errors if error is not None), None)
        if first is not None:
            raise first

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.width, thread_name_prefix="wxops-lane")
            return self._pool
