"""A follower's comment on a published article, end to end on SQLite: the
article is published through the worker, a follower comments (the emulator's
control endpoint), the worker's comment job opens a ticket, staff answer it
in chat with 回 and the emulator shows the reply under the comment; then 精选
features it and 删评, confirmed, deletes it. And an article published with a
short address, mapped from the data pulled for it. Both engines:
tests/integration/test_comments.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from bot.emulator.clock import CHINA
from storage.db import make_engine
from storage.models import CommentThreadRow, CommentTicketRow, Confirmation
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_outbound import control, eventually, says
from tests.e2e.test_publishing import item_row, published_by_worker
from workflow.comments import ArticleRef, from_url


@SQLITE_ONLY
def test_a_comment_is_answered_featured_and_deleted_from_chat(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    item_id = published_by_worker(stack, engine)
    article = from_url(item_row(engine, item_id).url)
    assert article is not None
    control(stack, "comments", {"msg_data_id": int(article.msg_data_id),
                                "index": article.index, "openid": "o_fan",
                                "content": "请问周末还招志愿者吗？"})
    # The worker reads comments at start, then when each article is due: a
    # worker started now finds this one, never read since it was published.
    first = stack.processes[-1]
    first.terminate()
    first.wait(timeout=30)
    stack.start_worker("w2")

    def ticket() -> int | None:
        with engine.connect() as conn:
            return conn.scalar(select(CommentTicketRow.ticket_id))

    eventually(lambda: ticket() is not None)
    ticket_id = ticket()

    def comment() -> dict[str, Any]:
        found: dict[str, Any] = control(
            stack, f"comments/{article.msg_data_id}/{article.index}")["comments"][0]
        return found

    answer = "招的，周六上午九点社区中心见"
    assert says(stack, "o_admin", f"回 T{ticket_id} {answer}")
    eventually(lambda: (comment().get("reply") or {}).get("content") == answer)
    assert says(stack, "o_admin", f"精选 T{ticket_id}")
    eventually(lambda: comment()["comment_type"] == 1)
    assert says(stack, "o_admin", f"删评 T{ticket_id}")
    with engine.connect() as conn:
        code = conn.scalar(select(Confirmation.code).order_by(Confirmation.id.desc()))
    assert comment()["deleted"] is False
    assert says(stack, "o_admin", f"确认 {code}")
    eventually(lambda: comment()["deleted"] is True)
    engine.dispose()


@SQLITE_ONLY
def test_an_article_published_with_a_short_address_is_mapped_from_the_pulled_data(
        stack: Stack) -> None:
    """The platform hands out a short address: nothing to map the item from, so
    its comments wait (reported) until the data pull matches the day's article to
    it; the next sync maps it from that msgid and opens a ticket for its comment."""
    control(stack, "publishing/urls", {"short": True})
    control(stack, "datacube/timing", {"ready_hour": 0})
    engine = make_engine(stack.database_url)
    item_id = published_by_worker(stack, engine)
    assert from_url(item_row(engine, item_id).url) is None  # /s/<token>
    [pub] = control(stack, "publications")  # the truth, as the official backend shows it
    article = ArticleRef(str(pub["msg_data_id"]), 0)
    control(stack, "comments", {"msg_data_id": pub["msg_data_id"], "index": 0,
                                "openid": "o_fan", "content": "请问周末还招志愿者吗？"})
    unmapped = stack.wxops("comments", "sync")
    assert unmapped.returncode == 0 and f"稿件 {item_id}" in unmapped.stderr, unmapped.stderr
    assert tickets(engine) == []
    published_on = datetime.fromtimestamp(pub_time(stack), CHINA).date()
    control(stack, "clock", {"advance_seconds": 86400})  # the publish day is yesterday
    pulled = stack.wxops("analytics", "backfill", "--since", published_on.isoformat(),
                         "--until", published_on.isoformat(), "--pause", "0")
    assert pulled.returncode == 0, pulled.stderr
    synced = stack.wxops("comments", "sync")
    assert synced.returncode == 0, synced.stderr
    with engine.connect() as conn:
        mapped = conn.execute(select(CommentThreadRow.msg_data_id, CommentThreadRow.article_index)
                              .where(CommentThreadRow.item_id == item_id)).one()
    assert tuple(mapped) == (article.msg_data_id, article.index)
    assert tickets(engine) == [(item_id, article.msg_data_id, 0, 1)]
    engine.dispose()


def pub_time(stack: Stack) -> float:
    """The emulator's now (the publication was a moment ago)."""
    return float(control(stack, "clock", {"advance_seconds": 0})["now"])


def tickets(engine: Engine) -> list[tuple[int, str, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(CommentTicketRow.item_id, CommentTicketRow.msg_data_id,
                                   CommentTicketRow.article_index,
                                   CommentTicketRow.user_comment_id))
        return [(r[0], r[1], r[2], r[3]) for r in rows]
