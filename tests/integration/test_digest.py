"""Held staff notices riding on the passive reply: as many as fit in one WeChat text
message, the most important first, only those shown marked sent; on both engines,
in-process and through the emulator."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select, text, update
from werkzeug.serving import make_server

from bot.emulator.push import PASSIVE_TEXT_MAX_BYTES
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.protocol import parse_xml
from bot.web import create_app
from handlers.replies import TEXT_REPLY_BYTES
from storage import outbox
from storage import staff as staff_store
from storage.models import ContentItemRow, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.conftest import AES_KEY, APP_ID, TOKEN, Account
from workflow.roles import Role

NOW = datetime.now(UTC)
TITLE = "社区义诊回顾与下季度志愿者招募安排"
# Oldest first, as they were held: news, then requests to review, then failures.
KINDS = (("item_published", 60), ("item_submitted", 30), ("item_publish_failed", 10))
FIRST = {"item_publish_failed": 0, "item_submitted": 1, "item_published": 2}  # shown first


def context(template: str, item_id: int) -> dict[str, object]:
    extra = {"item_published": {"url": f"https://mp.weixin.qq.com/s/{item_id:022d}"},
             "item_submitted": {"by": "李雷"},
             "item_publish_failed": {"reason": "微信返回 48001：接口未授权，请检查账号权限"}}
    return {"item_id": item_id, "title": TITLE, **extra[template]}


def hold(account: Account, staff_id: int, template: str, item_id: int,
         ctx: dict[str, object] | None = None, item_state: str = "") -> int:
    payload: dict[str, object] = {"staff_id": staff_id, "template": template,
                                  "context": ctx or context(template, item_id)}
    if item_state:  # what a workflow notice records of its item (notices.show)
        payload |= {"item_version": 2, "item_state": item_state}
    with account.engine.begin() as conn:
        row_id = outbox.add(conn, "notify", payload, f"n-{item_id}", NOW)
        assert row_id is not None
        outbox.finish(conn, row_id, "held", NOW, "窗口已关闭", recipient=wx.FOLLOWER)
    return row_id


def member(account: Account) -> int:
    with SqlUnitOfWork(account.engine) as uow:
        staff = staff_store.add_staff(uow.session, "王芳", frozenset({Role.REVIEWER}), NOW,
                                      wx.FOLLOWER)
        uow.commit()
    return staff.id


def hundred_held(account: Account) -> dict[int, str]:
    """100 held notices, as in issue 18 (about 28 KB together): item id → template."""
    staff_id, kinds, item_id = member(account), {}, 0
    for template, count in KINDS:
        for _ in range(count):
            item_id += 1
            hold(account, staff_id, template, item_id)
            kinds[item_id] = template
    return kinds


def content(reply_xml: str) -> str:
    return str(parse_xml(reply_xml.encode())["Content"])


def shown(text: str) -> list[int]:
    """The items whose notices a reply shows, in order."""
    return [int(n) for n in re.findall(r"稿件 (\d+)《", text)]


def status_by_item(account: Account) -> dict[int, str]:
    with account.engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.payload, OutboxMessage.status))
        return {int(p["context"]["item_id"]): s for p, s in rows}


def says(account: Account, text: str, msg_id: int) -> str:
    return content(account.client.push(wx.text(text, msg_id=msg_id), "safe").text)


def test_a_digest_fits_one_message_most_important_first(account: Account) -> None:
    kinds = hundred_held(account)
    text = says(account, "在吗", 1001)
    assert len(text.encode()) <= TEXT_REPLY_BYTES < PASSIVE_TEXT_MAX_BYTES
    first = shown(text)
    expected = sorted(kinds, key=lambda item: (FIRST[kinds[item]], item))
    assert first and first == expected[:len(first)]  # failures, then the oldest first
    assert re.search(rf"还有 {100 - len(first)} 条", text)  # how many still wait


def test_only_the_notices_shown_are_marked_sent_and_each_message_takes_the_next(
        account: Account) -> None:
    kinds = hundred_held(account)
    delivered: list[int] = []
    for msg_id in range(2001, 2101):
        text = says(account, "在吗", msg_id)
        assert len(text.encode()) <= TEXT_REPLY_BYTES
        batch = shown(text)
        if not batch:
            break
        delivered += batch
        status = status_by_item(account)
        assert {i for i, s in status.items() if s == "sent"} == set(delivered)
        assert {i for i, s in status.items() if s == "held"} == set(kinds) - set(delivered)
    assert sorted(delivered) == sorted(kinds)  # every notice shown exactly once
    assert len(delivered) == len(set(delivered))
    assert 1 < msg_id - 2001 < 20  # several messages, each with more than a handful


def test_a_retried_push_gets_the_same_digest_and_takes_nothing_more(account: Account) -> None:
    hundred_held(account)
    message = wx.text("在吗", msg_id=3001)
    first = account.client.push(message, "safe").text
    before = status_by_item(account)
    assert account.client.push(message, "safe").text == first  # WeChat retried: same reply
    assert status_by_item(account) == before


def test_me_shows_the_notices_the_tail_points_to(account: Account) -> None:
    """The tail says 回复「我的」查看: 我的 shows the next notices, with the to-do list."""
    hundred_held(account)
    first = shown(says(account, "在吗", 4001))
    reply = says(account, "我的", 4002)
    then = shown(reply)
    assert then and not set(then) & set(first)
    assert len(reply.encode()) <= TEXT_REPLY_BYTES
    status = status_by_item(account)
    assert all(status[i] == "sent" for i in first + then)


def test_a_notice_too_long_for_any_message_is_cut_not_dropped(account: Account) -> None:
    staff_id = member(account)
    reason = "理由很长。" * 400  # 6,000 bytes on its own
    row_id = hold(account, staff_id, "changes_requested", 7,
                  {"item_id": 7, "title": TITLE, "by": "李雷", "reason": reason})
    hold(account, staff_id, "item_published", 8)
    text = says(account, "在吗", 5001)
    assert len(text.encode()) <= TEXT_REPLY_BYTES
    assert shown(text) == [7] and text.rstrip().splitlines()[-2].endswith("…")
    with account.engine.connect() as conn:
        assert outbox.get(conn, row_id).status == "sent"  # type: ignore[union-attr]
    later = says(account, "在吗", 5002)
    assert shown(later) == [8]  # the other one waited, whole


def test_a_request_already_dealt_with_is_dropped_from_the_digest(account: Account) -> None:
    """Issue 19: held digests carried eight notices, most out of date. One that asks
    its reader to review an item someone else reviewed meanwhile asks nothing now."""
    staff_id = member(account)
    with SqlUnitOfWork(account.engine) as uow:
        author = staff_store.add_staff(uow.session, "小李", frozenset({Role.CREATOR}), NOW)
        items = [ContentItemRow(title=f"稿{n}", author_id=author.id, state="in_review",
                                version=2, created_at=NOW, updated_at=NOW) for n in range(2)]
        uow.session.add_all(items)
        uow.commit()
        dealt_with, waiting = (item.id for item in items)
    for item_id in (dealt_with, waiting):  # oldest first
        hold(account, staff_id, "item_submitted", item_id,
             {**context("item_submitted", item_id), "title": "稿"}, item_state="in_review")
    with account.engine.begin() as conn:  # someone else reviewed it meanwhile
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == dealt_with)
                     .values(state="final_review", version=3))
    text = says(account, "在吗", 6001)
    assert shown(text) == [waiting]
    with account.engine.connect() as conn:
        statuses = sorted(conn.scalars(select(OutboxMessage.status)))
    assert statuses == ["cancelled", "sent"]  # dropped, not left held


def test_two_pushes_at_once_never_show_one_notice_twice(account: Account) -> None:
    """The second push waits for the first's notices, then shows the next ones."""
    if account.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    hundred_held(account)
    answer: dict[str, str] = {}
    second = threading.Thread(target=lambda: answer.update(text=says(account, "在吗", 7002)))
    with account.engine.connect() as first, first.begin():  # a push that has read them
        rows = outbox.held_for(first, wx.FOLLOWER)
        second.start()
        wait_for_a_lock_wait(account)
        outbox.hand_over(first, [row_id for row_id, _ in rows[:5]], NOW)
        taken = {int(payload["context"]["item_id"]) for _, payload in rows[:5]}
    second.join(timeout=10)
    then = shown(answer["text"])
    assert then and not taken & set(then)
    assert all(status_by_item(account)[i] == "sent" for i in [*taken, *then])


def wait_for_a_lock_wait(account: Account, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    with account.engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                " current_database() AND wait_event_type = 'Lock'")):
                return
            conn.rollback()
            time.sleep(0.05)
    raise AssertionError("the second push did not wait for the first one's notices")


# --- through the emulator ------------------------------------------------------------------


@pytest.fixture
def emulator(account: Account) -> Iterator[str]:
    """The wxops endpoint served over a socket, and the emulator pushing to it."""
    server = make_server("127.0.0.1", 0, create_app(account.app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url, stop = start_in_thread(EmulatorConfig(
        app_id=APP_ID, token=TOKEN, encoding_aes_key=AES_KEY,
        push_to=f"http://127.0.0.1:{server.server_port}/wechat"))
    yield url
    stop()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_through_the_emulator_the_digest_is_what_the_person_sees(
        account: Account, emulator: str) -> None:
    hundred_held(account)
    answer = requests.post(f"{emulator}/_emulator/send",
                           json={"openid": wx.FOLLOWER, "text": "在吗"}, timeout=10).json()
    assert answer["status"] == 200 and "notice" not in answer, answer.get("error")
    text = content(answer["reply"])
    assert len(text.encode()) <= PASSIVE_TEXT_MAX_BYTES and shown(text)
