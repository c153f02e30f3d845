"""Faults on the way in, with the server, worker and emulator as processes: a slow or
stuck database, and a handler that fails. Every push WeChat was told it got
(a 200) reaches the queue exactly once; none waits past WeChat's 5 s."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.models import InboundMessage, TicketMessage
from tests.e2e.conftest import Stack
from tests.e2e.test_outbound import control, eventually
from tests.harness.faults import allow_words, refuse_word


def send(stack: Stack, openid: str, content: str) -> dict[str, Any]:
    answer: dict[str, Any] = control(stack, "send", {"openid": openid, "text": content})
    return answer


@contextmanager
def database(stack: Stack) -> Iterator[Engine]:
    engine = make_engine(stack.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def messages_with(engine: Engine, content: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(TicketMessage)
                               .where(TicketMessage.content == content)) or 0)


def failed(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(InboundMessage)
                               .where(InboundMessage.error != "")) or 0)


def healthz(stack: Stack) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    response = requests.get(f"{stack.server}/healthz", timeout=10)
    return response.status_code, response.json(), time.monotonic() - started


def test_a_slow_database_loses_no_message_and_doubles_none(stack: Stack) -> None:
    """PostgreSQL: the tickets table locked past the push's budget (a slow database,
    as a statement timeout in the ticket write). The pushes are kept and answered
    in time, the worker handles them once the table is free."""
    if make_url(stack.database_url).get_backend_name() != "postgresql":
        pytest.skip("statement and lock timeouts are PostgreSQL's; SQLite's stuck writer below")
    stack.start_worker("w1")
    contents = ["数据库慢时的第一条", "数据库慢时的第二条"]
    with database(stack) as engine, engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE reply_tickets IN ACCESS EXCLUSIVE MODE"))
        with ThreadPoolExecutor(2) as pool:
            started = time.monotonic()
            answers = list(pool.map(lambda i: send(stack, f"o_slow{i}", contents[i]), (0, 1)))
            took = time.monotonic() - started
        assert messages_with(engine, contents[0]) == 0  # still locked: kept, not handled
        blocker.rollback()
    assert [(a["status"], a["attempts"]) for a in answers] == [(200, 1), (200, 1)]
    assert took < 5  # WeChat's deadline
    with database(stack) as engine:
        eventually(lambda: all(messages_with(engine, c) == 1 for c in contents), 30)
        eventually(lambda: failed(engine) == 0, 10)
        time.sleep(3)  # another round of the worker's replays: still once each
        assert [messages_with(engine, c) for c in contents] == [1, 1]
    assert send(stack, "o_after", "恢复之后")["status"] == 200


def test_a_handler_error_is_shown_to_staff_and_replayed_once_mended(stack: Stack) -> None:
    """A fault that asking again would not mend (here: the database refuses the
    message with a constraint, as a bug would) is kept, counted in /healthz, listed
    by `wxops inbound errors`, left alone by the worker, and replayed by hand."""
    stack.start_worker("w1")
    with database(stack) as engine, engine.begin() as conn:
        refuse_word(conn, "坏")
    answer = send(stack, "o_bug", "一条坏消息")
    assert (answer["status"], answer["reply"]) == (200, "success")
    status, report, _ = healthz(stack)
    assert (status, report["inbound_failed"], report["inbound_retrying"]) == (200, 1, 0)
    listed = stack.wxops("inbound", "errors")
    assert listed.returncode == 0
    with database(stack) as engine, engine.connect() as conn:
        inbound_id = conn.scalar(select(InboundMessage.id).where(InboundMessage.error != ""))
    assert f"{inbound_id:>8}" in listed.stdout.splitlines()[1]
    time.sleep(3)  # the worker replays only what a passing fault kept
    with database(stack) as engine:
        assert failed(engine) == 1 and messages_with(engine, "一条坏消息") == 0
        with engine.begin() as conn:  # mended
            allow_words(conn)
    assert stack.wxops("inbound", "replay", str(inbound_id)).returncode == 0
    again = stack.wxops("inbound", "replay", str(inbound_id))
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    with database(stack) as engine:
        assert (failed(engine), messages_with(engine, "一条坏消息")) == (0, 1)
    assert healthz(stack)[1]["inbound_failed"] == 0


def test_a_stuck_sqlite_writer_is_waited_for_in_bounds_and_the_retry_lands_once(
        stack: Stack) -> None:
    """SQLite: another writer keeps the write lock for 4 s. The push is answered with
    a 503 well inside 5 s, /healthz answers at once, and WeChat's retry (the
    emulator's) is stored once when the lock is free."""
    if make_url(stack.database_url).get_backend_name() != "sqlite":
        pytest.skip("the write lock is SQLite's")
    database_file = make_url(stack.database_url).database
    fd = os.open(f"{database_file}.writelock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    release = threading.Timer(4.0, os.close, (fd,))
    release.start()
    try:
        with ThreadPoolExecutor(1) as pool:
            pushed = pool.submit(send, stack, "o_stuck", "写锁被占用")
            time.sleep(0.5)
            status, report, took = healthz(stack)
            assert (status, report["writes"]) == (503, "blocked") and took < 2
            answer = pushed.result(timeout=20)
    finally:
        release.join()
    # One 503 at about 2.5 s, then stored once the lock is free at 4 s. (On a machine
    # so loaded that the first try starts after 4 s it is simply stored: the bound on
    # the 503 itself is tested in tests/integration/test_inbound_faults.py.)
    assert answer["status"] == 200 and answer["attempts"] in (1, 2)
    with database(stack) as engine:
        assert messages_with(engine, "写锁被占用") == 1
    assert healthz(stack)[0] == 200
