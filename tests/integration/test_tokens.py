"""The shared access token: one fetch for many processes, in the database or Redis."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.tokens import RedisTokens
from storage.tokens import MEMO, DatabaseTokens

REDIS_URL = os.environ.get("WXOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class FakeStableToken:
    """stable_token's rule: the same token until forced."""

    def __init__(self) -> None:
        self.generation, self.fetches, self.lock = 1, 0, threading.Lock()

    def __call__(self, force: bool) -> tuple[str, int]:
        with self.lock:
            self.fetches += 1
            if force:
                self.generation += 1
            return f"token-{self.generation}", 7200


def test_database_tokens_are_fetched_once_for_many_threads(engine: Engine) -> None:
    fetch = FakeStableToken()
    sources = [DatabaseTokens(engine, "wx_app", fetch) for _ in range(6)]
    seen: list[str] = []
    start = threading.Barrier(len(sources))

    def get(source: DatabaseTokens) -> None:
        start.wait()
        seen.append(source.get())

    threads = [threading.Thread(target=get, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert seen == ["token-1"] * 6 and fetch.fetches == 1


def test_a_rejected_token_is_replaced_once(engine: Engine) -> None:
    fetch = FakeStableToken()
    first, second = DatabaseTokens(engine, "wx_app", fetch), DatabaseTokens(engine, "wx_app", fetch)
    stale = first.get()
    assert first.refresh(failed=stale) == "token-2"
    assert second.refresh(failed=stale) == "token-2"  # already replaced: no second force
    assert fetch.generation == 2


def test_a_process_reads_the_database_token_at_most_once_a_minute(engine: Engine) -> None:
    """The sender asks for the token at every call: it is kept in the process for
    ``MEMO``. A token another process replaced meanwhile is read again at once
    when WeChat rejects it (``refresh``), or when the minute is over."""
    fetch, now = FakeStableToken(), [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    first, other = (DatabaseTokens(engine, "wx_app", fetch, clock=lambda: now[0])
                    for _ in range(2))
    assert first.get() == "token-1"
    assert other.refresh(failed="token-1") == "token-2"
    assert first.get() == "token-1"  # kept
    now[0] += MEMO + timedelta(seconds=1)
    assert first.get() == "token-2"
    assert other.refresh(failed="token-2") == "token-3"
    assert first.refresh(failed="token-2") == "token-3" and first.get() == "token-3"
    assert fetch.generation == 3


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unavailable at {REDIS_URL}: {exc}")
    yield REDIS_URL


def test_redis_tokens_share_and_refresh(redis_url: str) -> None:
    fetch, app_id = FakeStableToken(), f"wx_{uuid.uuid4().hex[:8]}"
    first, second = RedisTokens(redis_url, app_id, fetch), RedisTokens(redis_url, app_id, fetch)
    assert first.get() == second.get() == "token-1" and fetch.fetches == 1
    assert second.refresh(failed="token-1") == "token-2"
    assert first.get() == "token-2"
    first.redis.delete(first.key)
