"""The worker's business jobs: reply-SLA reminders and timed publishes; how it stops."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta

from pytest import MonkeyPatch
from sqlalchemy import Engine, select, update

from bot import worker as worker_module
from bot.config import load_settings
from bot.wiring import App
from bot.worker import Jobs
from storage import followers, tickets
from storage import staff as staff_store
from storage.models import ContentItemRow, OutboxMessage, ReplyTicket
from storage.uow import SqlUnitOfWork
from workflow import usecases
from workflow.model import Context
from workflow.roles import Role
from workflow.states import State


def jobs(engine: Engine) -> Jobs:
    settings = load_settings({"WXOPS_REPLY_SLA": "30", "WXOPS_APP_ID": "wx_test",
                              "WXOPS_APP_SECRET": "s", "WXOPS_TOKEN": "workerJobs"})
    return Jobs(App(settings=settings, engine=engine), "test-worker")


def people(engine: Engine) -> dict[str, int]:
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        ids = {n: staff_store.add_staff(uow.session, n, frozenset(r), now, f"o_{n}").id
               for n, r in (("admin", {Role.ADMIN}), ("boss", {Role.ADMIN}),
                            ("r1", {Role.REVIEWER}), ("r2", {Role.REVIEWER}),
                            ("creator", {Role.CREATOR}))}
        uow.commit()
    return ids


def notices(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        payloads = conn.execute(select(OutboxMessage.payload)).scalars().all()
    return sorted((p["staff_id"], p["template"]) for p in payloads)


def test_a_ticket_waiting_past_the_sla_is_reported_once(engine: Engine) -> None:
    ids = people(engine)
    waited = datetime.now(UTC) - timedelta(minutes=45)
    with engine.begin() as conn:
        follower = followers.touch(conn, "o_fan", waited, "message").follower_id
        tickets.record_inbound(conn, follower, "text", "有人吗", None, waited)
    worker = jobs(engine)
    worker.reply_sla()
    worker.reply_sla()
    assert notices(engine) == [(ids["admin"], "ticket_waiting"), (ids["boss"], "ticket_waiting")]
    with engine.begin() as conn:
        conn.execute(update(ReplyTicket).values(assignee_id=ids["r1"]))
        conn.execute(update(ReplyTicket).values(waiting_since=waited - timedelta(minutes=1)))
    worker.reply_sla()
    assert (ids["r1"], "ticket_waiting") in notices(engine)
    worker.leader.release()


def test_a_due_item_is_published_by_the_scheduler(engine: Engine) -> None:
    ids = people(engine)
    now = datetime.now(UTC)
    ctx = Context(now=now)
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], "定时", ctx)
    for actor, step in ((ids["creator"], usecases.start), (ids["creator"], usecases.submit),
                        (ids["r1"], usecases.approve), (ids["r2"], usecases.final_approve)):
        step(SqlUnitOfWork(engine), actor, item.id, ctx)
    usecases.schedule(SqlUnitOfWork(engine), ids["admin"], item.id,
                      Context(now=now, when=now + timedelta(minutes=5)))
    worker = jobs(engine)
    worker.due_publishes()
    with engine.connect() as conn:
        assert conn.scalar(select(ContentItemRow.state)) == State.SCHEDULED.value
    with engine.begin() as conn:
        conn.execute(update(ContentItemRow).values(scheduled_at=now - timedelta(minutes=1)))
    worker.due_publishes()
    with engine.connect() as conn:
        assert conn.scalar(select(ContentItemRow.state)) == State.PUBLISHING.value
        kinds = conn.execute(select(OutboxMessage.kind)).scalars().all()
    assert "submit_publish" in kinds
    worker.leader.release()


def test_one_scheduler_leader_at_a_time(engine: Engine) -> None:
    from bot.leader import LeaderLock

    first, second = LeaderLock(engine, "test-leader"), LeaderLock(engine, "test-leader")
    assert first.try_acquire() and first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_the_replay_guard_is_pruned_by_the_worker_not_the_request(engine: Engine) -> None:
    from storage import inbound

    now = int(datetime.now(UTC).timestamp())
    with engine.begin() as conn:
        assert inbound.nonce_is_fresh(conn, now - 3600, "old", "h")
        assert inbound.nonce_is_fresh(conn, now - 60, "new", "h")
    worker = jobs(engine)  # skew 300 s: pairs signed over 600 s ago can never come back
    worker.prune()
    worker.leader.release()
    with engine.begin() as conn:
        assert inbound.nonce_is_fresh(conn, now - 3600, "old", "other body")  # forgotten
        assert not inbound.nonce_is_fresh(conn, now - 60, "new", "other body")  # kept


def test_a_stop_signal_lets_the_row_in_flight_finish(monkeypatch: MonkeyPatch) -> None:
    """worker --once (and the long-running worker) turn the first SIGTERM into a
    request to stop after the current row; the second is left to the default."""

    class Draining:
        stopping = threading.Event()

        def drain(self) -> int:  # SIGTERM arrives mid-drain: asked to stop, still alive
            os.kill(os.getpid(), signal.SIGTERM)
            return int(self.stopping.wait(5))

    monkeypatch.setattr(worker_module, "make_sender", lambda _app, _name="": Draining())
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        assert worker_module.once(None) == 1  # type: ignore[arg-type]
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
