"""The access token, shared by every process: fetched with stable_token, stored in
the database (or Redis), refreshed by one process at a time under a lock."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import requests
from sqlalchemy import Connection, Engine, Table, text

from bot.wechat_errors import TransportError, error_for
from storage.db import write_lock
from storage.models import AccessToken

log = logging.getLogger("wxops.tokens")

TOKENS = cast(Table, AccessToken.__table__)

#: Refresh a little before WeChat's expiry, never in the last minutes.
EARLY = timedelta(minutes=5)


class TokenSource(Protocol):
    def get(self) -> str: ...

    def refresh(self, failed: str | None) -> str: ...


def fetch_stable_token(base: str, app_id: str, secret: str, force: bool,
                       timeout: float = 5.0) -> tuple[str, int]:
    """POST /cgi-bin/stable_token: the same token while it is valid, unless forced."""
    body = {"grant_type": "client_credential", "appid": app_id, "secret": secret,
            "force_refresh": force}
    try:
        response = requests.post(f"{base}/cgi-bin/stable_token", json=body, timeout=timeout)
        data: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise TransportError(None, f"stable_token: {exc}", cause="token") from None
    if data.get("errcode"):
        raise error_for(int(data["errcode"]), str(data.get("errmsg", "")))
    return str(data["access_token"]), int(data.get("expires_in", 7200))


Fetch = Callable[[bool], tuple[str, int]]


class DatabaseTokens:
    """Token row in ``access_tokens``; a PostgreSQL advisory lock (or SQLite's write
    lock) makes one process refresh while the others wait and then reuse it."""

    def __init__(self, engine: Engine, app_id: str, fetch: Fetch,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine, self.app_id, self.fetch, self.clock = engine, app_id, fetch, clock
        self._lock_key = int.from_bytes(hashlib.sha1(app_id.encode()).digest()[:7], "big")

    def get(self) -> str:
        with self.engine.connect() as conn:
            row = self._row(conn)
        if row is not None and row[1] - EARLY > self.clock():
            return str(row[0])
        return self.refresh(None)

    def refresh(self, failed: str | None) -> str:
        with self._locked() as conn:
            row = self._row(conn)
            if row is not None and row[0] != failed and row[1] - EARLY > self.clock():
                return str(row[0])  # another process refreshed while we waited
            token, expires_in = self._fetch(failed)
            self._store(conn, token, expires_in)
            return token

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


class RedisTokens:
    """The same protocol on Redis: the token with a TTL, refreshes under a Redis lock."""

    def __init__(self, url: str, app_id: str, fetch: Fetch) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.key, self.fetch = f"wxops:access_token:{app_id}", fetch

    def get(self) -> str:
        token = self.redis.get(self.key)
        return str(token) if token else self.refresh(None)

    def refresh(self, failed: str | None) -> str:
        with self.redis.lock(f"{self.key}:lock", timeout=30, blocking_timeout=30):
            current = self.redis.get(self.key)
            if current and current != failed:
                return str(current)
            token, expires_in = self.fetch(False)
            if failed is not None and token == failed:
                token, expires_in = self.fetch(True)
            ttl = max(60, expires_in - int(EARLY.total_seconds()))
            self.redis.set(self.key, token, ex=ttl)
            return token
