"""One scheduler leader among many workers: business jobs run once, not per worker.

Leadership is verified before every leader-only job, not assumed once won: the
lock can be taken from under its holder (on PostgreSQL its session ends with
a restart, a failover or pg_terminate_backend; on SQLite its lock file can be
removed), and another worker then takes it. A holder that finds it has lost
the lock tries once to take it again, which fails harmlessly when another
worker has it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.db import describe

log = logging.getLogger("wxops.leader")

# The lock's connection must not wait for a peer that has gone away without a
# word (a network partition, a host that lost power): libpq's TCP keepalives
# notice an idle dead peer in about 25 s, and tcp_user_timeout a statement sent
# into the void in 15 s, instead of the kernel's 2 hours or 15 minutes
# (tcp_user_timeout needs libpq 12 or later; psycopg[binary] bundles one).
CLIENT_TIMEOUTS: dict[str, Any] = {
    "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 10,
    "keepalives_interval": 5, "keepalives_count": 3, "tcp_user_timeout": 15_000}
# The server's side of the same: a leader that vanished loses its session, and
# so the lock, in about 25 s, so that another worker leads within a minute.
# application_name shows in pg_stat_activity which worker leads.
SESSION = text("""SELECT set_config('statement_timeout', '5s', false),
    set_config('tcp_keepalives_idle', '10', false),
    set_config('tcp_keepalives_interval', '5', false),
    set_config('tcp_keepalives_count', '3', false),
    set_config('application_name', :name, false)""")
TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
UNLOCK = text("SELECT pg_advisory_unlock(:key)")
# Asks the lock table rather than trusting that a live connection still holds
# the lock: behind a pooler a connection is not always the same session.
STILL_HELD = text("""SELECT EXISTS (SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
      AND classid::bigint = :key >> 32 AND objid::bigint = :key & 4294967295
      AND objsubid = 1)""")


class LeaderLock:
    """PostgreSQL: a session advisory lock on a connection of its own. SQLite: a
    non-blocking flock on a file beside the database file.

    ``try_acquire`` is called before each leader-only job, from the scheduler's
    threads: it verifies the lock this process holds, or tries to take it."""

    def __init__(self, engine: Engine, name: str = "wxops-scheduler", holder: str = "") -> None:
        self.engine, self.name = engine, name
        self.holder = holder or f"{os.uname().nodename}:{os.getpid()}"
        self.key = int.from_bytes(hashlib.sha1(name.encode()).digest()[:7], "big")
        self.postgres = engine.dialect.name == "postgresql"
        self.file = f"{engine.url.database or 'wxops'}.{name}.lock"  # SQLite's, beside its file
        self._mutex = threading.Lock()  # one Connection is not for two threads at once
        self._lock_engine: Engine | None = None
        self._conn: Connection | None = None
        self._fd: int | None = None
        self.held = False

    def try_acquire(self) -> bool:
        """True when this process leads now. Never raises for the database: one
        that cannot be reached means not the leader."""
        with self._mutex:
            if self.held:
                lost = self._lost_postgres() if self.postgres else self._lost_file()
                if lost is None:
                    return True
                log.warning("scheduler leadership lost by %s: %s", self.holder, lost)
                self._drop()
            self.held = self._take_postgres() if self.postgres else self._take_file()
            if self.held:
                log.warning("scheduler leadership taken by %s", self.holder)
            return self.held

    def release(self) -> None:
        """Give the lock up. Never raises: a worker stops cleanly whatever became
        of the lock's connection (a dead session has released the lock already)."""
        with self._mutex:
            if self._conn is not None and self.held:
                try:
                    self._conn.execute(UNLOCK, {"key": self.key})
                except SQLAlchemyError as exc:
                    log.warning("scheduler leader lock: unlock failed (%s); closing its "
                                "connection releases it", describe(exc))
            self._drop()

    def _lost_postgres(self) -> str | None:
        assert self._conn is not None
        try:
            mine = self._conn.execute(STILL_HELD, {"key": self.key}).scalar()
        except SQLAlchemyError as exc:
            return f"its connection failed ({describe(exc)})"
        return None if mine else "its session no longer holds the lock"

    def _lost_file(self) -> str | None:
        assert self._fd is not None
        try:
            same = os.path.samestat(os.fstat(self._fd), os.stat(self.file))
        except OSError as exc:
            return f"its lock file is gone ({exc.strerror})"
        return None if same else "its lock file was replaced"

    def _take_postgres(self) -> bool:
        if self._conn is not None:  # kept between attempts: one statement, not a connection
            try:
                return self._try_lock(self._conn)
            except SQLAlchemyError:
                self._drop()  # it died meanwhile: once more on a fresh one
        try:
            self._conn = self._connect()
            return self._try_lock(self._conn)
        except SQLAlchemyError as exc:
            self._drop()
            log.warning("scheduler leader lock: cannot reach the database (%s)", describe(exc))
            return False

    def _try_lock(self, conn: Connection) -> bool:
        return bool(conn.execute(TRY_LOCK, {"key": self.key}).scalar())

    def _connect(self) -> Connection:
        """A session of its own, never pooled: it ends when the lock is given up."""
        if self._lock_engine is None:
            self._lock_engine = create_engine(self.engine.url, poolclass=NullPool,
                                              isolation_level="AUTOCOMMIT",
                                              connect_args=CLIENT_TIMEOUTS)
        conn = self._lock_engine.connect()
        try:
            conn.execute(SESSION, {"name": f"wxops-leader {self.holder}"[:63]})
        except SQLAlchemyError:
            _discard(conn)
            raise
        return conn

    def _take_file(self) -> bool:
        fd = os.open(self.file, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _drop(self) -> None:
        """Forget the lock without asking the database, whose session may be dead."""
        if self._conn is not None:
            _discard(self._conn)
        if self._fd is not None:
            os.close(self._fd)
        self._conn, self._fd, self.held = None, None, False


def _discard(conn: Connection) -> None:
    try:
        conn.invalidate()  # closes the session without a rollback on a dead socket
        conn.close()
    except SQLAlchemyError as exc:
        log.debug("scheduler leader lock: closing its connection: %s", exc)
