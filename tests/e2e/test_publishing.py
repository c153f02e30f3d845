"""A workflow decision becomes outbox rows; the worker drafts and publishes through the
emulator; the platform's PUBLISHJOBFINISH comes back through the server. Then by chat:
a published article previewed, revised and published again; a submission WeChat
refuses, failing the publish until 重试. What a command did is read from the
item's audit trail, not from the words of the reply."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from handlers import texts
from storage import staff as staff_store
from storage.db import make_engine
from storage.models import Confirmation, ContentItemRow, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_outbound import control, eventually, inbox_texts, says
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import Event, State


def team(engine: Engine) -> dict[str, int]:
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        ids = {n: staff_store.add_staff(uow.session, n, frozenset(r), now, f"o_{n}").id
               for n, r in (("creator", {Role.CREATOR}), ("r1", {Role.REVIEWER}),
                            ("r2", {Role.REVIEWER}), ("admin", {Role.ADMIN}))}
        uow.commit()
    return ids


def approved(engine: Engine, ids: dict[str, int], title: str) -> int:
    ctx = Context(now=datetime.now(UTC))
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], title, ctx)
    usecases.act(SqlUnitOfWork(engine), ids["creator"], item.id, Event.START, ctx)
    usecases.edit(SqlUnitOfWork(engine), ids["creator"], item.id,
                  ItemChanges(body="<p>招募 20 名周末辅导志愿者。</p>"), ctx)
    for actor, event in ((ids["creator"], Event.SUBMIT), (ids["r1"], Event.APPROVE),
                         (ids["r2"], Event.FINAL_APPROVE)):
        usecases.act(SqlUnitOfWork(engine), actor, item.id, event, ctx)
    return item.id


def item_row(engine: Engine, item_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(ContentItemRow).where(ContentItemRow.id == item_id)).one()


def outbox_by_kind(engine: Engine, kind: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == kind)
                                 .order_by(OutboxMessage.id)))


def publish_by_chat(stack: Stack, engine: Engine, item_id: int) -> tuple[State, State]:
    """发布 and 确认, once the worker has synced the draft (a confirmation code is
    void once the item changes, and storing the draft's id is a change): the move
    the confirmation made."""
    eventually(lambda: set(outbox_by_kind(engine, "sync_draft")) == {"sent"})
    says(stack, "o_admin", f"发布 {item_id}")
    with engine.connect() as conn:
        code = conn.scalar(select(Confirmation.code).order_by(Confirmation.id.desc()))
    return moved(stack, engine, "o_admin", f"确认 {code}", item_id)


def moved(stack: Stack, engine: Engine, openid: str, text: str,
          item_id: int) -> tuple[State, State]:
    """``openid`` says ``text``, which answers something: the move it made, as the
    item's audit trail has it (the newest row written by the command)."""
    assert says(stack, openid, text)
    with SqlUnitOfWork(engine) as uow:
        made = [e for e in uow.audit.history(item_id) if e.actor_name == openid[2:]]
    return made[-1].from_state, made[-1].to_state


def calls(stack: Stack, path: str) -> list[dict[str, Any]]:
    return [c for c in control(stack, "calls") if c["path"] == f"/cgi-bin/{path}"]


def published_by_worker(stack: Stack, engine: Engine) -> int:
    """An approved item published (a worker started to do it): its id."""
    ids = team(engine)
    item_id = approved(engine, ids, "冬季助学计划")
    usecases.act(SqlUnitOfWork(engine), ids["admin"], item_id, Event.PUBLISH,
                 Context(now=datetime.now(UTC)))
    stack.start_worker("w1")
    eventually(lambda: item_row(engine, item_id).state == State.PUBLISHED.value, seconds=40)
    return item_id


def test_an_approved_item_is_drafted_published_and_confirmed(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    item_id = published_by_worker(stack, engine)
    row = item_row(engine, item_id)
    with engine.connect() as conn:
        kinds = {k: s for k, s in conn.execute(select(OutboxMessage.kind, OutboxMessage.status))}
    engine.dispose()
    assert row.url and row.url.startswith("http") and row.article_id and row.publish_id
    assert kinds["sync_draft"] == "sent" and kinds["submit_publish"] == "sent"
    assert len(calls(stack, "freepublish/submit")) == 1
    drafted = calls(stack, "draft/add")
    assert len(drafted) == 1 and drafted[0]["body"]["articles"][0]["title"] == "冬季助学计划"


# On PostgreSQL: tests/integration/test_publish_cycle.py's
# test_a_revised_article_is_published_again_as_a_new_article and
# test_a_published_item_can_be_previewed (the real worker against the emulator).
@SQLITE_ONLY
def test_a_published_article_is_previewed_revised_and_published_again(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    ids = team(engine)
    item_id = approved(engine, ids, "冬季助学计划")
    stack.start_worker("w1")
    assert publish_by_chat(stack, engine, item_id) == (State.APPROVED, State.PUBLISHING)
    eventually(lambda: item_row(engine, item_id).state == State.PUBLISHED.value, seconds=40)
    first = item_row(engine, item_id)
    assert says(stack, "o_admin", f"预览 {item_id}")
    eventually(lambda: any(m["kind"] == "preview" for m in control(stack, "inbox/o_admin")))
    assert moved(stack, engine, "o_admin", f"复查 {item_id} 更新 数据已过时", item_id) == (
        State.PUBLISHED, State.NEEDS_UPDATE)
    assert moved(stack, engine, "o_creator", f"修订 {item_id}", item_id) == (
        State.NEEDS_UPDATE, State.DRAFTING)
    usecases.edit(SqlUnitOfWork(engine), ids["creator"], item_id,
                  ItemChanges(body="<p>名额增加到 30 人。</p>"), Context(now=datetime.now(UTC)))
    assert moved(stack, engine, "o_creator", f"提交 {item_id}", item_id) == (
        State.DRAFTING, State.IN_REVIEW)
    assert moved(stack, engine, "o_r1", f"通过 {item_id}", item_id) == (
        State.IN_REVIEW, State.FINAL_REVIEW)
    assert moved(stack, engine, "o_r2", f"终审 {item_id}", item_id) == (
        State.FINAL_REVIEW, State.APPROVED)
    assert publish_by_chat(stack, engine, item_id) == (State.APPROVED, State.PUBLISHING)

    def published_again() -> bool:
        row = item_row(engine, item_id)
        return bool(row.state == State.PUBLISHED.value and row.article_id != first.article_id)

    eventually(published_again, seconds=40)
    with engine.connect() as conn:
        dead = conn.scalars(select(OutboxMessage.kind).where(OutboxMessage.status == "dead"))
        assert list(dead) == []
    engine.dispose()
    first_draft, second_draft = [c["body"]["media_id"] for c in calls(stack, "freepublish/submit")]
    assert first_draft != second_draft  # the preview's draft, brought up to date
    last_update = calls(stack, "draft/update")[-1]["body"]
    assert last_update["media_id"] == second_draft
    assert "30 人" in last_update["articles"]["content"]


# On PostgreSQL: tests/integration/test_publish_cycle.py's
# test_a_refused_submission_fails_the_publish_and_retry_publishes.
@SQLITE_ONLY
def test_a_refused_submission_fails_the_publish_until_retried(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    ids = team(engine)
    item_id = approved(engine, ids, "冬季助学计划")
    stack.start_worker("w1")
    control(stack, "fail", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001})
    assert publish_by_chat(stack, engine, item_id) == (State.APPROVED, State.PUBLISHING)
    eventually(lambda: item_row(engine, item_id).state == State.PUBLISH_FAILED.value)
    with engine.connect() as conn:
        told = [p["context"] for p in conn.scalars(select(OutboxMessage.payload))
                if p.get("template") == "item_publish_failed" and p["staff_id"] == ids["admin"]]
    assert len(told) == 1 and "48001" in told[0]["reason"]
    notice = texts.render("notify/item_publish_failed", **told[0])
    eventually(lambda: notice in inbox_texts(stack, "o_admin"))
    # The 48001 taught wxops the account lacks free publishing; once it has it
    # again, an admin says so, and 重试 goes through the platform once more.
    listed = stack.wxops("capabilities").stdout.splitlines()
    assert [line for line in listed if line.startswith("✗")] == [
        line for line in listed if line.startswith("✗ free_publish")]
    assert any(line.startswith("✗ free_publish") for line in listed)
    assert stack.wxops("capabilities", "reset", "free_publish").returncode == 0
    assert moved(stack, engine, "o_admin", f"重试 {item_id}", item_id) == (
        State.PUBLISH_FAILED, State.PUBLISHING)
    eventually(lambda: item_row(engine, item_id).state == State.PUBLISHED.value, seconds=40)
    assert outbox_by_kind(engine, "submit_publish") == ["dead", "sent"]
    engine.dispose()
    assert len(calls(stack, "freepublish/submit")) == 2
