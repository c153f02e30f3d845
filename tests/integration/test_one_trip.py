"""A follower's text on PostgreSQL in one round trip (``wxops_push``, bot.one_trip):
counted on the wire, and the guarantees of the usual path kept: retries get the
same reply and run nothing twice, a retry racing its original waits for it, a
reused (timestamp, nonce) with another body is refused, and a sender the
statement cannot finish alone is handled the usual way with nothing written twice."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg.pq import Trace
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from storage import inbound, one_trip, rules
from storage.models import Follower, InboundMessage, InboundNonce, ReplyTicket, Staff, TicketMessage
from storage.rules import SqlRuleRepository
from tests.harness import wechat as wx
from tests.integration.conftest import make_account
from workflow.autoreply import MatchType, NewRule
from workflow.follower_push import FollowerText, Nonce, PushStatus
from workflow.reply_queue import quiet_since

pytestmark = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


@contextmanager
def round_trips(drivers: list[Any]) -> Iterator[Callable[[], int]]:
    """Round trips the client makes on ``drivers`` meanwhile, from libpq's own
    trace: every Sync (extended protocol) or Query (simple protocol) it sends
    waits for the server's answer."""
    counted: list[int] = []  # read after the block
    with ExitStack() as stack:
        files = []
        for driver in {id(d): d for d in drivers}.values():
            trace = stack.enter_context(tempfile.TemporaryFile())
            driver.pgconn.trace(trace.fileno())
            driver.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            files.append((driver, trace))
        try:
            yield lambda: counted[0]
        finally:
            total = 0
            for driver, trace in files:
                driver.pgconn.untrace()
                trace.seek(0)
                for line in trace.read().decode().splitlines():
                    fields = line.split("\t")
                    if len(fields) > 2 and fields[0] == "F" and fields[2] in ("Sync", "Query"):
                        total += 1
            counted.append(total)


@pytest.fixture
def checked_out(engine: Engine) -> Iterator[list[Any]]:
    """The driver connections taken from the pool while the test runs."""
    drivers: list[Any] = []

    def taken(dbapi: Any, record: Any, proxy: Any) -> None:
        drivers.append(dbapi)

    event.listen(engine, "checkout", taken)
    yield drivers
    event.remove(engine, "checkout", taken)


def add_rule(engine: Engine, pattern: str, reply: str) -> int:
    with Session(engine) as session:
        rule = SqlRuleRepository(session).add(
            NewRule(MatchType.CONTAINS, pattern, reply_text=reply), None,
            datetime.now(UTC))
        session.commit()
    return rule.id


def test_a_follower_text_is_one_round_trip(engine: Engine, checked_out: list[Any]) -> None:
    rule_id = add_rule(engine, "地址", "我们在人民路 1 号")
    account = make_account(engine)
    assert account.client.push(wx.text("你好", msg_id=1)).status == 200  # reads the rules
    pushes = {"a new ticket, acknowledged": wx.text("第一次留言", sender="o_new", msg_id=2),
              "a follow-up, silent": wx.text("还在吗", msg_id=3),
              "a rule's answer": wx.text("请问地址在哪", msg_id=4),
              "a retry": wx.text("第一次留言", sender="o_new", msg_id=2)}
    replies = {}
    for name, message in pushes.items():
        with round_trips(checked_out) as trips:
            reply = account.client.push(message)
        assert (name, reply.status, trips()) == (name, 200, 1)  # counted once the block ends
        replies[name] = reply.body
    assert b"T2" in replies["a new ticket, acknowledged"]
    assert replies["a retry"] == replies["a new ticket, acknowledged"]
    assert replies["a follow-up, silent"] == b"success"
    assert "人民路".encode() in replies["a rule's answer"]
    assert (count(engine, InboundMessage), count(engine, TicketMessage)) == (4, 3)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT hits FROM auto_reply_rules WHERE id = :i"),
                           {"i": rule_id}) == 1


def test_a_retry_gets_the_same_reply_however_late(engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The acknowledgement is rendered after the statement, and again for each
    retry, from what the statement kept: the same bytes, CreateTime included."""
    account = make_account(engine)
    account.client.push(wx.text("预热", sender="o_warm", msg_id=9))  # the rules read
    first = account.client.push(wx.text("请问怎么报名", msg_id=1))
    later = time.time() + 7
    monkeypatch.setattr("bot.replies.time.time", lambda: later)
    again = account.client.push(wx.text("请问怎么报名", msg_id=1))
    assert b"T" in first.body and again.body == first.body
    assert count(engine, TicketMessage) == 2


def record(engine: Engine, content: str, msg_id: int, sender: str = "o_fan") -> Any:
    fields = {"ToUserName": wx.ACCOUNT, "FromUserName": sender, "CreateTime": "1700000000",
              "MsgType": "text", "Content": content, "MsgId": str(msg_id)}
    with engine.connect() as conn:
        return inbound.record(conn, fields, authenticated=False, mode="plain",
                              now=datetime.now(UTC))


def follower_text(content: str) -> FollowerText:
    now = datetime.now(UTC)
    return FollowerText(content, 0, True, quiet_since(now))


def push(engine: Engine, push_record: Any, nonce: Nonce | None, content: str) -> Any:
    with engine.connect() as conn:
        return one_trip.push(conn, push_record, nonce, follower_text(content))


def test_a_reused_nonce_with_another_body_is_refused_and_writes_nothing(
        engine: Engine) -> None:
    first = push(engine, record(engine, "原始消息", 1), Nonce(1700000000, "n1", "a" * 64),
                 "原始消息")
    forged = push(engine, record(engine, "伪造", 2), Nonce(1700000000, "n1", "b" * 64), "伪造")
    genuine = push(engine, record(engine, "原始消息", 1), Nonce(1700000000, "n1", "a" * 64),
                   "原始消息")
    assert (first.status, forged.status, genuine.status) == (
        PushStatus.HANDLED, PushStatus.REPLAYED, PushStatus.RETRY)
    assert genuine.acknowledgement == first.acknowledgement is not None
    assert (count(engine, InboundMessage), count(engine, InboundNonce),
            count(engine, TicketMessage)) == (1, 1, 1)


def test_a_retry_racing_its_original_waits_for_it_on_another_connection(
        engine: Engine) -> None:
    """The original holds its claim uncommitted (here: it waits for the follower's
    row, locked by a third session); the retry waits on the claim's key, then
    answers with what the original recorded."""
    push(engine, record(engine, "先来一条", 1), None, "先来一条")  # the follower exists
    results: dict[str, Any] = {}
    locker = engine.connect()
    locker.execute(text("SELECT id FROM followers WHERE openid = 'o_fan' FOR UPDATE"))

    def send(name: str) -> None:
        results[name] = push(engine, record(engine, "在吗", 2), None, "在吗")

    original = threading.Thread(target=send, args=("original",))
    original.start()
    _wait_for_lock_waiters(engine, 1)
    retry = threading.Thread(target=send, args=("retry",))
    retry.start()
    _wait_for_lock_waiters(engine, 2)
    locker.rollback()
    locker.close()
    original.join(10)
    retry.join(10)
    assert results["original"].status is PushStatus.HANDLED
    assert results["retry"].status is PushStatus.RETRY
    assert results["retry"].reply == results["original"].reply == ""
    assert (count(engine, InboundMessage), count(engine, TicketMessage)) == (2, 2)


def _wait_for_lock_waiters(engine: Engine, waiting: int) -> None:
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            n = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE"
                                 " datname = current_database() AND wait_event_type = 'Lock'"))
            conn.rollback()
            if n == waiting:
                return
    raise AssertionError(f"never {waiting} sessions waiting for a lock")


def test_staff_are_handled_the_usual_way_with_nothing_written_twice(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Staff(openid="o_staff", name="小王", roles="admin", active=True,
                          created_at=datetime.now(UTC)))
        session.commit()
    nonce = Nonce(1700000000, "n2", "c" * 64)
    fallback = push(engine, record(engine, "队列", 1, sender="o_staff"), nonce, "队列")
    assert fallback.status is PushStatus.FALLBACK
    assert (count(engine, InboundMessage), count(engine, InboundNonce),
            count(engine, Follower)) == (0, 0, 0)
    account = make_account(engine)
    rules.forget_cached_rules()
    reply = account.client.push(wx.text("队列", sender="o_staff", msg_id=5))
    assert reply.status == 200 and reply.body != b"success"  # the queue, as a command
    assert (count(engine, InboundMessage), count(engine, ReplyTicket)) == (1, 0)


@contextmanager
def tickets_locked_for(engine: Engine, seconds: float) -> Iterator[None]:
    """The tickets table locked by another session for ``seconds`` (a slow database:
    the statement waits past its lock timeout)."""
    blocker = engine.connect()
    blocker.execute(text("LOCK TABLE reply_tickets IN ACCESS EXCLUSIVE MODE"))
    timer = threading.Timer(seconds, blocker.rollback)
    timer.start()
    try:
        yield
    finally:
        timer.join()
        blocker.close()


def failed_rows(engine: Engine) -> list[InboundMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(InboundMessage).where(InboundMessage.error != "")))


def test_a_passing_fault_is_handled_again_within_the_request(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    account = make_account(engine)
    account.client.push(wx.text("预热", sender="o_warm", msg_id=9))  # the rules read
    with tickets_locked_for(engine, 1.3):  # the first try's lock timeout is 1 s
        reply = account.client.push(wx.text("数据库慢", msg_id=1))
    assert reply.status == 200 and b"T2" in reply.body
    assert "passing database fault" in caplog.text
    assert (count(engine, InboundMessage), count(engine, TicketMessage)) == (2, 2)
    assert failed_rows(engine) == []


def test_a_fault_that_outlasts_the_request_is_kept_and_handled_once_later(
        engine: Engine) -> None:
    from bot.inbound_replay import Replayer

    account = make_account(engine)
    account.client.push(wx.text("预热", sender="o_warm", msg_id=9))
    started = time.monotonic()
    with tickets_locked_for(engine, 2.6):
        reply = account.client.push(wx.text("数据库一直慢", msg_id=1))
        took = time.monotonic() - started
    assert (reply.status, reply.text) == (200, "success") and took < 5
    [kept] = failed_rows(engine)
    assert kept.replay_at is not None  # for the worker, soon
    assert count(engine, TicketMessage) == 1  # the warm-up's only
    assert Replayer(account.app).replay(kept.id).outcome == "handled"
    again = account.client.push(wx.text("数据库一直慢", msg_id=1))  # WeChat's retry
    assert (again.status, count(engine, TicketMessage), failed_rows(engine)) == (200, 2, [])
