"""Article comments, on both engines, against the emulator over real sockets:
a published item is mapped to its article from its address, the worker's job
(and ``wxops comments sync``) turns each new comment into one reply ticket,
回 answers under the comment, 精选 features it, 删评 (confirmed) deletes it,
评论 12 关 closes the article's comments. An address without mid/idx is
reported, never guessed, until the platform's figures pulled for the item name
its one article (the msgid bridge); an account without comments is refused
clearly."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, insert, select, text, update

from bot import analytics
from bot.worker import make_gateway
from storage import analytics as figures
from storage import comments
from storage.models import (
    ArticleMetric,
    CommentThreadRow,
    CommentTicketRow,
    ContentItemRow,
    ReplyTicket,
)
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.queueing import fan
from tests.integration.test_draft_box_sync import cli
from tests.integration.test_draft_box_sync import desk as desk  # the fixture
from tests.integration.test_draft_box_sync import small as small  # the fixture
from tests.integration.test_platform_data import beijing
from tests.integration.test_publish_cycle import Desk, published
from workflow import usecases
from workflow.comments import NO_ARTICLE, SEVERAL_ARTICLES, ArticleRef, from_url
from workflow.errors import CommentsUnavailable, NotACommentTicket
from workflow.model import Context
from workflow.reply_queue import COMPLAINT_PRIORITY


def article(desk: Desk, item_id: int) -> ArticleRef:
    found = from_url(desk.item(item_id).url or "")
    assert found is not None, desk.item(item_id).url
    return found


def comment(desk: Desk, where: ArticleRef, openid: str, content: str) -> int:
    desk.control("comments", {"msg_data_id": int(where.msg_data_id), "index": where.index,
                              "openid": openid, "content": content})
    return 0


def thread(desk: Desk, where: ArticleRef) -> dict[str, Any]:
    got = requests.get(f"{desk.wechat}/_emulator/comments/{where.msg_data_id}/{where.index}",
                       timeout=5)
    got.raise_for_status()
    found: dict[str, Any] = got.json()
    return found


def comment_tickets(desk: Desk) -> list[tuple[int, int, int]]:
    """(ticket, comment id, priority), oldest first."""
    with desk.engine.connect() as conn:
        rows = conn.execute(select(CommentTicketRow.ticket_id, CommentTicketRow.user_comment_id,
                                   ReplyTicket.priority)
                            .join(ReplyTicket, ReplyTicket.id == CommentTicketRow.ticket_id)
                            .order_by(CommentTicketRow.ticket_id))
        return [(r[0], r[1], r[2]) for r in rows]


def test_comments_become_tickets_once_and_are_answered_featured_and_deleted(
        desk: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    item_id = published(desk)
    where = article(desk, item_id)
    assert where.index == 0  # the first (only) article: 0-based for the comment interfaces
    comment(desk, where, "o_fan1", "写得真好，请问怎么报名？")
    comment(desk, where, "o_fan2", "活动组织太差了，我要投诉")
    desk.worker.sync_comments()
    found = comment_tickets(desk)
    assert [(cid, priority) for _, cid, priority in found] == [(1, 0), (2, COMPLAINT_PRIORITY)]
    lists = desk.calls("comment/list")
    assert lists and all(c["body"]["index"] == 0 and c["body"]["count"] == 49 for c in lists)
    # Read again (the job when due, the CLI at once): the same comments, no new tickets.
    comment(desk, where, "o_fan1", "补充一下，周末可以吗")
    ran = cli(desk, monkeypatch, capsys)("comments", "sync", "--all")
    assert ran.status == 0, ran.err
    assert [cid for _, cid, _ in comment_tickets(desk)] == [1, 2, 3]
    desk.worker.sync_comments()  # not due yet: nothing read
    assert len(comment_tickets(desk)) == 3
    first, second = found[0][0], found[1][0]
    queue = desk.ask("admin", "队列")
    marked = {r["t"].id: r["t"].comment_item for r in queue.context["rows"]}
    assert marked[first] == marked[second] == item_id  # marked as comments on the item
    assert f"[稿件 {item_id} 留言]" in queue.render()
    # A message from the same person opens its own ticket: a comment's is not joined.
    asked = fan(desk.engine, "o_fan1", "你好，我想咨询", datetime.now(UTC))
    assert asked not in {ticket for ticket, _, _ in comment_tickets(desk)}

    replied = desk.ask("admin", f"回 T{first} 周六上午九点，社区中心见")
    assert replied.template == "ticket_replied"
    desk.worker.send()
    seen = thread(desk, where)["comments"]
    assert seen[0]["reply"]["content"] == "周六上午九点，社区中心见"
    assert not [c for c in desk.calls("message/custom/send")  # a comment reply, no message
                if c["body"].get("touser") == "o_fan1"]

    assert desk.ask("admin", f"精选 T{first}").template == "comment_done"
    code = desk.ask("admin", f"删评 T{second}").context["code"]
    assert thread(desk, where)["comments"][1]["deleted"] is False  # not before 确认
    assert desk.ask("admin", f"确认 {code}").template == "comment_done"
    desk.worker.send()
    seen = thread(desk, where)["comments"]
    assert (seen[0]["comment_type"], seen[1]["deleted"]) == (1, True)


def test_comments_are_closed_on_a_published_article(desk: Desk) -> None:
    item_id = published(desk)
    where = article(desk, item_id)
    assert thread(desk, where)["open"] is True
    answer = desk.ask("admin", f"评论 {item_id} 关")
    assert (answer.template, answer.context["switched"]) == ("comments_set", True)
    desk.worker.send()
    assert thread(desk, where)["open"] is False
    assert desk.item(item_id).comments is False
    desk.worker.sync_comments()  # closed: not read
    assert not desk.calls("comment/list")


def test_an_article_its_address_does_not_name_is_reported_not_guessed(
        desk: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    item_id = published(desk)
    with desk.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(url="https://mp.weixin.qq.com/s/Ao0ZJ3FZ_lJ9xQz1mTq2Sg"))
    wxops = cli(desk, monkeypatch, capsys)
    ran = wxops("comments", "sync")
    assert ran.status == 0 and f"稿件 {item_id}" in ran.err, ran.err
    assert wxops("comments", "sync").status == 0  # reported again, the admins told once
    desk.worker.sync_comments()
    assert not desk.calls("comment/list")
    assert desk.notices("comments_unmapped") == [desk.team.staff_id("admin")]
    with desk.engine.connect() as conn:
        row = conn.execute(select(CommentThreadRow.msg_data_id, CommentThreadRow.unmapped)
                           .where(CommentThreadRow.item_id == item_id)).one()
    assert tuple(row) == (None, "url")


SHORT_URL = "https://mp.weixin.qq.com/s/Ao0ZJ3FZ_lJ9xQz1mTq2Sg"


def shorten(desk: Desk, item_id: int) -> ArticleRef:
    """The item's address as the short form; answers the article it was."""
    where = article(desk, item_id)
    with desk.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(url=SHORT_URL))
    return where


def mapping(desk: Desk, item_id: int) -> tuple[str | None, int | None, str]:
    with desk.engine.connect() as conn:
        row = conn.execute(select(CommentThreadRow.msg_data_id, CommentThreadRow.article_index,
                                  CommentThreadRow.unmapped)
                           .where(CommentThreadRow.item_id == item_id)).one()
    return row[0], row[1], row[2]


def test_an_unmapped_article_is_mapped_from_the_data_pulled_for_it_next_round(
        desk: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    item_id = published(desk)
    where = shorten(desk, item_id)
    comment(desk, where, "o_fan1", "请问周末还招志愿者吗？")
    desk.worker.sync_comments()
    assert mapping(desk, item_id) == (None, None, NO_ARTICLE)  # nothing to go by yet
    assert not desk.calls("comment/list") and comment_tickets(desk) == []
    assert desk.notices("comments_unmapped") == [desk.team.staff_id("admin")]
    app = desk.team.account.app
    pull = analytics.daily(app, make_gateway(app), beijing(desk, 1, 12))
    assert pull.ready and not pull.unmapped  # the day's one article is the day's one item
    ran = cli(desk, monkeypatch, capsys)("comments", "sync")
    assert ran.status == 0, ran.err
    assert mapping(desk, item_id) == (where.msg_data_id, where.index, "")
    assert [cid for _, cid, _ in comment_tickets(desk)] == [1]  # read at once, not when due
    lists = desk.calls("comment/list")
    assert {(str(c["body"]["msg_data_id"]), c["body"]["index"]) for c in lists} == {
        (where.msg_data_id, where.index)}
    with desk.engine.connect() as conn:  # not fed back as if the address had said it
        assert figures.mapped_articles(conn) == {}
    assert desk.notices("comments_unmapped") == [desk.team.staff_id("admin")]  # told once


def test_an_item_two_articles_figures_are_matched_to_is_not_guessed(desk: Desk) -> None:
    item_id = published(desk)
    where = shorten(desk, item_id)
    day = date.today()
    with desk.engine.begin() as conn:
        conn.execute(insert(ArticleMetric), [
            {"item_id": item_id, "msgid": msgid, "day": day, "reads": 1, "read_users": 1,
             "shares": 0, "share_users": 0, "favorites": 0}
            for msgid in (f"{where.msg_data_id}_{where.index + 1}", "2247499999_1")])
    desk.worker.sync_comments()
    assert mapping(desk, item_id) == (None, None, SEVERAL_ARTICLES)
    assert not desk.calls("comment/list")
    assert desk.notices("comments_unmapped") == [desk.team.staff_id("admin")]
    with desk.engine.begin() as conn:  # the other one was not it after all
        conn.execute(update(ArticleMetric).where(ArticleMetric.msgid == "2247499999_1")
                     .values(item_id=None))
    desk.worker.sync_comments()
    assert mapping(desk, item_id) == (where.msg_data_id, where.index, "")
    assert desk.calls("comment/list")


def test_an_account_without_comments_is_refused_clearly(
        small: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ran = cli(small, monkeypatch, capsys, WXOPS_ACCOUNT_KIND="subscription",
              WXOPS_ACCOUNT_VERIFIED="0")("comments", "sync")
    assert ran.code == CommentsUnavailable.code, ran
    small.worker.sync_comments()  # skipped, no call
    assert not small.calls("comment/list")


def test_an_items_flag_is_what_its_draft_asks_and_message_tickets_are_not_comments(
        desk: Desk) -> None:
    item_id = desk.team.approved("春季招募")
    answer = desk.ask("admin", f"评论 {item_id} 关")
    assert (answer.template, answer.context["switched"]) == ("comments_set", False)
    desk.worker.send()  # the draft made for the approved item
    drafted = desk.calls("draft/add")[-1]["body"]["articles"][0]
    assert drafted["need_open_comment"] == 0
    ticket_id = fan(desk.engine, "o_fan9", "在吗", datetime.now(UTC))
    refused = commanding.refusal(desk.engine, desk.team.staff_id("admin"), f"精选 T{ticket_id}",
                                 datetime.now(UTC))
    assert refused.code == NotACommentTicket.code
    assert not desk.calls("comment/markelect")


def test_two_readers_of_one_article_record_each_comment_once(engine: Engine) -> None:
    """The worker and `wxops comments sync` read one article at once: the second to
    record waits for the first (storage.comments.hold_thread) and finds its ticket,
    where it would have inserted the same comment again and failed on it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    team, now = commanding.make_team(engine), datetime.now(UTC)
    item_id = usecases.plan(SqlUnitOfWork(engine), team.wang, "冬衣",
                            Context(now=now, command="test")).id
    article = ArticleRef("2247490098", 0)
    with engine.begin() as conn:
        comments.set_article(conn, item_id, article, "")
    second: dict[str, Any] = {}

    def record_again() -> None:
        try:
            with engine.begin() as conn:
                comments.hold_thread(conn, item_id)
                second["known"] = comments.known(conn, article, 7)
                if not second["known"]:
                    comments.open_ticket(conn, item_id, article, 7, "o_c", "留言", 0, now)
        except Exception as exc:  # what the unlocked race ends in: a unique violation
            second["error"] = exc

    with engine.begin() as first:
        comments.hold_thread(first, item_id)
        comments.open_ticket(first, item_id, article, 7, "o_c", "留言", 0, now)
        racer = threading.Thread(target=record_again)
        racer.start()
        _until_someone_waits(engine)
    racer.join(20)
    assert second == {"known": True}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CommentTicketRow)).scalar() == 1


def _until_someone_waits(engine: Engine, seconds: float = 10.0) -> None:
    """Until a session waits for a lock (the racer, behind the first's transaction)."""
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while not conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
            assert time.monotonic() < deadline, "the second reader never waited"
            time.sleep(0.02)
