"""The sender's lanes (issue 25): a batch drained side by side within one worker,
one person's replies on one lane and in order, every row still sent once: with
many people, with a lane that crashes, with two workers on the same rows. Both
engines (on SQLite a batch runs on one lane: ``bot.sender.width``), with the
recording fake of the gateway."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import deliveries, lanes
from bot.gateway import Gateway
from bot.sender import Sender
from storage import outbox
from tests.integration.queueing import staff_reply
from tests.integration.test_outbox import NOW, FakeGateway, staff_member
from tests.integration.test_outbox_batch import Died, replies_sent
from tests.integration.test_outbox_doubt import HTTP_502, INCIDENT, LEASE, rows, ticket_for, told

PARALLEL = 4


class ThreadedGateway(FakeGateway):
    """The fake, also noting which thread made each call (and taking a little
    time, as a platform call does, so that lanes overlap)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def _record(self, name: str, *args: Any) -> dict[str, Any]:
        self.threads.add(threading.current_thread().name)
        time.sleep(0.002)
        return super()._record(name, *args)


@contextmanager
def laned(engine: Engine, gateway: FakeGateway, name: str = "w1",
          now: datetime = NOW) -> Iterator[Sender]:
    """A sender as the worker wires it, with its lanes."""
    sender = Sender(engine, gateway, deliveries.handlers("", INCIDENT), name,  # type: ignore[arg-type]
                    clock=lambda: now, dead_ends=deliveries.dead_ends(INCIDENT),
                    sent_after_all=deliveries.sent_after_all(), parallel=PARALLEL,
                    lane_of=lanes.lane_of)
    try:
        yield sender
    finally:
        sender.close()


def interleaved(engine: Engine, people: int, each: int) -> None:
    """``each`` replies to each of ``people`` followers, queued in turns (one to
    each person, then the second to each, ...), texts ``n.k``."""
    tickets = [ticket_for(engine, f"o_fan{n}") for n in range(people)]
    for k in range(each):
        for n, ticket_id in enumerate(tickets):
            with engine.begin() as conn:
                staff_reply(conn, ticket_id, 1, f"{n}.{k}", NOW)


def texts_to(gateway: FakeGateway, openid: str) -> list[str]:
    return [str(args[1]) for name, args in gateway.calls
            if name == "send_text" and args[0] == openid]


def on_lanes(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def test_one_persons_replies_keep_their_order_across_lanes(engine: Engine) -> None:
    staff_member(engine)
    interleaved(engine, people=6, each=4)
    gateway = ThreadedGateway()
    with laned(engine, gateway) as sender:
        assert sender.run_once(limit=24) == 24
    for n in range(6):
        assert texts_to(gateway, f"o_fan{n}") == [f"{n}.{k}" for k in range(4)]
    assert {(r.status, r.attempts) for r in rows(engine, "cs_reply")} == {("sent", 1)}
    # Side by side on PostgreSQL; one lane, the caller's thread, on SQLite.
    assert (len(gateway.threads) > 1) == on_lanes(engine)


def test_many_people_are_each_sent_once_on_lanes(engine: Engine) -> None:
    staff_member(engine)
    interleaved(engine, people=30, each=2)
    gateway = ThreadedGateway()
    with laned(engine, gateway) as sender:
        assert sender.drain(limit=16) == 60
    assert sorted(replies_sent(gateway)) == sorted([f"o_fan{n}" for n in range(30)] * 2)
    assert {(r.status, r.attempts, r.in_doubt) for r in rows(engine, "cs_reply")} == {
        ("sent", 1, False)}
    assert len(gateway.calls) == 60


class CrashingGateway(ThreadedGateway):
    """Dies (once) right after WeChat accepted a call to o_fan1."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    def _record(self, name: str, *args: Any) -> dict[str, Any]:
        answer = super()._record(name, *args)
        if self.crash and args[0] == "o_fan1":
            self.crash = False
            raise Died
        return answer


def test_a_crashed_lane_leaves_the_others_sent_and_its_row_parked(engine: Engine) -> None:
    """The lane of o_fan1 dies once its first reply went out, before that was
    recorded: on PostgreSQL the other lanes send everyone else's replies (on
    SQLite, one lane, the batch stops there as before); that reply is parked as
    perhaps delivered, never resent; o_fan1's next replies, never started, are
    given back and sent later; every other reply is sent once, in order."""
    staff_member(engine)
    interleaved(engine, people=5, each=3)
    gateway = CrashingGateway()
    with laned(engine, gateway) as sender, pytest.raises(Died):
        sender.run_once(limit=15)
    if on_lanes(engine):
        for n in (0, 2, 3, 4):
            assert texts_to(gateway, f"o_fan{n}") == [f"{n}.{k}" for k in range(3)]
    fan1 = [r for r in rows(engine, "cs_reply") if r.payload["openid"] == "o_fan1"]
    assert [(r.status, r.attempt_started_at is not None) for r in fan1] == [
        ("sending", True), ("pending", False), ("pending", False)]

    later = NOW + LEASE + timedelta(seconds=1)
    with laned(engine, gateway, "rescuer", now=later) as rescuer:
        assert rescuer.recover(LEASE) == (0, 1)
        rescuer.drain()
    fan1 = [r for r in rows(engine, "cs_reply") if r.payload["openid"] == "o_fan1"]
    assert [(r.status, r.in_doubt) for r in fan1] == [
        ("dead", True), ("sent", False), ("sent", False)]
    for n in range(5):  # each once, in order
        assert texts_to(gateway, f"o_fan{n}") == [f"{n}.{k}" for k in range(3)]
    assert len(gateway.calls) == 15


def test_two_workers_with_lanes_on_the_same_rows_send_each_once(engine: Engine) -> None:
    staff_member(engine)
    interleaved(engine, people=16, each=2)
    gateway = ThreadedGateway()
    start = threading.Barrier(2)

    def drain(name: str) -> None:
        with laned(engine, gateway, name) as sender:
            start.wait()
            sender.drain(limit=6)

    workers = [threading.Thread(target=drain, args=(name,)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(replies_sent(gateway)) == sorted([f"o_fan{n}" for n in range(16)] * 2)
    sent = rows(engine, "cs_reply")
    assert {(r.status, r.attempts, r.in_doubt) for r in sent} == {("sent", 1, False)}
    assert {r.claimed_by for r in sent} == {"a", "b"}  # both took part
    for n in range(16):
        assert texts_to(gateway, f"o_fan{n}") == [f"{n}.0", f"{n}.1"]


def test_one_writers_replies_given_up_on_several_lanes_make_one_notice(engine: Engine) -> None:
    """Twelve people's replies by one writer, each met by a 502 on its own lane:
    every one is parked in doubt in its first attempt (the lanes' commits wait
    for each other on the writer, never deadlock) and the writer has one notice."""
    staff_member(engine)
    interleaved(engine, people=12, each=1)
    gateway = ThreadedGateway()
    gateway.fail_with = [HTTP_502] * 12
    with laned(engine, gateway) as sender:
        assert sender.run_once(limit=12) == 12
    assert {(r.status, r.in_doubt, r.attempts) for r in rows(engine, "cs_reply")} == {
        ("dead", True, 1)}
    notices = told(engine)
    assert list(notices) == [1]  # one writer
    assert [sorted(listed) for listed in notices[1]] == [[r.id for r in rows(engine, "cs_reply")]]


def test_the_lanes_of_a_batch() -> None:
    """A reply goes on its follower's lane; every other kind on the one ordered lane."""
    def row(kind: str, **payload: Any) -> Any:
        return outbox.OutboxRow(1, kind, payload, "k", "sending", 1, None, None, None, None,
                                "", NOW, NOW, None)

    made = [row("cs_reply", openid="o_a"), row("sync_draft", item_id=1),
            row("cs_reply", openid="o_b"), row("submit_publish", item_id=1),
            row("cs_reply", openid="o_a"), row("notify", staff_id=1)]
    assert [[r.kind for r in group] for group in lanes.grouped(made, lanes.lane_of)] == [
        ["cs_reply", "cs_reply"], ["sync_draft", "submit_publish", "notify"], ["cs_reply"]]


def test_each_lane_calls_with_a_client_of_its_own() -> None:
    """The gateway's wechatpy client (its token slot, its HTTP session) is one a
    thread: lanes calling side by side never set each other's token."""
    tokens = type("Tokens", (), {"get": lambda self: "t", "refresh": lambda self, failed: "t"})()
    gateway = Gateway("wx_app", "secret", "http://127.0.0.1:9", tokens)
    seen: dict[str, Any] = {}

    def look(name: str) -> None:
        seen[name] = gateway.client
        assert gateway.client is seen[name]  # kept within a thread

    threads = [threading.Thread(target=look, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen["a"] is not seen["b"] and gateway.client not in (seen["a"], seen["b"])
