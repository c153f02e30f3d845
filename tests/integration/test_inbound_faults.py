"""A push the database could not take in time, or a handler could not handle, is
never lost behind a "success": it is handled again in the request, kept for
the worker, kept for a person, or refused with a 503 that WeChat retries."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot import endpoint
from bot.inbound_replay import Replayer
from handlers import routing
from storage import db, inbound
from storage import staff as staff_directory
from storage.models import InboundMessage, OutboxMessage, ReplyTicket, TicketMessage
from tests.harness import wechat as wx
from tests.integration.commanding import NOW
from tests.integration.conftest import Account, make_account
from tests.integration.test_endpoint import count
from workflow.roles import Role

Handler = Callable[[Any, Any], Any]


def passing_fault(ctx: Any) -> None:
    """A real database fault that passes: a statement cancelled by its timeout on
    PostgreSQL; on SQLite the driver's "database is locked" (another writer)."""
    conn = ctx.store.conn  # the push's connection, behind storage.push.RawPushStore
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL statement_timeout = 1"))
        conn.execute(text("SELECT pg_sleep(1)"))
    raise OperationalError("INSERT INTO ticket_messages ...", {},
                           sqlite3.OperationalError("database is locked"))


def failing(times: int, then: Handler) -> tuple[Handler, list[int]]:
    """A text handler that meets a passing fault ``times`` times, then works."""
    calls = [0]

    def handler(ctx: Any, msg: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            passing_fault(ctx)
        return then(ctx, msg)

    return handler, calls


@pytest.fixture
def text_route(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Handler], None]]:
    real = routing.MESSAGE_ROUTES["text"]
    yield lambda handler: monkeypatch.setitem(routing.MESSAGE_ROUTES, "text", handler)
    monkeypatch.setitem(routing.MESSAGE_ROUTES, "text", real)


def failed_rows(engine: Engine) -> list[InboundMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(InboundMessage).where(InboundMessage.error != "")))


def later(seconds: int) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_passing_fault_is_handled_again_within_the_request(
        account: Account, text_route: Callable[[Handler], None]) -> None:
    handler, calls = failing(1, routing.MESSAGE_ROUTES["text"])
    text_route(handler)
    reply = account.client.push(wx.text("你好"))
    assert reply.status == 200 and reply.text != "success"  # the acknowledgement
    assert calls[0] == 2
    assert count(account.engine, ReplyTicket) == 1
    assert failed_rows(account.engine) == []


def test_a_fault_that_outlasts_the_request_is_kept_and_the_worker_handles_it_once(
        account: Account, text_route: Callable[[Handler], None]) -> None:
    real = routing.MESSAGE_ROUTES["text"]
    handler, calls = failing(endpoint.HANDLE_TRIES, real)
    text_route(handler)
    reply = account.client.push(wx.text("数据库很慢"))
    assert (reply.status, reply.text) == (200, "success")  # recorded, so accepted
    [kept] = failed_rows(account.engine)
    assert kept.replay_at is not None and kept.failures == 1
    assert count(account.engine, ReplyTicket) == 0
    # WeChat's retry of the same push is answered from the log: nothing runs twice.
    assert account.client.push(wx.text("数据库很慢")).text == "success"
    assert calls[0] == endpoint.HANDLE_TRIES

    worker = Replayer(account.app, clock=later(60))
    assert worker.due() == [kept.id]
    assert worker.replay(kept.id, due_only=True).outcome == "handled"
    assert worker.replay(kept.id, due_only=True).outcome == "not_failed"
    assert count(account.engine, TicketMessage) == 1
    assert failed_rows(account.engine) == []


def test_the_worker_waits_for_a_kept_push_to_be_due(
        account: Account, text_route: Callable[[Handler], None]) -> None:
    text_route(failing(99, routing.MESSAGE_ROUTES["text"])[0])
    account.client.push(wx.text("稍后处理"))
    [kept] = failed_rows(account.engine)
    now = Replayer(account.app)
    assert now.due() == []
    assert now.replay(kept.id, due_only=True).outcome == "not_failed"


def test_a_fault_that_keeps_coming_backs_off_and_is_left_to_a_person(
        account: Account, text_route: Callable[[Handler], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import inbound_replay

    text_route(failing(999, routing.MESSAGE_ROUTES["text"])[0])
    account.client.push(wx.text("一直失败"))
    [kept] = failed_rows(account.engine)
    monkeypatch.setattr(inbound_replay, "MAX_FAILURES", 3)
    hours = [0]
    worker = Replayer(account.app, clock=lambda: datetime.now(UTC) + timedelta(hours=hours[0]))
    pauses = []
    for _ in range(2):
        hours[0] += 1
        assert worker.replay(kept.id, due_only=True).outcome == "failed"
        [row] = failed_rows(account.engine)
        pauses.append(row.replay_at)
    assert pauses[1] is None  # the third failure: a person's turn
    assert pauses[0] is not None
    assert worker.due() == []
    assert count(account.engine, ReplyTicket) == 0


def test_a_handler_bug_is_kept_for_a_person_and_replayed_once_mended(
        account: Account, text_route: Callable[[Handler], None]) -> None:
    real = routing.MESSAGE_ROUTES["text"]

    def broken(ctx: object, msg: object) -> None:
        raise RuntimeError("bug in a handler")

    text_route(broken)
    assert account.client.push(wx.text("触发错误")).text == "success"
    [kept] = failed_rows(account.engine)
    assert kept.replay_at is None  # asking again would fail the same way
    assert Replayer(account.app, clock=later(3600)).due() == []
    assert healthz(account)["inbound_failed"] == 1

    text_route(real)  # mended
    assert Replayer(account.app).replay(kept.id).outcome == "handled"
    assert count(account.engine, TicketMessage) == 1
    assert healthz(account)["inbound_failed"] == 0


def test_a_replayed_staff_command_tells_the_member_its_outcome(
        account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(account.engine) as session:
        member = staff_directory.add_staff(session, "李雷", frozenset({Role.REVIEWER}), NOW,
                                           openid="o_reviewer")
        session.commit()
    calls = [0]
    original = routing.route

    def route(msg: Any) -> Handler:
        handler = original(msg)

        def faulty(ctx: Any, m: Any) -> Any:
            calls[0] += 1
            if calls[0] <= endpoint.HANDLE_TRIES:
                passing_fault(ctx)
            return handler(ctx, m)
        return faulty

    monkeypatch.setattr("bot.handling.route", route)
    assert account.client.push(wx.text("帮助", sender="o_reviewer"), "safe").text == "success"
    [kept] = failed_rows(account.engine)
    assert Replayer(account.app, clock=later(60)).replay(kept.id).outcome == "handled"
    with Session(account.engine) as session:
        [notice] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notify"))
    assert notice.payload["staff_id"] == member.id
    assert notice.payload["template"] == "inbound_replayed"
    assert notice.payload["context"]["text"] == "帮助"


def healthz(account: Account) -> dict[str, Any]:
    status: list[str] = []
    body = b"".join(account.client.app(
        {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"},
        lambda s, _h: status.append(s)))
    report: dict[str, Any] = json.loads(body)
    report["http"] = status[0]
    return report


# --- SQLite: a writer that does not let go ------------------------------------------------------


@contextmanager
def stuck_writer(engine: Engine) -> Iterator[None]:
    """Another process's writer holding wxops's write lock (a descriptor of its own)."""
    fd = os.open(f"{engine.url.database}.writelock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def stuck_transaction(engine: Engine) -> Iterator[None]:
    """A writer that does not take wxops's lock (the sqlite3 shell) in a transaction."""
    other = sqlite3.connect(str(engine.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("stuck", [stuck_writer, stuck_transaction])
def test_a_stuck_writer_gets_a_503_in_time_and_the_retry_is_stored_once(
        sqlite_engine: Engine, stuck: Callable[[Engine], Any]) -> None:
    account = make_account(sqlite_engine)
    query, body = account.client.signer.build(wx.text("锁住了"), "safe")
    with stuck(sqlite_engine):
        started = time.monotonic()
        assert account.client.request("POST", query, body).status == 503
        assert time.monotonic() - started < endpoint.PUSH_BUDGET + 1.5  # WeChat waits 5 s
    assert count(sqlite_engine, InboundMessage) == 0  # not recorded, so not accepted
    retried = account.client.request("POST", query, body)  # WeChat's retry
    assert retried.status == 200 and retried.text != "success"
    assert count(sqlite_engine, TicketMessage) == 1


def test_healthz_says_writes_are_blocked_without_waiting_for_the_lock(
        sqlite_engine: Engine) -> None:
    account = make_account(sqlite_engine)
    with stuck_writer(sqlite_engine):
        started = time.monotonic()
        report = healthz(account)
        assert time.monotonic() - started < 2
    assert (report["http"][:3], report["writes"]) == ("503", "blocked")
    assert healthz(account)["http"].startswith("200")


def test_a_bounded_wait_in_another_thread_gives_up_too(sqlite_engine: Engine) -> None:
    """Off the main thread (no alarm there) the wait is polled, with the same bound."""
    lock = db.SqliteWriteLock(str(sqlite_engine.url.database))
    outcome: list[str] = []

    def wait() -> None:
        try:
            with lock.within(0.3):
                outcome.append("got it")
        except db.WriteLockBusy:
            outcome.append("busy")

    with stuck_writer(sqlite_engine):
        waiter = threading.Thread(target=wait)
        waiter.start()
        waiter.join(5)
    assert outcome == ["busy"]
    assert lock.can_write(0.3)


def test_a_bounded_waiter_gets_the_lock_as_soon_as_it_is_let_go(sqlite_engine: Engine) -> None:
    lock = db.SqliteWriteLock(str(sqlite_engine.url.database))
    fd = os.open(lock.path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    threading.Timer(0.2, os.close, (fd,)).start()  # the other writer commits
    started = time.monotonic()
    with lock.within(3):
        waited = time.monotonic() - started
    assert waited < 1.5  # woken by the release, not by the end of the wait


def unreachable(engine: Engine) -> OperationalError:
    """What connecting to a PostgreSQL that refuses connections raises (no SQLSTATE:
    no server answered)."""
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        closed = engine.url.set(host="127.0.0.1", port=s.getsockname()[1])
    refused = create_engine(closed, connect_args={"connect_timeout": 2})
    try:
        with pytest.raises(OperationalError) as raised, refused.connect():
            pass
    finally:
        refused.dispose()
    return raised.value


def test_transient_tells_passing_faults_from_bugs(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET statement_timeout = 1"))
            with pytest.raises(OperationalError) as timed_out:
                conn.execute(text("SELECT pg_sleep(1)"))
            conn.rollback()
        else:
            timed_out = None
        with pytest.raises(Exception) as bad_sql:
            conn.execute(text("SELECT * FROM no_such_table"))
    if timed_out is not None:
        assert db.transient(timed_out.value)
        assert db.transient(unreachable(engine))
    assert not db.transient(bad_sql.value)
    assert db.transient(OperationalError("x", {}, sqlite3.OperationalError("database is locked")))
    assert db.transient(db.WriteLockBusy("held"))
    assert not db.transient(RuntimeError("bug"))


def test_a_failed_replay_never_undoes_another_replays_success(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        push = inbound.record(conn, {"MsgType": "text", "MsgId": "7", "FromUserName": "o"},
                              authenticated=True, mode="safe", now=now)
        inbound_id = inbound.claim(conn, push).inbound_id
        assert inbound_id is not None
        inbound.store_failure(conn, inbound_id, "busy", now)
    with engine.begin() as conn:
        assert inbound.take_for_replay(conn, inbound_id, now) is not None  # one replay wins
        inbound.store_reply(conn, inbound_id, "<xml/>", now)
    with engine.begin() as conn:
        assert inbound.take_for_replay(conn, inbound_id, now) is None  # the other finds none
        inbound.store_failure(conn, inbound_id, "late failure", None, again=True)
    assert failed_rows(engine) == []
