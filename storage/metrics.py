"""What a scrape of ``/metrics`` reads of the database's state: the outbox, the
reply queue, the failed pushes and the workers' heartbeats.

Each is one query on an index (the outbox's status, the tickets' status and
waiting time, the failed pushes' partial index, the heartbeats' primary key),
so a scrape costs a few milliseconds whatever the tables' size; every host
reads the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, func, select

from storage import inbound
from storage.models import OutboxMessage, ReplyTicket, WorkerHeartbeat

OUTBOX = cast(Table, OutboxMessage.__table__)
TICKETS = cast(Table, ReplyTicket.__table__)
BEATS = cast(Table, WorkerHeartbeat.__table__)

#: The outbox's statuses that say something about now: waiting, in flight, held for
#: a person's next message, given up. (sent, refused and cancelled only grow.)
LIVE_STATUSES = ("pending", "sending", "held", "dead")


@dataclass(frozen=True)
class OutboxState:
    rows: dict[str, int] = field(default_factory=dict)  # by status, LIVE_STATUSES only
    dead_in_doubt: int = 0
    oldest_pending: datetime | None = None  # when the oldest waiting row was written
    earliest_due: datetime | None = None  # when the first waiting row was due


@dataclass(frozen=True)
class QueueState:
    waiting: int = 0
    waiting_since: datetime | None = None


@dataclass(frozen=True)
class WorkersState:
    """Each worker's last heartbeat, and whether it then led the scheduler."""

    beats: tuple[tuple[datetime, bool], ...] = ()


@dataclass(frozen=True)
class OperationsState:
    outbox: OutboxState
    queue: QueueState
    failed_pushes: tuple[int, int]  # (failed, of which the worker retries by itself)
    workers: WorkersState


def read(conn: Connection) -> OperationsState:
    return OperationsState(outbox_state(conn), queue_state(conn),
                           inbound.failed_counts(conn), workers_state(conn))


def outbox_statements() -> tuple[Select[Any], Select[Any]]:
    """The live rows by status (with the oldest waiting row's times), and the dead
    rows in doubt."""
    by_status = (select(OUTBOX.c.status, func.count(), func.min(OUTBOX.c.created_at),
                        func.min(OUTBOX.c.next_attempt_at))
                 .where(OUTBOX.c.status.in_(LIVE_STATUSES)).group_by(OUTBOX.c.status))
    in_doubt = select(func.count()).select_from(OUTBOX).where(
        OUTBOX.c.status == "dead", OUTBOX.c.in_doubt.is_(True))
    return by_status, in_doubt


def queue_statement() -> Select[Any]:
    """Open tickets whose follower waits for the team (``workflow.tickets``)."""
    return select(func.count(), func.min(TICKETS.c.waiting_since)).where(
        TICKETS.c.status == "open", TICKETS.c.waiting_since.is_not(None))


def outbox_state(conn: Connection) -> OutboxState:
    by_status, doubt = outbox_statements()
    rows = conn.execute(by_status).all()
    in_doubt = conn.execute(doubt).scalar()
    counts = {status: 0 for status in LIVE_STATUSES}
    oldest = due = None
    for status, n, created, next_attempt in rows:
        counts[status] = int(n)
        if status == "pending":
            oldest, due = created, next_attempt
    return OutboxState(counts, int(in_doubt or 0), oldest, due)


def queue_state(conn: Connection) -> QueueState:
    n, since = conn.execute(queue_statement()).one()
    return QueueState(int(n or 0), since)


def workers_state(conn: Connection) -> WorkersState:
    rows = conn.execute(select(BEATS.c.beat_at, BEATS.c.leading))
    return WorkersState(tuple((beat_at, bool(leading)) for beat_at, leading in rows))
