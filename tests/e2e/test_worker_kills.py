"""The worker killed with SIGKILL (the OOM killer, a host lost) in the middle of its
work, then another started, on PostgreSQL: every outbox row ends sent once, or dead
in doubt with a reason a person can act on; nothing reaches WeChat twice; an
article is published once."""

from __future__ import annotations

import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers import texts
from storage.db import make_engine
from storage.models import OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import Stack
from tests.e2e.test_outbound import add_admin, control, eventually, inbox_texts, outbox_rows, says
from tests.e2e.test_outbox_faults import SEND, calls_to, of_kind, reply_as
from tests.e2e.test_publishing import approved, item_row, team
from tests.integration.test_worker_jobs import make_due
from workflow import usecases
from workflow.model import Context
from workflow.states import Event, State

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
DRAFT_ADD, SUBMIT = "/cgi-bin/draft/add", "/cgi-bin/freepublish/submit"


def killed(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL


def settled(rows: list[Any]) -> bool:
    return all(r.status in ("sent", "dead") for r in rows)


def sent_once_or_in_doubt(rows: list[Any]) -> None:
    """Every row sent (on its one attempt), or dead in doubt saying why and what to
    do: ``wxops outbox show`` words each case for a person."""
    for row in rows:
        assert (row.status, row.attempts) == ("sent", 1) or (
            row.status == "dead" and row.in_doubt and row.last_error), row


@ON_POSTGRESQL
def test_a_worker_killed_mid_drain_sends_nothing_twice(stack: Stack) -> None:
    add_admin(stack)
    people = [f"o_drain{n:02d}" for n in range(16)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: says(stack, p, "你好"), people))
    for ticket_id in range(1, len(people) + 1):
        reply_as(stack, 1, ticket_id, f"回复 {ticket_id}")
    control(stack, "fail", {"path": SEND, "delay": 0.4, "times": len(people)})
    doomed = stack.start_worker("doomed")
    eventually(lambda: calls_to(stack, SEND) >= 4)
    killed(doomed)
    assert not settled(of_kind(stack, "cs_reply"))  # killed with work claimed or in flight
    stack.start_worker("rescuer")
    eventually(lambda: settled(of_kind(stack, "cs_reply")), seconds=40)
    rows = of_kind(stack, "cs_reply")
    sent_once_or_in_doubt(rows)
    # At most the calls in flight: one a lane (WXOPS_OUTBOX_PARALLEL, 4 by default).
    assert sum(r.status == "dead" for r in rows) <= 4
    assert sorted(len(inbox_texts(stack, p)) for p in people) == [1] * len(people)
    assert calls_to(stack, SEND) == len(people)


def publish_rows(stack: Stack) -> list[Any]:
    engine = make_engine(stack.database_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(OutboxMessage).where(OutboxMessage.kind.in_(
            ("sync_draft", "submit_publish"))).order_by(OutboxMessage.id)).all())
    engine.dispose()
    return rows


@ON_POSTGRESQL
def test_a_worker_killed_mid_publish_never_publishes_twice(stack: Stack) -> None:
    """A timed publish come due: the worker killed while it adds the draft, the next
    one while its submission is in flight. The article is published once, and what
    cannot be known is put to a person."""
    engine = make_engine(stack.database_url)
    ids = team(engine)
    item_id = approved(engine, ids, "冬季助学计划")
    control(stack, "fail", {"path": DRAFT_ADD, "delay": 3})
    control(stack, "fail", {"path": SUBMIT, "delay": 3})
    now = datetime.now(UTC)  # a timed publish, come due: the worker's scheduler starts it
    usecases.act(SqlUnitOfWork(engine), ids["admin"], item_id, Event.SCHEDULE,
                 Context(now=now, when=now + timedelta(minutes=5)))
    make_due(engine, now)
    first = stack.start_worker("first")
    eventually(lambda: calls_to(stack, DRAFT_ADD) == 1)
    killed(first)
    second = stack.start_worker("second")
    eventually(lambda: calls_to(stack, SUBMIT) == 1, seconds=40)
    killed(second)
    stack.start_worker("third")
    eventually(lambda: settled(publish_rows(stack)), seconds=40)
    rows = publish_rows(stack)
    sent_once_or_in_doubt(rows)
    submit = rows[-1]
    assert (submit.kind, submit.status) == ("submit_publish", "dead")
    shown = stack.wxops("outbox", "show", str(submit.id)).stdout
    assert texts.phrase("outbox", "case_in_doubt", kind="submit_publish", row_id=submit.id) \
        in shown
    # The publication failed as unconfirmed (check 发表记录 first), and the admins told.
    eventually(lambda: item_row(engine, item_id).state == State.PUBLISH_FAILED.value)
    told = [r.payload["context"]["reason"] for r in outbox_rows(stack)
            if r.payload.get("template") == "item_publish_failed"]
    assert told and set(told) == {texts.phrase("publish_submit", "unconfirmed")}
    time.sleep(2)  # the third worker keeps running: nothing submits again
    assert calls_to(stack, SUBMIT) == 1
    assert len(control(stack, "publications")) == 1
    # The draft the first worker was adding when killed stays in the draft box (a
    # draft, never published): the submission added its own.
    assert calls_to(stack, DRAFT_ADD) == 2
    engine.dispose()
