"""Comments read in: every published item with comments open is mapped to its
platform article (workflow/comments.bridge: from its address, else from the one
msgid of the platform's figures matched to it), and its comments are read when
due (every 2 hours up to 30 days old, daily after); each new comment opens a
reply ticket (storage/comments.py). What ``wxops comments sync`` and the
worker's job share. An item that cannot be mapped is reported (the admins told
once), never guessed; when the daily data pull later matches its article to it,
the next round maps it and reads its comments at once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from bot.gateway import Gateway
from bot.wechat_errors import InvalidRequest
from bot.wiring import App, database, joined_uow
from bot.wiring import comment_records as stored
from workflow import comment_cases
from workflow.comments import (
    MAX_PAGES,
    PAGE,
    ArticleRef,
    SeenComment,
    Thread,
    bridge,
    comment_priority,
    due,
    seen,
)
from workflow.roles import Role

log = logging.getLogger("wxops.comments")


@dataclass
class SyncReport:
    read: list[int] = field(default_factory=list)  # items whose comments were read
    opened: list[int] = field(default_factory=list)  # tickets opened
    unmapped: list[tuple[int, str]] = field(default_factory=list)  # item, title
    failed: list[int] = field(default_factory=list)  # items the platform refused to list


def sync(app: App, gateway: Gateway, now: datetime, force: bool = False) -> SyncReport:
    """Read the comments of the items due (all of them with ``force``);
    CommentsUnavailable, before any call, on an account without comments."""
    comment_cases.require_comments(app.capabilities())
    report = SyncReport()
    with app.engine.connect() as conn:
        threads = stored.open_threads(conn)
    words = app.settings.complaint_word_list
    for thread in threads:
        article = _map(app, thread, report, now)
        if article is None:
            continue
        fresh = article != thread.article  # published again: a new article, read now
        if not (force or fresh) and not due(thread.published_at or now, thread.checked_at, now):
            continue
        try:
            found = read_all(gateway, article)
        except InvalidRequest as exc:  # this article (88001: gone): the others still read
            log.warning("item %s: comments not read: %s", thread.item_id, exc.reason)
            report.failed.append(thread.item_id)
            continue
        report.opened += _record(app, thread.item_id, article, found, words, now)
        report.read.append(thread.item_id)
    return report


def _map(app: App, thread: Thread, report: SyncReport, now: datetime) -> ArticleRef | None:
    """The item's article from its address or its one matched msgid (found again
    each round: an item published again has a new one, the data may have come
    in since), stored when it changed; reported when there is none."""
    article, why = bridge(thread.url, thread.msgids)
    if article is None:
        report.unmapped.append((thread.item_id, thread.title))
    if article == thread.article and (article is not None or thread.unmapped == why):
        return article  # as stored; an unmapped item was reported when first found
    if article is None:
        log.warning("item %s: its article cannot be mapped (%s) from %r and msgids %s",
                    thread.item_id, why, thread.url, sorted(thread.msgids))
    with database.write_lock(app.engine), app.engine.begin() as conn:
        stored.set_article(conn, thread.item_id, article, why)
        if article is None:
            _tell_admins(conn, thread, now)
    return article


def _tell_admins(conn: Connection, thread: Thread, now: datetime) -> None:
    """Once per item: its comments are not read, and where to see them instead."""
    with joined_uow(conn, clock=lambda: now) as uow:
        for admin in uow.staff.with_role(Role.ADMIN):
            uow.outbox.add("notify", {"staff_id": admin.id, "template": "comments_unmapped",
                                      "context": {"item_id": thread.item_id,
                                                  "title": thread.title}},
                           f"comments_unmapped:{thread.item_id}:{admin.id}", now)
        uow.commit()


def read_all(gateway: Gateway, article: ArticleRef) -> list[SeenComment]:
    """Every comment of an article, page by page (count below 50, index as stored)."""
    found: list[SeenComment] = []
    for page in range(MAX_PAGES):
        got = gateway.comment_list(article.msg_data_id, article.index, begin=page * PAGE,
                                   count=PAGE, kind=0)
        entries = got.get("comment") or []
        found += [c for c in map(seen, entries) if c is not None]
        if len(entries) < PAGE:
            break
    return found


def _record(app: App, item_id: int, article: ArticleRef, found: Sequence[SeenComment],
            words: Sequence[str], now: datetime) -> list[int]:
    """A ticket for each comment not seen before; the item marked read."""
    opened: list[int] = []
    with database.write_lock(app.engine), app.engine.begin() as conn:
        stored.hold_thread(conn, item_id)
        for comment in found:
            if stored.known(conn, article, comment.user_comment_id):
                continue
            priority = comment_priority(comment.content, words)
            opened.append(stored.open_ticket(conn, item_id, article, comment.user_comment_id,
                                             comment.openid, comment.content, priority, now))
        stored.set_checked(conn, item_id, now)
    return opened
