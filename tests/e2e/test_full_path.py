"""The whole process by chat, as processes: creator submits, reviewer approves, a second
reviewer final-approves, the admin schedules, the worker publishes through the
emulator, PUBLISHJOBFINISH marks it published and the author is told."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from storage import staff as staff_store
from storage.db import make_engine
from storage.models import ContentItemRow, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import Stack
from tests.e2e.test_outbound import control, eventually, says
from workflow import staff_cases, usecases
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import State


def test_from_topic_to_published_by_chat(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    with SqlUnitOfWork(engine) as uow:
        for name, role in (("creator", Role.CREATOR), ("r1", Role.REVIEWER),
                           ("r2", Role.REVIEWER), ("admin", Role.ADMIN)):
            staff_store.add_staff(uow.session, name, frozenset({role}), datetime.now(UTC),
                                  f"o_{name}")
        uow.commit()
    stack.start_worker("w1")
    title = "冬季助学计划"
    says(stack, "o_creator", f"选题 {title}")
    with engine.connect() as conn:
        item_id: int = conn.execute(select(ContentItemRow.id)
                                    .where(ContentItemRow.title == title)).scalar_one()

    def state() -> str:
        with engine.connect() as conn:
            return str(conn.scalar(select(ContentItemRow.state).where(
                ContentItemRow.id == int(item_id))))

    assert state() == State.PLANNED.value
    says(stack, "o_creator", f"开始 {item_id}")
    assert state() == State.DRAFTING.value
    assert "wxops item edit" in says(stack, "o_creator", f"提交 {item_id}")  # no text yet
    assert state() == State.DRAFTING.value
    creator = staff_cases.find(SqlUnitOfWork(engine), "creator")  # as `wxops item edit` finds
    assert creator is not None
    usecases.edit(SqlUnitOfWork(engine), creator.id, int(item_id),
                  ItemChanges(body="<p>寒假前为山区学生募集冬衣。</p>"),
                  Context(now=datetime.now(UTC)))
    for who, command, after in (("o_creator", "提交", State.IN_REVIEW),
                                ("o_r1", "通过", State.FINAL_REVIEW),
                                ("o_r2", "终审", State.APPROVED),
                                ("o_admin", "排期", State.SCHEDULED)):
        text = {"通过": f"通过 {item_id} 很好", "排期": f"排期 {item_id} 1分钟后"}.get(
            command, f"{command} {item_id}")
        says(stack, who, text)
        assert state() == after.value, text
    # The minute, passed: the scheduler's "not before its time" is tested in
    # test_worker_jobs; here the schedule is checked and brought forward.
    with engine.begin() as conn:
        item = ContentItemRow.id == int(item_id)
        due = conn.scalar(select(ContentItemRow.scheduled_at).where(item))
        assert due is not None
        assert -5 < (due - datetime.now(UTC)).total_seconds() <= 120  # a minute, floored
        conn.execute(update(ContentItemRow).where(item).values(scheduled_at=datetime.now(UTC)))

    eventually(lambda: state() == State.PUBLISHED.value, seconds=120)

    def author_told() -> bool:
        """The item_published notice reached the author (it names the article)."""
        sent = [m["payload"]["text"]["content"] for m in control(stack, "inbox/o_creator")
                if m["kind"] == "custom"]
        with engine.connect() as conn:
            notices = [(p["staff_id"], p["template"], status) for p, status in conn.execute(
                select(OutboxMessage.payload, OutboxMessage.status)
                .where(OutboxMessage.kind == "notify"))]
        return (creator.id, "item_published", "sent") in notices and any(
            title in text for text in sent)

    eventually(author_told, seconds=30)
    engine.dispose()
