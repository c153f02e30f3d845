"""Access tokens: ``/cgi-bin/token`` and ``/cgi-bin/stable_token`` semantics."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.emulator.clock import RateCounter
from bot.emulator.errors import WeChatError

TOKEN_TTL = 7200
# A replaced token keeps working this long, then answers 40001.
GRACE = 300
FORCE_REFRESH_GAP = 30
FORCE_REFRESH_PER_DAY = 20


@dataclass
class Token:
    value: str
    expires_at: float
    revoked_at: float | None = None

    def remaining(self, now: float) -> int:
        return max(0, int(self.expires_at - now))


class TokenBook:
    """Issued tokens. The two grant endpoints keep separate "current" tokens, as on
    the platform, so one does not invalidate the other."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}
        self.latest: Token | None = None
        self.stable: Token | None = None
        self.force_refreshes = RateCounter()

    def issue(self, now: float) -> Token:
        """A fresh token from /cgi-bin/token; the previous one lives GRACE more seconds."""
        self._retire(self.latest, now)
        self.latest = self._new(now)
        return self.latest

    def stable_token(self, now: float, force_refresh: bool) -> Token:
        """The shared token: the same one while valid, unless `force_refresh`."""
        if force_refresh:
            self._check_force_refresh(now)
            self.force_refreshes.record(now)
        elif self.stable is not None and self._usable(self.stable, now):
            return self.stable
        self._retire(self.stable, now)
        self.stable = self._new(now)
        return self.stable

    def check(self, value: str | None, now: float) -> None:
        """Raise the error WeChat gives for this access_token, if any."""
        if not value:
            raise WeChatError(41001)
        token = self.tokens.get(value)
        if token is None or (token.revoked_at is not None and token.revoked_at <= now):
            raise WeChatError(40001)
        if token.expires_at <= now:
            raise WeChatError(42001)

    def expire_all(self, now: float) -> None:
        for token in self.tokens.values():
            token.expires_at = min(token.expires_at, now)

    def _check_force_refresh(self, now: float) -> None:
        last = self.force_refreshes.last()
        if last is not None and now - last < FORCE_REFRESH_GAP:
            raise WeChatError(45011)
        if self.force_refreshes.today(now) >= FORCE_REFRESH_PER_DAY:
            raise WeChatError(45009)

    def _new(self, now: float) -> Token:
        token = Token(secrets.token_urlsafe(96), now + TOKEN_TTL)
        self.tokens[token.value] = token
        return token

    @staticmethod
    def _retire(token: Token | None, now: float) -> None:
        if token is not None and token.revoked_at is None:
            token.revoked_at = now + GRACE

    @staticmethod
    def _usable(token: Token, now: float) -> bool:
        return token.revoked_at is None and token.expires_at > now
