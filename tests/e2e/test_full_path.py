"""The whole process by chat, as processes: creator submits, reviewer approves, a second
reviewer final-approves, the admin schedules, the worker publishes through the
emulator, PUBLISHJOBFINISH marks it published and the author is told."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update

from storage import staff as staff_store
from storage.db import make_engine
from storage.models import ContentItemRow
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
    item_id = re.findall(r"选题 (\d+)", says(stack, "o_creator", "选题 冬季助学计划"))[0]
    assert "撰写中" in says(stack, "o_creator", f"开始 {item_id}")
    assert "wxops item edit" in says(stack, "o_creator", f"提交 {item_id}")  # no text yet
    creator = staff_cases.find(SqlUnitOfWork(engine), "creator")  # as `wxops item edit` finds
    assert creator is not None
    usecases.edit(SqlUnitOfWork(engine), creator.id, int(item_id),
                  ItemChanges(body="<p>寒假前为山区学生募集冬衣。</p>"),
                  Context(now=datetime.now(UTC)))
    assert "初审中" in says(stack, "o_creator", f"提交 {item_id}")
    assert "终审中" in says(stack, "o_r1", f"通过 {item_id} 很好")
    assert "待排期" in says(stack, "o_r2", f"终审 {item_id}")
    assert "已排期" in says(stack, "o_admin", f"排期 {item_id} 1分钟后")
    # The minute, passed: the scheduler's "not before its time" is tested in
    # test_worker_jobs; here the schedule is checked and brought forward.
    with engine.begin() as conn:
        item = ContentItemRow.id == int(item_id)
        due = conn.scalar(select(ContentItemRow.scheduled_at).where(item))
        assert due is not None
        assert -5 < (due - datetime.now(UTC)).total_seconds() <= 120  # a minute, floored
        conn.execute(update(ContentItemRow).where(item).values(scheduled_at=datetime.now(UTC)))

    def state() -> str:
        with engine.connect() as conn:
            return str(conn.scalar(select(ContentItemRow.state).where(
                ContentItemRow.id == int(item_id))))

    eventually(lambda: state() == State.PUBLISHED.value, seconds=120)

    def author_told() -> bool:
        sent = [m["payload"]["text"]["content"] for m in control(stack, "inbox/o_creator")
                if m["kind"] == "custom"]
        return any("【已发布】" in text and "冬季助学计划" in text for text in sent)

    eventually(author_told, seconds=30)
    engine.dispose()
