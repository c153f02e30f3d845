"""A follower's comment on a published article, end to end on SQLite: the
article is published through the worker, a follower comments (the emulator's
control endpoint), the worker's comment job opens a ticket, staff answer it
in chat with 回 and the emulator shows the reply under the comment; then 精选
features it and 删评, confirmed, deletes it. Both engines:
tests/integration/test_comments.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.db import make_engine
from storage.models import CommentTicketRow, Confirmation
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_outbound import control, eventually, says
from tests.e2e.test_publishing import item_row, published_by_worker
from workflow.comments import from_url


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
