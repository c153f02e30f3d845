"""Faults between the worker and WeChat, end to end (issue 18, points 2, 3 and 5):
emulator, server and workers as processes, the fault injected through the
emulator's control API or by signalling a worker. Each test counts every
outbox row: sent once, retried, or waiting for a person with an honest reason.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from handlers import texts
from storage.db import make_engine
from storage.models import TicketMessage, TicketNote
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_outbound import add_admin, control, eventually, inbox_texts, outbox_rows, says
from tests.integration.queueing import staff_reply

SEND = "/cgi-bin/message/custom/send"


def reply_as(stack: Stack, staff_id: int, ticket_id: int, text: str) -> None:
    engine = make_engine(stack.database_url)
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, staff_id, text, datetime.now(UTC))
    engine.dispose()


def followers_replied(stack: Stack, people: list[str], staff_id: int = 1,
                      first_ticket: int = 1) -> None:
    for n, openid in enumerate(people):
        says(stack, openid, "你好")
        reply_as(stack, staff_id, first_ticket + n, f"回复 {openid}")


def of_kind(stack: Stack, kind: str) -> list[Any]:
    return [r for r in outbox_rows(stack) if r.kind == kind]


def calls_to(stack: Stack, path: str) -> int:
    return sum(1 for c in control(stack, "calls") if c["path"] == path)


def ticket_state(stack: Stack) -> tuple[list[str], list[str]]:
    """Every reply's delivery state and every ticket note, oldest first."""
    engine = make_engine(stack.database_url)
    with engine.connect() as conn:
        states = list(conn.scalars(select(TicketMessage.delivery).where(
            TicketMessage.direction == "out").order_by(TicketMessage.id)))
        notes = list(conn.scalars(select(TicketNote.content).order_by(TicketNote.id)))
    engine.dispose()
    return states, notes


@SQLITE_ONLY  # the platform's part; the sender's retries on PostgreSQL: the 502s below
def test_a_burst_of_503s_delays_replies_and_loses_none(stack: Stack) -> None:
    """A proxy answering 503 to the first ten sends never passed the calls on: every
    reply is retried with backoff and arrives once; nobody is told anything failed.
    (A burst counted in calls, not seconds: a worker slow to start on a busy machine
    could otherwise miss a time window altogether.)"""
    add_admin(stack)
    people = [f"o_busy{n:02d}" for n in range(20)]
    followers_replied(stack, people)
    control(stack, "fail", {"path": SEND, "status": 503, "times": 10})
    stack.start_worker("w1")
    eventually(lambda: all(r.status == "sent" for r in of_kind(stack, "cs_reply")), seconds=60)
    for openid in people:
        assert inbox_texts(stack, openid) == [f"回复 {openid}"]
    rows = outbox_rows(stack)
    assert {r.kind for r in rows} == {"cs_reply"}  # no notice, no note: nothing went wrong
    assert any(r.attempts > 1 for r in rows)  # the burst was met, not missed
    assert ticket_state(stack) == (["sent"] * len(people), [])


def test_a_burst_of_502s_parks_each_reply_once_and_tells_each_writer_once(
        stack: Stack) -> None:
    """A proxy's 502s may come after WeChat got the call: every reply they touch
    waits for a person, saying what happened; each writer hears once, however many
    workers gave the replies up; one command re-drives the burst once checked."""
    add_admin(stack)
    assert stack.wxops("staff", "add", "王芳", "--role", "reviewer",
                       "--openid", "o_wang").returncode == 0
    for member in ("o_admin", "o_wang"):
        says(stack, member, "我的")  # opens the member's window for the notice
    admins, wangs = [f"o_a{n:02d}" for n in range(8)], [f"o_w{n:02d}" for n in range(4)]
    followers_replied(stack, admins, staff_id=1)
    followers_replied(stack, wangs, staff_id=2, first_ticket=len(admins) + 1)
    control(stack, "fail", {"path": SEND, "status": 502, "times": 12})
    for name in ("w1", "w2"):
        stack.start_worker(name, WXOPS_OUTBOX_INCIDENT_SECONDS="2")
    eventually(lambda: len(of_kind(stack, "notify")) == 2
               and all(r.status == "sent" for r in of_kind(stack, "notify")), seconds=60)
    replies = of_kind(stack, "cs_reply")
    assert [(r.status, r.in_doubt, r.attempts) for r in replies] == [("dead", True, 1)] * 12
    for row in replies:
        assert "HTTP 502" in row.last_error and "超时或连接中断" not in row.last_error
        assert "None" not in row.last_error
    listed = {r.payload["staff_id"]: [x["ticket_id"] for x in r.payload["context"]["replies"]]
              for r in of_kind(stack, "notify")}
    assert {k: sorted(v) for k, v in listed.items()} == {1: list(range(1, 9)),
                                                         2: list(range(9, 13))}
    assert [len(inbox_texts(stack, m)) for m in ("o_admin", "o_wang")] == [1, 1]
    assert all(inbox_texts(stack, f) == [] for f in admins + wangs)
    states, notes = ticket_state(stack)
    assert states == ["unknown"] * 12 and len(notes) == 12  # each ticket's history says so
    checked = stack.wxops("outbox", "retry", "--dead-since", "10m")
    assert checked.returncode == 0 and str(replies[-1].id) in checked.stdout
    time.sleep(1)
    assert {r.status for r in of_kind(stack, "cs_reply")} == {"dead"}  # none without --force
    forced = stack.wxops("outbox", "retry", "--dead-since", "10m", "--force")
    assert forced.returncode == 0, forced.stderr
    eventually(lambda: all(r.status == "sent" for r in of_kind(stack, "cs_reply")), seconds=30)
    for openid in admins + wangs:
        assert inbox_texts(stack, openid) == [f"回复 {openid}"]
    assert ticket_state(stack)[0] == ["sent"] * 12


def test_replies_that_may_have_arrived_are_not_resent_without_force(stack: Stack) -> None:
    """A slow answer, a proxy's 502 after WeChat took the call, and a worker killed
    with the call in flight: all three replies arrived, all three are parked in
    doubt, and neither `retry ID` nor `retry --dead-since` sends any again."""
    add_admin(stack)
    people = ["o_slow", "o_proxied", "o_killed"]
    followers_replied(stack, people)
    control(stack, "fail", {"path": SEND, "delay": 6})  # the worker waits 5 s
    control(stack, "fail", {"path": SEND, "status": 502, "handled": True})
    control(stack, "fail", {"path": SEND, "delay": 3})
    doomed = stack.start_worker("doomed")
    eventually(lambda: calls_to(stack, SEND) == 3, seconds=30)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    stack.start_worker("rescuer")
    eventually(lambda: [r.status for r in of_kind(stack, "cs_reply")] == ["dead"] * 3,
               seconds=40)
    eventually(lambda: all(inbox_texts(stack, p) == [f"回复 {p}"] for p in people))
    for row in of_kind(stack, "cs_reply"):
        refused = stack.wxops("outbox", "retry", str(row.id))
        assert refused.returncode == 1 and "--force" in refused.stderr
        shown = stack.wxops("outbox", "show", str(row.id)).stdout
        assert texts.phrase("outbox", "case_in_doubt", kind="cs_reply", row_id=row.id) in shown
    assert stack.wxops("outbox", "retry", "--dead-since", "10m").returncode == 0
    time.sleep(2)  # the rescuer keeps running: nothing is due
    assert [(r.status, r.in_doubt) for r in of_kind(stack, "cs_reply")] == [("dead", True)] * 3
    for openid in people:
        assert inbox_texts(stack, openid) == [f"回复 {openid}"]
    assert calls_to(stack, SEND) == 3


# Each case on one engine: the recovery of a stalled worker's row is the same code
# on both (the lease's SQL on both engines: tests/integration/test_outbox_doubt.py).
@pytest.mark.parametrize(("notice_shown", "database_url"),
                         [(False, "postgresql"), (True, "sqlite")], indirect=["database_url"],
                         ids=["not_yet_told-postgresql", "told-sqlite"])
def test_a_worker_stalled_past_its_lease_takes_its_warning_back(
        stack: Stack, notice_shown: bool) -> None:
    """The worker stalls (SIGSTOP) with a reply in flight; another recovers the row
    as perhaps undelivered and warns; the stalled one wakes to WeChat's acceptance.
    The reply is then sent, its ticket says so, and its writer is not left
    believing otherwise: the notice is cancelled, or corrected if it went."""
    add_admin(stack)
    says(stack, "o_admin", "我的")
    followers_replied(stack, ["o_fan"])
    incident = {"WXOPS_OUTBOX_INCIDENT_SECONDS": "0" if notice_shown else "60"}
    control(stack, "fail", {"path": SEND, "delay": 2})
    stalled = stack.start_worker("stalled", **incident)
    eventually(lambda: calls_to(stack, SEND) == 1)
    stalled.send_signal(signal.SIGSTOP)
    try:
        stack.start_worker("rescuer", **incident)
        eventually(lambda: [r.status for r in of_kind(stack, "cs_reply")] == ["dead"],
                   seconds=30)
        states, notes = ticket_state(stack)
        assert states == ["unknown"] and len(notes) == 1  # the warning, as before
        if notice_shown:
            eventually(lambda: len(inbox_texts(stack, "o_admin")) == 1)
    finally:
        stalled.send_signal(signal.SIGCONT)
    eventually(lambda: [r.status for r in of_kind(stack, "cs_reply")] == ["sent"])
    states, notes = ticket_state(stack)
    assert states == ["sent"] and notes[-1] == texts.phrase("outbox", "reply_sent_note")
    assert inbox_texts(stack, "o_fan") == ["回复 o_fan"]
    if notice_shown:  # the warning went out: a correction follows it
        expected = {"replies_undelivered": "sent", "reply_sent_after_all": "sent"}
        eventually(lambda: notices(stack) == expected)
        assert len(inbox_texts(stack, "o_admin")) == 2
    else:  # never shown, and now never will be
        assert notices(stack) == {"replies_undelivered": "cancelled"}
        time.sleep(1.5)
        assert inbox_texts(stack, "o_admin") == []


def notices(stack: Stack) -> dict[str, str]:
    return {r.payload["template"]: r.status for r in of_kind(stack, "notify")}
