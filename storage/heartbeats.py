"""Worker heartbeats: each running worker's row, written when it starts and every
half minute, deleted when it stops cleanly (``wxops doctor`` reads the newest).

The scheduler leader lock keeps no time (storage/leader.py), so it cannot say
whether a worker runs; this table does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Connection, Table, delete, inspect, select, update

from storage.models import WorkerHeartbeat

TABLE = cast(Table, WorkerHeartbeat.__table__)
#: Rows of workers that died without deleting theirs are dropped after this long.
FORGET_AFTER = timedelta(days=1)
#: A worker that beat this recently is taken to be running (it beats every 30 s):
#: what `wxops db copy` and `wxops restore` refuse to go on beside.
RUNNING_WITHIN = timedelta(seconds=90)


class Beat(NamedTuple):
    worker: str
    started_at: datetime
    beat_at: datetime


def beat(conn: Connection, worker: str, now: datetime, leading: bool = False) -> None:
    """Say ``worker`` is alive now, and whether it leads the scheduler (its row made
    on the first beat); forget the rows of workers gone for a day."""
    name = worker[:64]
    if not conn.execute(update(TABLE).where(TABLE.c.worker == name)
                        .values(beat_at=now, leading=leading)).rowcount:
        conn.execute(TABLE.insert().values(worker=name, started_at=now, beat_at=now,
                                           leading=leading))
    conn.execute(delete(TABLE).where(TABLE.c.beat_at < now - FORGET_AFTER))


def stopped(conn: Connection, worker: str) -> None:
    """The worker stopped cleanly: its row goes."""
    conn.execute(delete(TABLE).where(TABLE.c.worker == worker[:64]))


def forget_all(conn: Connection) -> None:
    """No worker runs on this database (a restore's: the heartbeats it brought
    are of the workers of the database backed up); nothing on a database
    without the table."""
    if _present(conn):
        conn.execute(delete(TABLE))


def latest(conn: Connection) -> Beat | None:
    """The newest heartbeat of any worker, or None when no worker ever beat."""
    row = conn.execute(select(TABLE).order_by(TABLE.c.beat_at.desc()).limit(1)).first()
    return Beat(row.worker, row.started_at, row.beat_at) if row else None


def running(conn: Connection, now: datetime) -> tuple[str, int] | None:
    """A worker that seems to run on this database (its name, and how many
    seconds ago it beat), or None; None too on a database without the table."""
    if not _present(conn):
        return None
    last = latest(conn)
    if last is None or now - last.beat_at >= RUNNING_WITHIN:
        return None
    return last.worker, max(0, int((now - last.beat_at).total_seconds()))


def _present(conn: Connection) -> bool:
    """Whether the database has the table (a backup's or a copy's may predate it)."""
    return TABLE.name in inspect(conn).get_table_names()
