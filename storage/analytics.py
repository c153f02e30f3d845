"""The platform's figures as stored: each endpoint's days and how final they are,
follower and per-article figures (the read model is described in
workflow/analytics.py). Storing a day again replaces it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from storage.models import (
    AnalyticsDay,
    ArticleMetric,
    CommentThreadRow,
    ContentItemRow,
    FollowerMetric,
)
from workflow.analytics import DayRecord, DayStatus, Totals
from workflow.comments import ArticleRef, from_url

#: The platform's days are Beijing days.
CHINA = timezone(timedelta(hours=8))
Row = dict[str, Any]


def records(conn: Connection, endpoint: str, first: date, last: date) -> dict[date, DayRecord]:
    t = AnalyticsDay
    rows = conn.execute(select(t.day, t.status, t.through).where(
        t.endpoint == endpoint, t.day >= first, t.day <= last))
    return {r.day: DayRecord(DayStatus(r.status), r.through) for r in rows}


def store_day(conn: Connection, endpoint: str, day: date, record: DayRecord,
              rows: list[Row], now: datetime) -> None:
    t = AnalyticsDay
    conn.execute(delete(t).where(t.endpoint == endpoint, t.day == day))
    conn.execute(insert(t).values(endpoint=endpoint, day=day, status=record.status.value,
                                  through=record.through, rows=rows, fetched_at=now))


def store_followers(conn: Connection, day: date, **figures: int) -> None:
    """new_users / cancel_users / cumulate_users of one day (the others kept)."""
    found = conn.execute(select(FollowerMetric.day).where(FollowerMetric.day == day)).first()
    if found is None:
        conn.execute(insert(FollowerMetric).values(day=day, **{
            "new_users": 0, "cancel_users": 0, "cumulate_users": 0, **figures}))
    else:
        conn.execute(update(FollowerMetric).where(FollowerMetric.day == day).values(**figures))


def day_rows(conn: Connection, endpoint: str, day: date) -> list[Row]:
    """The rows stored of one endpoint's day (none when it was not asked)."""
    t = AnalyticsDay
    found = conn.execute(select(t.rows).where(t.endpoint == endpoint, t.day == day)).scalar()
    return list(found or [])


def store_totals(conn: Connection, msgid: str, published_on: date, details: list[Row],
                 item_id: int | None) -> None:
    """An article's running totals, one row a stat date, in place of all it had
    (the details run from its publish day: an answer from the other interface is
    replaced whole); a day's reads, shares and favourites are the difference
    from the day before."""
    t = ArticleMetric
    conn.execute(delete(t).where(t.msgid == msgid))
    before: Row = {"read_user": 0, "share_user": 0, "add_to_fav_user": 0}
    for detail in sorted(details, key=lambda d: str(d["stat_date"])):
        day = date.fromisoformat(str(detail["stat_date"]))
        reads = int(detail["read_user"]) - int(before["read_user"])
        shares = int(detail["share_user"]) - int(before["share_user"])
        favorites = int(detail.get("add_to_fav_user", 0)) - int(
            before.get("add_to_fav_user", 0))
        before = detail
        conn.execute(insert(t).values(
            item_id=item_id, msgid=msgid, day=day, published_on=published_on,
            age=(day - published_on).days + 1, reads=reads, read_users=reads,
            shares=shares, share_users=shares, favorites=favorites,
            total_reads=int(detail["read_user"]), total_shares=int(detail["share_user"]),
            likes=int(detail.get("like_user", 0)), zaikan=int(detail.get("zaikan_user", 0)),
            comments=int(detail.get("comment_count", 0)),
            read_sources=_sources(detail.get("read_user_source", []))))


def _sources(rows: list[Row]) -> dict[str, int]:
    return {str(r.get("user_source")): int(r.get("read_user", 0)) for r in rows}


def published_items(conn: Connection, first: date, last: date) -> list[tuple[int, date, str]]:
    """wxops items published from ``first`` to ``last`` (Beijing days): id, day, title."""
    c = ContentItemRow
    start = datetime.combine(first, datetime.min.time(), CHINA)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), CHINA)
    rows = conn.execute(select(c.id, c.published_at, c.title).where(
        c.published_at >= start, c.published_at < end))
    return [(r.id, r.published_at.astimezone(CHINA).date(), r.title) for r in rows]


def mapped_articles(conn: Connection) -> dict[tuple[str, int], int]:
    """(msg_data_id, 0-based index) → item, for the items mapped to their article
    from its address (``comment_threads``). A mapping the address does not carry
    (made from the data's msgid: workflow/comments.bridge) is left out: it came
    from this very matching, and must not vouch for it."""
    t, c = CommentThreadRow, ContentItemRow
    rows = conn.execute(select(t.msg_data_id, t.article_index, t.item_id, c.url)
                        .join(c, c.id == t.item_id)
                        .where(t.msg_data_id.is_not(None), t.article_index.is_not(None)))
    return {(str(r.msg_data_id), int(r.article_index)): r.item_id for r in rows
            if from_url(r.url or "") == ArticleRef(str(r.msg_data_id), int(r.article_index))}


def item_totals(conn: Connection, item_id: int) -> list[Totals]:
    t = ArticleMetric
    rows = conn.execute(select(t).where(t.item_id == item_id, t.age.is_not(None))
                        .order_by(t.day))
    return [Totals(r.age, r.total_reads, r.total_shares,
                   r.likes, r.zaikan, r.comments) for r in rows]


def recent_day7(conn: Connection, except_item: int, limit: int) -> list[int]:
    """Day-7 reads of the last ``limit`` articles published (newest first)."""
    t = ArticleMetric
    rows = conn.execute(select(t.total_reads).where(
        t.age == 7,
        (t.item_id != except_item) | t.item_id.is_(None))
        .order_by(t.published_on.desc(), t.msgid).limit(limit))
    return [int(r.total_reads) for r in rows]
