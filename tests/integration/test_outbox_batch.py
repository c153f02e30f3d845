"""The sender's batches (issue 25): a batch claimed in one commit and one commit a
row after it, and still every row sent once: two workers draining the same rows
at once, and a worker that dies in the middle of a batch. Both engines, with the
recording fake of the gateway."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from storage import outbox
from storage.models import OutboxMessage
from tests.integration.test_outbox import NOW, FakeGateway, staff_member
from tests.integration.test_outbox_doubt import LEASE, replies, rows, sender


class Died(BaseException):
    """The worker process ending: nothing after it runs, nothing is given back."""


def replies_sent(gateway: FakeGateway) -> list[str]:
    """To whom the replies went, one entry a call (notices to staff left out)."""
    return [args[0] for name, args in gateway.calls
            if name == "send_text" and str(args[0]).startswith("o_fan")]


def test_a_batch_costs_one_commit_a_row(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 6)
    commits: list[int] = []

    def counted(_conn: Any) -> None:
        commits.append(1)

    event.listen(engine, "commit", counted)
    try:
        assert sender(engine, FakeGateway()).run_once(limit=6) == 6
    finally:
        event.remove(engine, "commit", counted)
    # The claim, then each row's in-flight marker with the outcome of the row before,
    # then the last row's outcome: not three commits a row.
    assert len(commits) == 6 + 2
    assert {(r.status, r.attempts) for r in rows(engine, "cs_reply")} == {("sent", 1)}


def test_each_call_follows_the_commit_of_its_marker_and_the_outcome_before(
        engine: Engine) -> None:
    """However the commit's statements travel (queued on PostgreSQL), each call is
    made only once its row's in-flight marker, and the row before's outcome, are
    committed: another connection sees them when the call is made."""
    staff_member(engine)
    replies(engine, 4)
    seen: list[tuple[int, int]] = []

    def look(_calls: int) -> None:
        with engine.connect() as conn:
            states = conn.execute(select(OutboxMessage.status, OutboxMessage.attempt_started_at)
                                  .where(OutboxMessage.kind == "cs_reply")).all()
        seen.append((sum(s == "sending" and a is not None for s, a in states),
                     sum(s == "sent" for s, _ in states)))

    gateway = FakeGateway()
    gateway.on_call = look
    assert sender(engine, gateway).run_once(limit=4) == 4
    assert seen == [(1, 0), (1, 1), (1, 2), (1, 3)]


def test_two_workers_draining_the_same_rows_send_each_once(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 24)
    gateway = FakeGateway()
    gateway.on_call = lambda _calls: time.sleep(0.002)  # the batches overlap
    start = threading.Barrier(2)

    def drain(name: str) -> None:
        start.wait()
        sender(engine, gateway, name).drain(limit=4)

    workers = [threading.Thread(target=drain, args=(name,)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(replies_sent(gateway)) == sorted(f"o_fan{n}" for n in range(24))
    sent = rows(engine, "cs_reply")
    assert {(r.status, r.attempts, r.in_doubt) for r in sent} == {("sent", 1, False)}
    assert {r.claimed_by for r in sent} == {"a", "b"}  # both took part


def test_a_worker_dying_mid_batch_sends_nothing_twice_and_loses_nothing(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """It dies once its third reply went out, before that was recorded: the two
    before stay sent, the third is parked as perhaps delivered (never resent),
    and the three it never started on are sent by the next worker, once each."""
    staff_member(engine)
    replies(engine, 6)
    gateway = FakeGateway()

    def dies_after_the_third(calls: int) -> None:
        if calls == 3:
            raise Died

    gateway.on_call = dies_after_the_third
    monkeypatch.setattr(outbox, "release", lambda *_args: 0)  # a dead worker gives nothing back
    with pytest.raises(Died):
        sender(engine, gateway, "doomed").run_once(limit=6)
    monkeypatch.undo()
    left: list[Any] = rows(engine, "cs_reply")
    assert [r.status for r in left] == ["sent", "sent"] + ["sending"] * 4
    assert [r.attempt_started_at is not None for r in left[2:]] == [True, False, False, False]

    later = NOW + LEASE + timedelta(seconds=1)
    rescuer = sender(engine, gateway, "rescuer", now=later)
    gateway.on_call = lambda _calls: None
    assert rescuer.recover(LEASE) == (3, 1)
    rescuer.drain()
    done = rows(engine, "cs_reply")
    assert [(r.status, r.in_doubt) for r in done] == [
        ("sent", False), ("sent", False), ("dead", True),
        ("sent", False), ("sent", False), ("sent", False)]
    assert replies_sent(gateway) == [f"o_fan{n}" for n in range(6)]  # each once
