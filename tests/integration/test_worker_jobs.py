"""The worker's business jobs: reply-SLA reminders and timed publishes; how it stops."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pytest import MonkeyPatch
from sqlalchemy import Engine, select, update

from bench import scale_ops
from bench.scale_data import fill, local_today
from bot import worker as worker_module
from bot.config import load_settings
from bot.wiring import App
from bot.worker import Jobs
from storage import followers, tickets
from storage import staff as staff_store
from storage.leader import LeaderLock
from storage.models import ContentItemRow, OutboxMessage, ReplyTicket
from storage.uow import SqlUnitOfWork
from tests.integration import test_leader as leader_test
from workflow import usecases
from workflow.capabilities import FULL, UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import Event, State


def jobs(engine: Engine, **account: str) -> Jobs:
    """``account``: more settings (the account's kind: WXOPS_ACCOUNT_KIND=...)."""
    settings = load_settings({"WXOPS_REPLY_SLA": "30", "WXOPS_APP_ID": "wx_test",
                              "WXOPS_APP_SECRET": "s", "WXOPS_TOKEN": "workerJobs",
                              **account})
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


def scheduled_item(engine: Engine, ids: dict[str, int], now: datetime,
                   capabilities: Capabilities = FULL) -> int:
    """An item approved and scheduled for five minutes after ``now`` (on an account
    with ``capabilities``)."""
    ctx = Context(now=now, capabilities=capabilities)
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], "定时", ctx)
    usecases.act(SqlUnitOfWork(engine), ids["creator"], item.id, Event.START, ctx)
    written(SqlUnitOfWork(engine), ids["creator"], item.id, ctx)
    for actor, event in ((ids["creator"], Event.SUBMIT), (ids["r1"], Event.APPROVE),
                         (ids["r2"], Event.FINAL_APPROVE)):
        usecases.act(SqlUnitOfWork(engine), actor, item.id, event, ctx)
    usecases.act(SqlUnitOfWork(engine), ids["admin"], item.id, Event.SCHEDULE,
                 replace(ctx, when=now + timedelta(minutes=5)))
    return item.id


def make_due(engine: Engine, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(ContentItemRow).values(scheduled_at=now - timedelta(minutes=1)))


def state(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(ContentItemRow.state)))


def test_a_due_item_is_published_by_the_scheduler(engine: Engine) -> None:
    now = datetime.now(UTC)
    scheduled_item(engine, people(engine), now)
    worker = jobs(engine)
    worker.due_publishes()
    assert state(engine) == State.SCHEDULED.value
    make_due(engine, now)
    worker.due_publishes()
    assert state(engine) == State.PUBLISHING.value
    with engine.connect() as conn:
        kinds = conn.execute(select(OutboxMessage.kind)).scalars().all()
    assert "submit_publish" in kinds
    worker.leader.release()


def test_a_due_item_on_an_account_without_free_publishing_is_left_to_the_admins(
        engine: Engine) -> None:
    """Unverified subscription account: no draft box, no freepublish. At the time
    the admins are told to publish it by hand; nothing would meet 48001."""
    now = datetime.now(UTC)
    ids = people(engine)
    scheduled_item(engine, ids, now, Capabilities(UNVERIFIED_SUBSCRIPTION))
    make_due(engine, now)
    worker = jobs(engine, WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="false")
    worker.due_publishes()
    assert state(engine) == State.PUBLISHING.value
    with engine.connect() as conn:
        kinds = conn.execute(select(OutboxMessage.kind)).scalars().all()
    assert not {"sync_draft", "submit_publish"} & set(kinds)
    told = [staff for staff, template in notices(engine) if template == "item_publish_by_hand"]
    assert sorted(told) == sorted([ids["admin"], ids["boss"]])
    worker.leader.release()


def test_a_worker_that_lost_the_leadership_runs_no_leader_job(engine: Engine) -> None:
    now = datetime.now(UTC)
    scheduled_item(engine, people(engine), now)
    old, new = jobs(engine), jobs(engine)
    for worker in (old, new):  # on the lock cut() knows how to take away
        worker.leader = LeaderLock(engine, leader_test.NAME, worker.sender.worker)
    try:
        old.due_publishes()  # leads from now on
        leader_test.cut(engine)
        new.due_publishes()  # finds the lock free and leads
        make_due(engine, now)
        old.due_publishes()
        assert state(engine) == State.SCHEDULED.value  # not published by the old leader
        new.due_publishes()
        assert state(engine) == State.PUBLISHING.value
    finally:
        old.leader.release()
        new.leader.release()


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


def written(uow: SqlUnitOfWork, author: int, item_id: int, ctx: Context) -> object:
    """The author puts text into the item, as ``wxops item edit --body-file`` does."""
    return usecases.edit(uow, author, item_id, ItemChanges(body="<p>义诊来了八十位居民。</p>"),
                         ctx)


def test_the_worker_gives_sqlite_the_statistics_to_read_the_queue_by_its_index(
        engine: Engine) -> None:
    """Without statistics SQLite found every unresolved ticket by its status and
    sorted them all for 队列's page; once the worker has gathered them (its
    hourly job does it once a day), it reads the queue's own index in its order
    (storage/upkeep.py)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum gathers its own statistics")
    fill(engine, local_today(), items=200, published=100, tickets=2000, messages=8000,
         followers=1000)
    assert "ix_reply_tickets_queue" not in _queue_plan(engine)
    worker = jobs(engine)
    worker.gather_statistics()
    worker.leader.release()
    assert "USING INDEX ix_reply_tickets_queue" in _queue_plan(engine)  # SCAN [TABLE] …


def _queue_plan(engine: Engine) -> str:
    """How SQLite reads 队列's page: the first step of its plan."""
    with scale_ops.recorded(engine) as seen:
        scale_ops.operations(engine, 0)["队列"]()
    statement, values = next((s, v) for s, v in seen if s.lstrip().startswith("SELECT reply"))
    with engine.connect() as conn:
        steps = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, values).all()
    return str(steps[0][3])
