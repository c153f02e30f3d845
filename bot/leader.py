"""One scheduler leader among many workers: business jobs run once, not per worker."""

from __future__ import annotations

import fcntl
import hashlib
import os

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url


class LeaderLock:
    """PostgreSQL: a session advisory lock on a dedicated connection. SQLite: a
    non-blocking flock beside the database file. Held until the process exits."""

    def __init__(self, engine: Engine, name: str = "wxops-scheduler") -> None:
        self.engine, self.name = engine, name
        self._conn: Connection | None = None
        self._fd: int | None = None
        self.held = False

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            self.held = self._try_postgres()
        else:
            self.held = self._try_file()
        return self.held

    def _try_postgres(self) -> bool:
        key = int.from_bytes(hashlib.sha1(self.name.encode()).digest()[:7], "big")
        conn = self._conn or self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _try_file(self) -> bool:
        database = make_url(str(self.engine.url)).database or "wxops"
        fd = os.open(f"{database}.{self.name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._conn is not None:
            # The connection goes back to the pool, and a session-level advisory
            # lock would go with it: unlock explicitly.
            self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self._conn.commit()
            self._conn.close()
        if self._fd is not None:
            os.close(self._fd)
        self._conn, self._fd, self.held = None, None, False
