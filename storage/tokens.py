"""The access token kept in the database, shared by every process (the worker's
other choice is Redis, bot.tokens.RedisTokens)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Engine, Table, text

from storage.db import write_lock
from storage.models import AccessToken

log = logging.getLogger("wxops.tokens")

TOKENS = cast(Table, AccessToken.__table__)

#: Refresh a little before WeChat's expiry, never in the last minutes.
EARLY = timedelta(minutes=5)

#: How long a process uses the token it read from the database before reading
#: it again. Another process replaces the token only when it nears its expiry
#: (the old one still works meanwhile) or when WeChat rejected it (then this
#: process's call is rejected too, and ``refresh`` reads the new one at once).
MEMO = timedelta(seconds=60)

#: Fetches a token from WeChat: (token, seconds it lives); True forces a new one.
Fetch = Callable[[bool], tuple[str, int]]


class DatabaseTokens:
    """Token row in ``access_tokens``; a PostgreSQL advisory lock (or SQLite's write
    lock) makes one process refresh while the others wait and then reuse it."""

    def __init__(self, engine: Engine, app_id: str, fetch: Fetch,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine, self.app_id, self.fetch, self.clock = engine, app_id, fetch, clock
        self._lock_key = int.from_bytes(hashlib.sha1(app_id.encode()).digest()[:7], "big")
        #: The token last read or stored, its expiry, and until when to use it
        #: without reading the database (``MEMO``): the sender asks for every call.
        self._memo: tuple[str, datetime, datetime] | None = None

    def get(self) -> str:
        now, memo = self.clock(), self._memo
        if memo is not None and now < memo[2] and memo[1] - EARLY > now:
            return memo[0]
        with self.engine.connect() as conn:
            row = self._row(conn)
        if row is not None and row[1] - EARLY > now:
            self._memo = (str(row[0]), row[1], now + MEMO)
            return str(row[0])
        return self.refresh(None)

    def refresh(self, failed: str | None) -> str:
        self._memo = None
        with self._locked() as conn:
            row = self._row(conn)
            now = self.clock()
            if row is None or row[0] == failed or row[1] - EARLY <= now:
                token, expires_in = self._fetch(failed)
                self._store(conn, token, expires_in)
                row = (token, now + timedelta(seconds=expires_in))
            # else another process refreshed while we waited
        self._memo = (str(row[0]), row[1], now + MEMO)
        return str(row[0])

    def _fetch(self, failed: str | None) -> tuple[str, int]:
        token, expires_in = self.fetch(False)
        if failed is not None and token == failed:
            log.warning("stable token was rejected; forcing a refresh")
            token, expires_in = self.fetch(True)
        return token, expires_in

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        with write_lock(self.engine), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._lock_key})
            yield conn

    def _row(self, conn: Connection) -> tuple[str, datetime] | None:
        table = TOKENS
        row = conn.execute(table.select().where(table.c.app_id == self.app_id)).first()
        return (row.token, row.expires_at) if row else None

    def _store(self, conn: Connection, token: str, expires_in: int) -> None:
        now, table = self.clock(), TOKENS
        values = {"token": token, "expires_at": now + timedelta(seconds=expires_in),
                  "updated_at": now}
        updated = conn.execute(table.update().where(table.c.app_id == self.app_id)
                               .values(**values))
        if not updated.rowcount:
            conn.execute(table.insert().values(app_id=self.app_id, **values))
