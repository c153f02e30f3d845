"""The platform failing for a while, with the server, worker and emulator as
processes: WeChat's "system busy" (-1), its daily quota reached (45009), a proxy's
503, a token fetch that times out; then a 500 and a call that outlasts the
gateway's 5 s. What is safe to ask again is retried with backoff and sent once;
what may have reached WeChat is parked for a person, saying so, and sent once more
only when the person says so (tests/e2e/test_outbox_faults.py has the 502 bursts,
the stalled worker and the SIGTERM drain)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot import wechat_errors
from storage.db import make_engine
from storage.models import OutboxMessage
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_outbound import add_admin, control, eventually, inbox_texts, says
from tests.e2e.test_outbox_faults import SEND, calls_to, of_kind, reply_as

TOKEN_PATH = "/cgi-bin/stable_token"


def followers_with_replies(stack: Stack, people: list[str], first_ticket: int) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: says(stack, p, "你好"), people))
    for ticket_id in range(first_ticket, first_ticket + len(people)):
        reply_as(stack, 1, ticket_id, f"回复 {ticket_id}")


def inboxes(stack: Stack, people: list[str]) -> list[int]:
    return [len(inbox_texts(stack, p)) for p in people]


def dead_rows(stack: Stack) -> int:
    engine = make_engine(stack.database_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status == "dead"))
    engine.dispose()
    return int(count or 0)


@SQLITE_ONLY  # the platform's part; the sender on PostgreSQL: test_worker_kills.py
def test_the_platform_failing_for_a_while_delays_replies_and_loses_none(stack: Stack) -> None:
    add_admin(stack)
    busy = [f"o_busy{n}" for n in range(8)]
    followers_with_replies(stack, busy, first_ticket=1)
    # For a while: busy, then out of quota, then a proxy turning calls away; and the
    # first token fetch outlasts the gateway's timeout.
    for errcode in (-1, 45009):
        control(stack, "fail", {"path": SEND, "errcode": errcode, "times": 3})
    control(stack, "fail", {"path": SEND, "status": 503, "times": 3})
    control(stack, "fail", {"path": TOKEN_PATH, "delay": 6})
    stack.start_worker("w1")
    eventually(lambda: [r.status for r in of_kind(stack, "cs_reply")] == ["sent"] * 8,
               seconds=60)
    rows = of_kind(stack, "cs_reply")
    assert sum(r.attempts for r in rows) == 8 + 9  # each failure met once, then sent
    assert inboxes(stack, busy) == [1] * 8
    assert dead_rows(stack) == 0 and of_kind(stack, "notify") == []  # nobody bothered
    assert calls_to(stack, TOKEN_PATH) >= 2  # the token fetch that timed out, asked again

    # Then a 500 WeChat never saw, and an answer later than the gateway waits for
    # (WeChat did send that one): both may have arrived, as far as wxops can know.
    unsure = ["o_unsure0", "o_unsure1"]
    control(stack, "fail", {"path": SEND, "status": 500})
    control(stack, "fail", {"path": SEND, "delay": 6})
    followers_with_replies(stack, unsure, first_ticket=9)
    eventually(lambda: [r.status for r in of_kind(stack, "cs_reply")[8:]] == ["dead"] * 2,
               seconds=30)
    parked = of_kind(stack, "cs_reply")[8:]
    assert all(r.in_doubt and r.attempts == 1 for r in parked)
    reasons = [r.last_error for r in parked]
    assert any("HTTP 500" in reason for reason in reasons)
    assert any(wechat_errors.OutcomeUnknown(None, "", cause="timeout").reason in reason
               for reason in reasons)
    eventually(lambda: sorted(inboxes(stack, unsure)) == [0, 1])  # the timed-out one did
    time.sleep(1)
    assert sorted(inboxes(stack, unsure)) == [0, 1]
    # A person checks: the 500's reply did not arrive; only that one is sent again.
    lost = next(r for r in parked if "HTTP 500" in r.last_error)
    forced = stack.wxops("outbox", "retry", str(lost.id), "--force")
    assert forced.returncode == 0, forced.stderr
    eventually(lambda: sorted(inboxes(stack, unsure)) == [1, 1])
    assert [r.status for r in of_kind(stack, "cs_reply")].count("dead") == 1
    assert inboxes(stack, busy) == [1] * 8
