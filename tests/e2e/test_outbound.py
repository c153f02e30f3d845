"""The outbound path end to end: emulator, server and workers as real processes."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import select

from bot import wechat_errors
from handlers import texts
from storage.db import make_engine
from storage.models import OutboxMessage
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.integration.queueing import staff_reply


def control(stack: Stack, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{stack.emulator}/_emulator/{path}"
    if body is None:
        return requests.get(url, timeout=10).json()
    return requests.post(url, json=body, timeout=10).json()


def says(stack: Stack, openid: str, text: str) -> str:
    answer = control(stack, "send", {"openid": openid, "text": text})
    assert answer["status"] == 200, answer
    return str(answer["reply"] or "")


def inbox_texts(stack: Stack, openid: str) -> list[str]:
    return [m["payload"]["text"]["content"] for m in control(stack, f"inbox/{openid}")
            if m["kind"] == "custom"]


def eventually(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def outbox_rows(stack: Stack) -> list[Any]:
    engine = make_engine(stack.database_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(OutboxMessage).order_by(OutboxMessage.id)).all())
    engine.dispose()
    return rows


def reply(stack: Stack, ticket_id: int, text: str) -> None:
    """What `wxops queue reply` does (tested as a command above), without a process each."""
    engine = make_engine(stack.database_url)
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, text, datetime.now(UTC))
    engine.dispose()


def answer(to: object) -> str:
    """A staff reply, different for each follower."""
    return f"回复 {to}"


def add_admin(stack: Stack) -> None:
    assert stack.wxops("staff", "add", "admin", "--role", "admin",
                       "--openid", "o_admin").returncode == 0


def test_a_follower_message_becomes_a_ticket_and_the_reply_arrives_once(stack: Stack) -> None:
    add_admin(stack)
    question, answer = "请问周末的活动几点开始？", "周六上午九点。"
    acknowledged = says(stack, "o_fan", question)
    assert "T1" in acknowledged
    assert "T1" in stack.wxops("queue", "list").stdout
    replied = stack.wxops("queue", "reply", "T1", answer, "--as", "admin")
    assert replied.returncode == 0, replied.stderr
    stack.start_worker("w1")
    eventually(lambda: inbox_texts(stack, "o_fan") == [answer])
    time.sleep(2)  # a second pass of the worker must not send it again
    assert inbox_texts(stack, "o_fan") == [answer]
    assert [r.status for r in outbox_rows(stack)] == ["sent"]


# The window's refusal and the backoff are the sender's, covered on both engines by
# tests/integration/test_outbox.py (the 48 hours, the platform closing the window, the
# backoff) and test_gateway.py (45009); here, the platform's part.
@SQLITE_ONLY
def test_a_reply_after_48_hours_is_refused_with_the_reason(stack: Stack) -> None:
    add_admin(stack)
    says(stack, "o_late", "有人吗")
    stack.wxops("queue", "reply", "T1", "抱歉回复晚了", "--as", "admin")  # in time
    # ...but the worker is down for two days; the platform's window closes
    # (wxops, which checked the window when the reply was queued, would now refuse it).
    control(stack, "clock", {"advance_seconds": 49 * 3600})
    stack.start_worker("w1")
    eventually(lambda: outbox_rows(stack)[0].status == "refused")
    reason = outbox_rows(stack)[0].last_error  # WeChat's refusal: out of the 48 hours
    assert reason == wechat_errors.OutsideReplyWindow(45015).reason
    assert inbox_texts(stack, "o_late") == []
    shown = stack.wxops("queue", "show", "T1").stdout  # the ticket's note says so
    assert texts.phrase("outbox", "reply_note", reason=reason, unconfirmed=False) in shown


@SQLITE_ONLY
def test_a_45009_storm_is_retried_with_backoff_and_nothing_is_lost(stack: Stack) -> None:
    add_admin(stack)
    for n in range(3):
        says(stack, f"o_fan{n}", "你好")
        reply(stack, n + 1, answer(n))
    control(stack, "fail", {"path": "/cgi-bin/message/custom/send", "errcode": 45009,
                            "times": 6})
    stack.start_worker("w1")
    eventually(lambda: all(r.status == "sent" for r in outbox_rows(stack)), seconds=60)
    for n in range(3):
        assert inbox_texts(stack, f"o_fan{n}") == [answer(n)]
    assert sum(r.attempts for r in outbox_rows(stack)) == 3 + 6


def test_a_worker_killed_after_the_api_call_does_not_double_send(stack: Stack) -> None:
    add_admin(stack)
    answer = "在的"
    says(stack, "o_fan", "在吗")
    stack.wxops("queue", "reply", "T1", answer, "--as", "admin")
    doomed = stack.start_worker("doomed", WXOPS_TEST_CRASH_AFTER_SEND="cs_reply")
    assert doomed.wait(timeout=30) == 17  # died between the API call and the commit
    assert inbox_texts(stack, "o_fan") == [answer]
    assert outbox_rows(stack)[0].status == "sending"
    stack.start_worker("rescuer")
    # Started and not recorded: it may have arrived, so it is parked, never resent.
    eventually(lambda: outbox_rows(stack)[0].status == "dead", seconds=40)
    row = outbox_rows(stack)[0]  # (the notice that warns its writer comes after it)
    assert row.in_doubt and row.delivered_at is None
    assert inbox_texts(stack, "o_fan") == [answer]


def test_two_workers_never_send_one_row_twice(stack: Stack) -> None:
    add_admin(stack)
    people = [f"o_crowd{n:02d}" for n in range(24)]
    for n, openid in enumerate(people):
        says(stack, openid, "你好")
        reply(stack, n + 1, answer(openid))
    stack.start_worker("a")
    stack.start_worker("b")
    eventually(lambda: all(r.status == "sent" for r in outbox_rows(stack)), seconds=60)
    for openid in people:
        assert inbox_texts(stack, openid) == [answer(openid)]
    sends = [c for c in control(stack, "calls") if c["path"] == "/cgi-bin/message/custom/send"]
    assert len(sends) == len(people)
    assert {r.attempts for r in outbox_rows(stack)} == {1}


def test_a_worker_stopped_with_sigterm_loses_nothing_it_had_claimed(stack: Stack) -> None:
    """systemd stop or `wxops run` stopping: the worker finishes the reply in flight,
    gives the rest of its claimed batch back and exits 0; another worker sends the
    rest, each exactly once, and nothing is parked as dead."""
    add_admin(stack)
    people = [f"o_stop{n:02d}" for n in range(30)]
    for n, openid in enumerate(people):
        says(stack, openid, "你好")
        reply(stack, n + 1, answer(openid))
    control(stack, "fail", {"path": "/cgi-bin/message/custom/send", "delay": 0.4,
                            "times": len(people)})
    first = stack.start_worker("first")
    eventually(lambda: sum(r.status == "sent" for r in outbox_rows(stack)) >= 4)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=20) == 0
    rows = outbox_rows(stack)
    assert {r.status for r in rows} <= {"sent", "pending"}
    sent_before = sum(r.status == "sent" for r in rows)
    assert 4 <= sent_before < len(people)
    stack.start_worker("second")
    eventually(lambda: all(r.status == "sent" for r in outbox_rows(stack)), seconds=60)
    for openid in people:
        assert inbox_texts(stack, openid) == [answer(openid)]
    assert {r.attempts for r in outbox_rows(stack)} == {1}
