"""Article comments: the published items whose comments are read, the article
each is on the platform (with the msgids of the platform's figures matched to
it, the second bridge: workflow/comments.bridge), and the reply tickets
comments open (one per comment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from storage.models import (
    ArticleMetric,
    CommentThreadRow,
    CommentTicketRow,
    ContentItemRow,
    Follower,
    ReplyTicket,
    TicketMessage,
)
from workflow.comments import ArticleRef, CommentTarget, Thread
from workflow.states import State
from workflow.tickets import SUMMARY_LENGTH

_THREADS = (select(ContentItemRow.id, ContentItemRow.title, ContentItemRow.url,
                   ContentItemRow.published_at, CommentThreadRow.msg_data_id,
                   CommentThreadRow.article_index, CommentThreadRow.unmapped,
                   CommentThreadRow.checked_at)
            .outerjoin(CommentThreadRow, CommentThreadRow.item_id == ContentItemRow.id))


def _article(msg_data_id: str | None, index: int | None) -> ArticleRef | None:
    return None if msg_data_id is None or index is None else ArticleRef(msg_data_id, index)


def matched_msgids(conn: Connection, item_ids: list[int]) -> dict[int, frozenset[str]]:
    """Item → the msgids of the platform's per-article figures matched to it
    (``article_metrics.item_id``, workflow/analytics.match_items)."""
    if not item_ids:
        return {}
    t = ArticleMetric
    found: dict[int, set[str]] = {}
    for item_id, msgid in conn.execute(select(t.item_id, t.msgid).distinct()
                                       .where(t.item_id.in_(item_ids))):
        found.setdefault(int(item_id), set()).add(str(msgid))
    return {item: frozenset(ids) for item, ids in found.items()}


def _threads(conn: Connection, rows: list[Any]) -> list[Thread]:
    msgids = matched_msgids(conn, [r[0] for r in rows])
    return [Thread(r[0], r[1], r[2] or "", r[3], _article(r[4], r[5]), r[6] or "", r[7],
                   msgids.get(r[0], frozenset())) for r in rows]


def open_threads(conn: Connection) -> list[Thread]:
    """Published items with comments open, oldest first."""
    rows = conn.execute(_THREADS.where(ContentItemRow.state == State.PUBLISHED.value,
                                       ContentItemRow.comments.is_(True))
                        .order_by(ContentItemRow.id)).all()
    return _threads(conn, list(rows))


def thread(conn: Connection, item_id: int) -> Thread | None:
    row = conn.execute(_THREADS.where(ContentItemRow.id == item_id)).first()
    return None if row is None else _threads(conn, [row])[0]


def _upsert(conn: Connection, item_id: int, **values: object) -> None:
    changed = conn.execute(update(CommentThreadRow).where(CommentThreadRow.item_id == item_id)
                           .values(**values))
    if changed.rowcount == 0:
        conn.execute(insert(CommentThreadRow).values(item_id=item_id, **values))


def set_article(conn: Connection, item_id: int, article: ArticleRef | None, why: str) -> None:
    """Store the mapping found (or why none was)."""
    _upsert(conn, item_id, msg_data_id=article.msg_data_id if article else None,
            article_index=article.index if article else None, unmapped="" if article else why)


def set_checked(conn: Connection, item_id: int, now: datetime) -> None:
    _upsert(conn, item_id, checked_at=now)


def set_comments(conn: Connection, item_id: int, open_: bool, now: datetime) -> None:
    conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                 .values(comments=open_, updated_at=now))


def _follower(conn: Connection, openid: str) -> int:
    """The commenter as a follower row (tickets hang on one); someone not yet seen
    is recorded as not known to be subscribed."""
    found = conn.execute(select(Follower.id).where(Follower.openid == openid)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(Follower).values(openid=openid, subscribed=False)
                            .returning(Follower.id)).scalar_one())


def hold_thread(conn: Connection, item_id: int) -> None:
    """Lock the item's thread row for this transaction (PostgreSQL; SQLite writes
    one at a time anyway): two readers of one article's comments at once, the
    worker and ``wxops comments sync``, then record them one after the other, and
    the second finds the first's tickets (``known``) instead of failing on them."""
    conn.execute(select(CommentThreadRow.item_id)
                 .where(CommentThreadRow.item_id == item_id).with_for_update())


def known(conn: Connection, article: ArticleRef, user_comment_id: int) -> bool:
    return conn.execute(select(CommentTicketRow.ticket_id).where(
        CommentTicketRow.msg_data_id == article.msg_data_id,
        CommentTicketRow.article_index == article.index,
        CommentTicketRow.user_comment_id == user_comment_id)).first() is not None


def open_ticket(conn: Connection, item_id: int, article: ArticleRef, user_comment_id: int,
                openid: str, content: str, priority: int, now: datetime) -> int:
    """A new comment's ticket, waiting since now, with the comment as its message."""
    follower_id = _follower(conn, openid)
    ticket_id = int(conn.execute(insert(ReplyTicket).values(
        follower_id=follower_id, status="open", priority=priority,
        summary=content[:SUMMARY_LENGTH], opened_at=now, waiting_since=now, resolution="",
        version=1).returning(ReplyTicket.id)).scalar_one())
    conn.execute(insert(CommentTicketRow).values(
        ticket_id=ticket_id, item_id=item_id, msg_data_id=article.msg_data_id,
        article_index=article.index, user_comment_id=user_comment_id, status=""))
    conn.execute(insert(TicketMessage).values(
        ticket_id=ticket_id, direction="in", kind="comment", content=content, delivery="",
        created_at=now))
    return ticket_id


def comment_ticket(conn: Connection, ticket_id: int) -> CommentTarget | None:
    """The comment a ticket was opened by, or None for a message's ticket."""
    row = conn.execute(
        select(CommentTicketRow.item_id, CommentTicketRow.msg_data_id,
               CommentTicketRow.article_index, CommentTicketRow.user_comment_id,
               CommentTicketRow.status)
        .where(CommentTicketRow.ticket_id == ticket_id)).first()
    if row is None:
        return None
    return CommentTarget(row[0], ArticleRef(row[1], row[2]), int(row[3]), row[4])


def set_status(conn: Connection, ticket_id: int, status: str) -> None:
    conn.execute(update(CommentTicketRow).where(CommentTicketRow.ticket_id == ticket_id)
                 .values(status=status))
