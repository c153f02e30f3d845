"""Article comments, pure: which platform article an item is (the bridge the
comment interfaces need), when its comments are read next, and what a comment
becomes in the reply queue.

The comment interfaces take ``msg_data_id`` and a 0-based ``index``; free
publishing returns neither. Two things carry them (``bridge``): the article's
address (``mp.weixin.qq.com/s?__biz=…&mid=<msg_data_id>&idx=<1-based>&sn=…``),
read first, and the data interfaces' ``msgid`` (``<msg_data_id>_<1-based
index>``) of the platform's per-article figures matched to the item
(``article_metrics.item_id``, set only where the match is certain:
workflow/analytics.match_items). An address in the short form (``/s/<token>``)
carries neither; such an item is mapped from the data when exactly one article's
figures are matched to it, and otherwise reported as unmapped, never guessed.

A mapping found from the data is not fed back into the data's matching:
storage/analytics.mapped_articles gives only the mappings the item's address
itself carries, so a match made by title and day never confirms itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from html import unescape
from urllib.parse import parse_qs, urlsplit

from workflow.reply_queue import COMPLAINT_PRIORITY

#: comment/list's page: ``count`` must be below 50.
PAGE = 49
#: Pages read at most per article in one round (4,900 comments).
MAX_PAGES = 100
#: Articles up to this age are read every FRESH_EVERY, older ones every OLD_EVERY.
FRESH_AGE = timedelta(days=30)
FRESH_EVERY = timedelta(hours=2)
OLD_EVERY = timedelta(days=1)
ARTICLE_HOST = "mp.weixin.qq.com"


@dataclass(frozen=True)
class ArticleRef:
    """One article of a sent message, as the comment interfaces name it."""

    msg_data_id: str
    index: int  # 0-based: the first article is 0


def _digits(values: Sequence[str] | None) -> int | None:
    if not values or len(values) != 1 or not values[0].isdecimal():
        return None
    return int(values[0])


def from_url(url: str) -> ArticleRef | None:
    """The article an address names (``mid`` and the 1-based ``idx``), or None when
    the address does not say (the short ``/s/<token>`` form, another host)."""
    parts = urlsplit(unescape(url.strip()))
    if parts.hostname != ARTICLE_HOST or parts.path.rstrip("/") != "/s":
        return None
    query = parse_qs(parts.query)
    mid, idx = _digits(query.get("mid")), _digits(query.get("idx"))
    if mid is None or mid == 0 or idx is None or idx < 1:
        return None
    return ArticleRef(str(mid), idx - 1)


def from_msgid(msgid: str) -> ArticleRef | None:
    """The article a data interface's ``msgid`` (``<msg_data_id>_<1-based index>``) names."""
    mid, sep, idx = msgid.strip().partition("_")
    if not sep or not mid.isdecimal() or not idx.isdecimal() or int(idx) < 1 or int(mid) == 0:
        return None
    return ArticleRef(mid, int(idx) - 1)


#: Why an item is not mapped (``comment_threads.unmapped``): its address names no
#: article and no article's figures are matched to it, or several are.
NO_ARTICLE = "url"
SEVERAL_ARTICLES = "msgids"


def bridge(url: str, msgids: Collection[str]) -> tuple[ArticleRef | None, str]:
    """The article an item is, and why not when it cannot be said: its address
    when that names one; else the one article whose figures the data interfaces
    matched to it (``msgids``). None of them, several, or one that does not read
    as ``<msg_data_id>_<index>``: unmapped, never guessed."""
    article = from_url(url)
    if article is not None:
        return article, ""
    distinct = set(msgids)
    if len(distinct) > 1:
        return None, SEVERAL_ARTICLES
    found = from_msgid(next(iter(distinct))) if distinct else None
    return (found, "") if found is not None else (None, NO_ARTICLE)


def read_every(published_at: datetime, now: datetime) -> timedelta:
    """Every 2 hours for an article up to 30 days old, daily after that."""
    return FRESH_EVERY if now - published_at <= FRESH_AGE else OLD_EVERY


def due(published_at: datetime, checked_at: datetime | None, now: datetime) -> bool:
    """Whether an article's comments are read in this round."""
    return checked_at is None or now - checked_at >= read_every(published_at, now)


def comment_priority(content: str, complaint_words: Sequence[str]) -> int:
    """As for a message (``tickets.message_priority``): complaint words raise it."""
    return COMPLAINT_PRIORITY if any(word in content for word in complaint_words) else 0


@dataclass(frozen=True)
class Thread:
    """A published item with its comments open, as the comment sync reads it."""

    item_id: int
    title: str
    url: str
    published_at: datetime | None
    article: ArticleRef | None  # None until mapped
    unmapped: str  # why it could not be mapped, if it could not
    checked_at: datetime | None
    #: The data interfaces' msgids whose figures are matched to the item.
    msgids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CommentTarget:
    """The comment a reply ticket was opened by: its item, article and id."""

    item_id: int
    article: ArticleRef | None  # None: the item is no longer mapped
    user_comment_id: int
    status: str = ""  # "", elected or deleted (CommentStatus)


class CommentStatus(StrEnum):
    SHOWN = ""
    ELECTED = "elected"
    DELETED = "deleted"


@dataclass(frozen=True)
class SeenComment:
    """A comment as comment/list gives it."""

    user_comment_id: int
    openid: str
    content: str
    create_time: int


def seen(entry: dict[str, object]) -> SeenComment | None:
    """A comment/list entry, or None for one without an id or an author."""
    cid, openid = entry.get("user_comment_id"), entry.get("openid")
    if not isinstance(cid, int) or isinstance(cid, bool) or not isinstance(openid, str):
        return None
    created = entry.get("create_time")
    return SeenComment(cid, openid, str(entry.get("content") or ""),
                       created if isinstance(created, int) else 0)
