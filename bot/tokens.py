"""The access token, shared by every process: fetched with stable_token, stored in
the database (storage.tokens.DatabaseTokens) or Redis, refreshed by one process
at a time under a lock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import requests

from bot.wechat_errors import TransportError, error_for

log = logging.getLogger("wxops.tokens")

#: Refresh a little before WeChat's expiry, never in the last minutes (as
#: storage.tokens.EARLY does for the database's copy).
EARLY_SECONDS = 300


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
            ttl = max(60, expires_in - EARLY_SECONDS)
            self.redis.set(self.key, token, ex=ttl)
            return token
