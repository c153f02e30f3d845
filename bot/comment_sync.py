"""Comments read in: every published item with comments open is mapped to its
platform article (workflow/comments.py), and its comments are read when due
(every 2 hours up to 30 days old, daily after); each new comment opens a reply
ticket (storage/comments.py). What ``wxops comments sync`` and the worker's job
share. An item that cannot be mapped is reported, never guessed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.gateway import Gateway
from bot.wiring import App, database
from bot.wiring import comment_records as stored
from workflow import comment_cases
from workflow.comments import (
    MAX_PAGES,
    PAGE,
    ArticleRef,
    SeenComment,
    Thread,
    comment_priority,
    due,
    from_url,
    seen,
)

log = logging.getLogger("wxops.comments")

#: Why an item is not mapped: its address carries no mid/idx (or it has none).
NO_ARTICLE_IN_URL = "url"


@dataclass
class SyncReport:
    read: list[int] = field(default_factory=list)  # items whose comments were read
    opened: list[int] = field(default_factory=list)  # tickets opened
    unmapped: list[tuple[int, str]] = field(default_factory=list)  # item, title


def sync(app: App, gateway: Gateway, now: datetime, force: bool = False) -> SyncReport:
    """Read the comments of the items due (all of them with ``force``);
    CommentsUnavailable, before any call, on an account without comments."""
    comment_cases.require_comments(app.capabilities())
    report = SyncReport()
    with app.engine.connect() as conn:
        threads = stored.open_threads(conn)
    words = app.settings.complaint_word_list
    for thread in threads:
        article = thread.article or _map(app, thread, report)
        if article is None:
            continue
        if not force and not due(thread.published_at or now, thread.checked_at, now):
            continue
        found = read_all(gateway, article)
        report.opened += _record(app, thread.item_id, found, words, now)
        report.read.append(thread.item_id)
    return report


def _map(app: App, thread: Thread, report: SyncReport) -> ArticleRef | None:
    """The item's article from its address, stored; reported when it cannot be."""
    article = from_url(thread.url)
    if article is None:
        report.unmapped.append((thread.item_id, thread.title))
        if thread.unmapped != NO_ARTICLE_IN_URL:  # logged once, then kept
            log.warning("item %s: its article cannot be mapped from %r", thread.item_id,
                        thread.url)
    if article is not None or thread.unmapped != NO_ARTICLE_IN_URL:
        with database.write_lock(app.engine), app.engine.begin() as conn:
            stored.set_article(conn, thread.item_id, article, NO_ARTICLE_IN_URL)
    return article


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


def _record(app: App, item_id: int, found: Sequence[SeenComment], words: Sequence[str],
            now: datetime) -> list[int]:
    """A ticket for each comment not seen before; the item marked read."""
    opened: list[int] = []
    with database.write_lock(app.engine), app.engine.begin() as conn:
        for comment in found:
            if stored.known(conn, item_id, comment.user_comment_id):
                continue
            priority = comment_priority(comment.content, words)
            opened.append(stored.open_ticket(conn, item_id, comment.user_comment_id,
                                             comment.openid, comment.content, priority, now))
        stored.set_checked(conn, item_id, now)
    return opened
