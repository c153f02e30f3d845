"""Publish results and job reports pushed by the platform, and admin-edited texts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import xmltodict
from sqlalchemy import select, update

from handlers import texts
from handlers.platform import failure_reason
from storage import staff as staff_store
from storage.models import AccountText, ContentItemRow, InboundMessage, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.conftest import Account
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import Event, State

NOW = datetime.now(UTC)


def publishing_item(account: Account, publish_id: str) -> int:
    """An item that went through review and was submitted for publishing."""
    engine = account.engine
    with SqlUnitOfWork(engine) as uow:
        ids = {n: staff_store.add_staff(uow.session, n, frozenset(r), NOW, f"o_{n}").id
               for n, r in (("creator", {Role.CREATOR}), ("r1", {Role.REVIEWER}),
                            ("r2", {Role.REVIEWER}), ("admin", {Role.ADMIN}))}
        uow.commit()
    ctx = Context(now=NOW)
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], "义诊回顾", ctx)
    usecases.act(SqlUnitOfWork(engine), ids["creator"], item.id, Event.START, ctx)
    written(SqlUnitOfWork(engine), ids["creator"], item.id, ctx)
    for actor, event in ((ids["creator"], Event.SUBMIT), (ids["r1"], Event.APPROVE),
                         (ids["r2"], Event.FINAL_APPROVE), (ids["admin"], Event.PUBLISH)):
        usecases.act(SqlUnitOfWork(engine), actor, item.id, event, ctx)
    with SqlUnitOfWork(engine) as uow:  # what the sender records after freepublish/submit
        uow.session.execute(update(ContentItemRow).values(publish_id=publish_id))
        uow.commit()
    return item.id


def item_row(account: Account, item_id: int) -> ContentItemRow:
    with SqlUnitOfWork(account.engine) as uow:
        row = uow.session.get(ContentItemRow, item_id)
        assert row is not None
        uow.session.expunge(row)
        return row


@pytest.mark.parametrize("name", ["PUBLISHJOBFINISH", "FREEPUBLISHJOBFINISH"])
def test_publish_success_marks_the_item_published(account: Account, name: str) -> None:
    item_id = publishing_item(account, "2247483657")
    urls = ("https://mp.weixin.qq.com/s/first", "https://mp.weixin.qq.com/s/second")
    reply = account.client.push(wx.publish_job_finish(2247483657, urls, name=name), "safe")
    assert reply.text == "success"
    row = item_row(account, item_id)
    assert (row.state, row.url) == (State.PUBLISHED.value, urls[0])
    assert row.article_id == "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4"
    with SqlUnitOfWork(account.engine) as uow:
        templates = [p.get("template") for p in uow.session.scalars(select(OutboxMessage.payload))]
    assert templates.count("item_published") == 2  # the author and the admin


def test_a_repeated_publish_result_changes_nothing(account: Account) -> None:
    item_id = publishing_item(account, "77")
    account.client.push(wx.publish_job_finish(77))
    account.client.push(wx.publish_job_finish(77, create_time=wx.CREATE_TIME + 60))
    with SqlUnitOfWork(account.engine) as uow:
        events = [e.event.value for e in uow.audit.history(item_id)]
    assert events.count("publish_succeeded") == 1


@pytest.mark.parametrize("status", [3, 4])
def test_publish_failure_is_recorded_with_the_reason(account: Account, status: int) -> None:
    item_id = publishing_item(account, "88")
    account.client.push(wx.publish_job_finish(88, status=status, fail_idx=[1]))
    assert item_row(account, item_id).state == State.PUBLISH_FAILED.value
    with SqlUnitOfWork(account.engine) as uow:
        last = uow.audit.latest(item_id)
        told = [p["context"]["reason"] for p in uow.session.scalars(select(OutboxMessage.payload))
                if p.get("template") == "item_publish_failed"]
    assert last is not None and last.comment == failure_reason(status)
    assert told and set(told) == {failure_reason(status)}  # the admins and the author


def test_still_publishing_and_unknown_ids_change_nothing(account: Account) -> None:
    item_id = publishing_item(account, "99")
    assert account.client.push(wx.publish_job_finish(99, status=1)).text == "success"
    assert account.client.push(wx.publish_job_finish(12345)).text == "success"
    assert item_row(account, item_id).state == State.PUBLISHING.value


@pytest.mark.parametrize("message", [wx.mass_send_job_finish(1000001),
                                     wx.template_send_job_finish(2000001)])
def test_job_reports_are_recorded(account: Account, message: str) -> None:
    assert account.client.push(message).text == "success"
    with SqlUnitOfWork(account.engine) as uow:
        event = uow.session.scalar(select(InboundMessage.event))
    assert event in ("MASSSENDJOBFINISH", "TEMPLATESENDJOBFINISH")


def test_job_reports_in_one_second_are_each_recorded_once(account: Account) -> None:
    """Events dedupe on sender + CreateTime + Event; two jobs can finish in one second."""
    reports = [wx.mass_send_job_finish(1000001), wx.mass_send_job_finish(1000002),
               wx.publish_job_finish(2247483647), wx.publish_job_finish(2247483648)]
    for report in reports + reports:  # each one, then each one's retry
        assert account.client.push(report).text == "success"
    with account.engine.connect() as conn:
        events = sorted(str(e) for e in conn.scalars(select(InboundMessage.event)))
    assert events == ["MASSSENDJOBFINISH"] * 2 + ["PUBLISHJOBFINISH"] * 2


def test_an_admin_edited_welcome_is_used(account: Account) -> None:
    with SqlUnitOfWork(account.engine) as uow:
        uow.session.add(AccountText(key="welcome", body="欢迎来到{{ '公益' }}小站", updated_at=NOW))
        uow.commit()
    assert "欢迎来到公益小站" in account.client.push(wx.subscribe()).text


def test_an_edited_ack_that_fails_falls_back_to_the_shipped_one(account: Account) -> None:
    """Saved before the checks, or naming something no longer given: the follower
    still gets an acknowledgement, the shipped one."""
    with SqlUnitOfWork(account.engine) as uow:
        uow.session.add(AccountText(key="ack", body="收到 {{ ticket.id }}", updated_at=NOW))
        uow.commit()
    reply = account.client.push(wx.text("请问地址", msg_id=77)).text
    assert xmltodict.parse(reply)["xml"]["Content"] == texts.render("ack", ticket_id=1)


def test_held_notices_ride_along_with_the_next_passive_reply(account: Account) -> None:
    from storage import outbox

    with SqlUnitOfWork(account.engine) as uow:
        member = staff_store.add_staff(uow.session, "王芳", frozenset({Role.REVIEWER}), NOW,
                                       wx.FOLLOWER)
        uow.commit()
    with account.engine.begin() as conn:
        row_id = outbox.add(conn, "notify", {"staff_id": member.id, "template": "item_submitted",
                                             "context": {"item_id": 3, "title": "义诊",
                                                         "by": "小李"}}, "n-held", NOW)
        outbox.finish(conn, row_id or 0, "held", NOW, "窗口已关闭", recipient=wx.FOLLOWER)
    message = wx.text("在吗", msg_id=901)
    first = account.client.push(message, "safe").text
    assert "1 条未读通知" in first and "稿件 3《义诊》" in first
    assert account.client.push(message, "safe").text == first  # a retry: same reply
    with account.engine.connect() as conn:
        assert outbox.get(conn, row_id or 0).status == "sent"  # type: ignore[union-attr]
    assert "未读通知" not in account.client.push(wx.text("再问", msg_id=902), "safe").text


def test_a_held_notice_says_when_its_item_has_moved_on(account: Account) -> None:
    from storage import outbox

    with SqlUnitOfWork(account.engine) as uow:
        member = staff_store.add_staff(uow.session, "王芳", frozenset({Role.REVIEWER}), NOW,
                                       wx.FOLLOWER)
        author = staff_store.add_staff(uow.session, "小李", frozenset({Role.CREATOR}), NOW)
        items = [ContentItemRow(title=title, author_id=author.id, state="in_review", version=2,
                                created_at=NOW, updated_at=NOW) for title in ("义诊", "助学")]
        uow.session.add_all(items)
        uow.commit()
        ids = [item.id for item in items]
    # News about item 0, a request to review item 1, and one to review item 0
    held = [(ids[0], "item_approved_author"), (ids[1], "item_submitted"),
            (ids[0], "item_submitted")]
    with account.engine.begin() as conn:
        for n, (item_id, template) in enumerate(held):
            payload = {"staff_id": member.id, "template": template, "item_version": 2,
                       "context": {"item_id": item_id, "title": f"稿{item_id}", "by": "小李"}}
            row_id = outbox.add(conn, "notify", payload, f"n-held-{n}", NOW)
            outbox.finish(conn, row_id or 0, "held", NOW, "窗口已关闭", recipient=wx.FOLLOWER)
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == ids[0])
                     .values(state="final_review", version=3))  # someone else reviewed it
    digest = account.client.push(wx.text("在吗", msg_id=903), "safe").text
    # The request still waiting comes first; the news says what its item is now; the
    # request about item 0 asks nothing of anyone any more and is left out.
    first, second = [line for line in digest.splitlines() if line[:2] in ("1.", "2.")]
    assert f"稿件 {ids[1]}《稿{ids[1]}》" in first and "此后已有变化" not in first
    assert "【已通过】" in second and "（此后已有变化，现在：终审中）" in second
    assert "3." not in digest and digest.count("【待审核】") == 1


def written(uow: SqlUnitOfWork, author: int, item_id: int, ctx: Context) -> object:
    """The author puts text into the item, as ``wxops item edit --body-file`` does."""
    return usecases.edit(uow, author, item_id, ItemChanges(body="<p>义诊来了八十位居民。</p>"),
                         ctx)
