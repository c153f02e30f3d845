"""A year of an account's figures, made up from a fixed seed: what the report
benchmark (bench/report.py) and the report's browser tests (tests/browser)
read. ``seed(engine, last)`` fills a migrated database (SQLite or PostgreSQL)
with bulk inserts, the rows shaped as the platform's pull stores them
(storage/analytics.py):

- ``articles`` published content items spread over the ``days`` up to
  ``last``, at the hours and weekdays an account posts (Beijing time), each
  with a topic and a theme; some days carry two;
- for each, up to 30 rows of ``article_metrics`` (days 1–30 after publishing,
  none after ``last``): running totals (reads, shares, likes, 在看, comments,
  and readers by source, "99999999" being all of them) and the day's reads and
  shares as the difference from the day before. How well an article does
  depends on its weekday, hour and topic, so the report's charts have a shape;
- ``follower_metrics`` for every day: new, lost and the running total, more
  new followers on a day with a post;
- ``tickets`` reply tickets from followers opened at every hour (more by day)
  with their first response (slower at night), a few still open; and
  ``complaints`` comment tickets of complaint priority on a few articles.

The same arguments give the same rows, on either engine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from storage.models import (
    ArticleMetric,
    CommentTicketRow,
    ContentItemRow,
    Follower,
    FollowerMetric,
    ReplyTicket,
    Staff,
)
from workflow.reply_queue import COMPLAINT_PRIORITY

SEED = 23
CHINA = ZoneInfo("Asia/Shanghai")
DETAIL_DAYS = 30
TOPICS = ("助学", "环保", "活动", "志愿者", "财务公开", "故事")
TOPIC_PULL = {"助学": 1.3, "环保": 1.0, "活动": 0.8, "志愿者": 0.9, "财务公开": 0.5, "故事": 1.6}
THEMES = ("plain", "warm", "brand")  # layout.themes.THEMES
SUBJECTS = ("山区课堂", "一封来信", "月度账目", "河岸清扫", "新学期", "她的故事")
#: Publishing hours (local) and how often each is used.
HOURS = {7: 2, 8: 4, 12: 3, 18: 3, 20: 5, 21: 4, 22: 1}
#: Readers by source: 0 会话, 1 好友, 2 朋友圈, 4 历史消息页, 5 其他, 6 看一看, 7 搜一搜.
SOURCES = {"0": 0.46, "1": 0.12, "2": 0.22, "4": 0.06, "5": 0.03, "6": 0.05, "7": 0.06}
#: How busy each local hour is for incoming messages.
BUSY = [1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 7, 8, 9, 9, 8, 7, 7, 8, 8, 6, 4, 2]
FOLLOWERS_AT_START = 20_000


@dataclass(frozen=True)
class Seeded:
    first: date  # the first day with figures
    last: date
    items: list[int]  # the published items' ids, oldest first
    metrics: int  # article_metrics rows
    tickets: int


def seed(engine: Engine, last: date, articles: int = 300, days: int = 365,
         tickets: int = 3000, complaints: int = 40, seed_value: int = SEED) -> Seeded:
    """Fill the database behind ``engine`` (migrated, empty of these rows) with
    ``days`` days of figures ending on ``last`` (a local date)."""
    rng = random.Random(seed_value)
    first = last - timedelta(days=days - 1)
    made = datetime.combine(first, time(), CHINA).astimezone(UTC) - timedelta(days=30)
    published = _publish_times(rng, first, days, articles)
    with engine.begin() as conn:
        author = conn.execute(insert(Staff).values(
            name="王芳", roles="creator", active=True, created_at=made)
            .returning(Staff.id)).scalar_one()
        rows = [_item(n, at, author, rng) for n, at in enumerate(published)]
        ids = list(conn.execute(insert(ContentItemRow).returning(
            ContentItemRow.id, sort_by_parameter_order=True), rows).scalars())
        metrics = [m for item_id, at, row in zip(ids, published, rows, strict=True)
                   for m in _metrics(item_id, at, row["topic"], last, rng)]
        conn.execute(insert(ArticleMetric), metrics)
        conn.execute(insert(FollowerMetric), _followers(first, days, published, rng))
        people = [{"openid": f"o_bench_{n:05d}", "subscribed": True,
                   "subscribed_at": made} for n in range(max(1, tickets // 6))]
        follower_ids = list(conn.execute(insert(Follower).returning(
            Follower.id, sort_by_parameter_order=True), people).scalars())
        opened = _tickets(first, last, tickets, follower_ids, rng)
        complaint_rows = _complaints(first, last, complaints, follower_ids, ids, published, rng)
        ticket_ids = list(conn.execute(insert(ReplyTicket).returning(
            ReplyTicket.id, sort_by_parameter_order=True),
            opened + [t for t, _ in complaint_rows]).scalars())
        conn.execute(insert(CommentTicketRow), [
            {**c, "ticket_id": tid, "user_comment_id": tid}
            for tid, (_, c) in zip(ticket_ids[len(opened):], complaint_rows, strict=True)])
    return Seeded(first, last, ids, len(metrics), len(ticket_ids))


def _publish_times(rng: random.Random, first: date, days: int, count: int) -> list[datetime]:
    hours, weights = list(HOURS), list(HOURS.values())
    picked = sorted(rng.randrange(days) for _ in range(count))
    at = [datetime.combine(first + timedelta(days=d),
                           time(rng.choices(hours, weights)[0], rng.choice((0, 0, 15, 30))),
                           CHINA).astimezone(UTC) for d in picked]
    return sorted(at)


def _item(n: int, at: datetime, author: int, rng: random.Random) -> dict[str, Any]:
    topic = rng.choice(TOPICS)
    return {"title": f"{topic}第{n + 1}期：{rng.choice(SUBJECTS)}",
            "topic": topic, "theme": rng.choice(THEMES), "body": "<p>正文</p>",
            "digest": "", "author_id": author, "state": "published", "published_at": at,
            "article_id": f"bench_article_{n}", "url": f"https://mp.weixin.qq.com/s/bench{n}",
            "created_at": at - timedelta(days=2), "updated_at": at}


def _pull(at: datetime, topic: str, rng: random.Random) -> float:
    """How many readers an article reaches by day 30: its weekday, hour and topic."""
    local = at.astimezone(CHINA)
    weekday = (1.1, 1.0, 1.05, 1.0, 0.9, 0.7, 0.8)[local.weekday()]
    hour = 1.25 if local.hour in (20, 21) else 0.8 if local.hour in (7, 22) else 1.0
    return 2500 * weekday * hour * TOPIC_PULL[topic] * rng.lognormvariate(0, 0.45)


def _metrics(item_id: int, at: datetime, topic: str, last: date,
             rng: random.Random) -> list[dict[str, Any]]:
    """Up to 30 days of an article's running totals, as storage.analytics.store_totals
    keeps them."""
    published_on = at.astimezone(CHINA).date()
    reach = _pull(at, topic, rng)
    share_rate = rng.uniform(0.03, 0.09)
    mix = {s: w * rng.uniform(0.7, 1.3) for s, w in SOURCES.items()}
    mix_sum = sum(mix.values())
    rows: list[dict[str, Any]] = []
    before_reads = before_shares = 0
    for age in range(1, DETAIL_DAYS + 1):
        day = published_on + timedelta(days=age - 1)
        if day > last:
            break
        reads = int(reach * (1 - math.exp(-age / 2.2)))
        shares = int(reads * share_rate)
        sources = {s: int(reads * w / mix_sum) for s, w in mix.items()}
        sources["99999999"] = reads
        rows.append({
            "item_id": item_id, "msgid": f"{2247000000 + item_id}_1", "day": day,
            "published_on": published_on, "age": age,
            "reads": reads - before_reads, "read_users": reads - before_reads,
            "shares": shares - before_shares, "share_users": shares - before_shares,
            "favorites": 0, "total_reads": reads, "total_shares": shares,
            "likes": reads // 40, "zaikan": reads // 90, "comments": reads // 300,
            "read_sources": sources})
        before_reads, before_shares = reads, shares
    return rows


def _followers(first: date, days: int, published: list[datetime],
               rng: random.Random) -> list[dict[str, Any]]:
    posted = {at.astimezone(CHINA).date() for at in published}
    total = FOLLOWERS_AT_START
    rows = []
    for n in range(days):
        day = first + timedelta(days=n)
        new = int(rng.gauss(70 if day in posted else 35, 8))
        lost = max(0, int(rng.gauss(14, 5)))
        total += max(0, new) - lost
        rows.append({"day": day, "new_users": max(0, new), "cancel_users": lost,
                     "cumulate_users": total})
    return rows


def _opened_at(day: date, rng: random.Random) -> datetime:
    hour = rng.choices(range(24), BUSY)[0]
    return datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)),
                            CHINA).astimezone(UTC)


def _answer_minutes(opened: datetime, rng: random.Random) -> float:
    """Minutes to a first answer: minutes by day, hours at night."""
    hour = opened.astimezone(CHINA).hour
    typical = 12 if 9 <= hour < 18 else 45 if 18 <= hour < 23 else 420
    return max(0.5, rng.lognormvariate(math.log(typical), 0.8))


def _tickets(first: date, last: date, count: int, followers: list[int],
             rng: random.Random) -> list[dict[str, Any]]:
    span = (last - first).days + 1
    rows = []
    for _ in range(count):
        opened = _opened_at(first + timedelta(days=rng.randrange(span)), rng)
        answered = opened + timedelta(minutes=_answer_minutes(opened, rng))
        still_open = rng.random() < 0.02
        rows.append({"follower_id": rng.choice(followers), "priority": 0,
                     "status": "open" if still_open else "resolved",
                     "summary": "想了解捐款发票", "opened_at": opened,
                     "waiting_since": opened if still_open else None,
                     "first_response_at": None if still_open else answered,
                     "resolved_at": None if still_open else answered + timedelta(minutes=5),
                     "resolution": "" if still_open else "answered"})
    return rows


def _complaints(first: date, last: date, count: int, followers: list[int], items: list[int],
                published: list[datetime], rng: random.Random
                ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Comment tickets raised as complaints, on a handful of articles."""
    targets = rng.sample(range(len(items)), min(len(items), 4))
    rows = []
    for n in range(count):
        index = targets[n % len(targets)]
        day = min(last, published[index].astimezone(CHINA).date() + timedelta(days=1))
        opened = _opened_at(max(first, day), rng)
        answered = opened + timedelta(minutes=_answer_minutes(opened, rng))
        ticket = {"follower_id": rng.choice(followers), "priority": COMPLAINT_PRIORITY,
                  "status": "resolved", "summary": "留言：内容有误", "opened_at": opened,
                  "waiting_since": None, "first_response_at": answered,
                  "resolved_at": answered, "resolution": "answered"}
        comment = {"item_id": items[index], "msg_data_id": str(2247000000 + items[index]),
                   "article_index": 0, "status": ""}
        rows.append((ticket, comment))
    return rows
