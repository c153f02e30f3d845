"""The current article-data interfaces (``getarticleread``, ``getarticleshare``,
``getbizsummary``, ``getarticletotaldetail``) and ``openapi/quota/get``.

Each answers one day per call (span 1; more: 61501) with ``list`` and
``is_delay``. Yesterday is "not yet available" (an empty list, as the platform
answers) until ``ready_hour`` + ``delay_hours`` Beijing time; a day in
``delayed`` answers its rows with ``is_delay: true``. Numbers are deterministic
(a hash of the endpoint, the day and the article), as in ``datacube``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.emulator.clock import CHINA
from bot.emulator.datacube import Row, SentArticle, _number

NEWS_SPANS = {"getarticleread": 1, "getarticleshare": 1, "getbizsummary": 1,
              "getarticletotaldetail": 1}
#: getarticletotaldetail's running totals stop this many days after publishing.
DETAIL_DAYS = 30
#: Read sources as the platform numbers them (99999999: all).
SOURCES = (0, 1, 2, 4, 5, 6, 7)


@dataclass
class Timing:
    """When a day's data is ready, and which days the platform marks delayed."""

    ready_hour: int = 8
    delay_hours: float = 0.0
    delayed: set[str] = field(default_factory=set)

    def ready(self, day: date, now: float) -> bool:
        """Yesterday's data exists only after ready_hour + delay_hours (Beijing)."""
        opens = datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA)
        return now >= (opens + timedelta(hours=self.ready_hour + self.delay_hours)).timestamp()


def _daily(day: date, msgid: str, what: str) -> int:
    """What one article drew on one day: less each day after it was sent."""
    return _number(20, 400, what, day.isoformat(), msgid)


def _sources(reads: int, day: date, msgid: str) -> list[Row]:
    weights = [_number(1, 10, "src", s, day.isoformat(), msgid) for s in SOURCES]
    shares = [reads * w // sum(weights) for w in weights]
    shares[0] += reads - sum(shares)
    every: list[Row] = [{"user_source": 99999999, "read_user": reads}]
    return every + [{"user_source": s, "read_user": n}
                    for s, n in zip(SOURCES, shares, strict=True)]


def _figures(day: date, msgid: str) -> Row:
    reads = _daily(day, msgid, "read")
    return {"read_user": reads, "read_user_source": _sources(reads, day, msgid),
            "share_user": reads // 12 + _number(0, 5, "sh", day, msgid),
            "zaikan_user": reads // 40 + _number(0, 3, "zk", day, msgid),
            "like_user": reads // 20 + _number(0, 4, "lk", day, msgid),
            "comment_count": _number(0, 6, "cm", day, msgid)}


def _live(day: date, articles: Sequence[SentArticle]) -> list[SentArticle]:
    return [a for a in articles if a.sent_on <= day < a.sent_on + timedelta(days=DETAIL_DAYS)]


def article_read(day: date, articles: Sequence[SentArticle]) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref, "msgid": a.msgid,
             "detail": {k: v for k, v in _figures(day, a.msgid).items()
                        if k in ("read_user", "read_user_source")}} for a in _live(day, articles)]


def article_share(day: date, articles: Sequence[SentArticle]) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref, "msgid": a.msgid,
             "detail": {"share_user": _figures(day, a.msgid)["share_user"]}}
            for a in _live(day, articles)]


def _sum(rows: list[Row], key: str) -> int:
    return sum(int(r[key]) for r in rows)  # type: ignore[call-overload]


def biz_summary(day: date, articles: Sequence[SentArticle]) -> list[Row]:
    each = [_figures(day, a.msgid) for a in _live(day, articles)]
    detail = {k: _sum(each, k) for k in ("read_user", "share_user", "zaikan_user",
                                         "like_user", "comment_count")}
    return [{"ref_date": day.isoformat(), "detail": detail}]


def running_totals(sent_on: date, msgid: str, last: date) -> list[Row]:
    """getarticletotaldetail's detail_list: totals from sent_on to each stat_date."""
    totals: dict[str, int] = {}
    sources: dict[int, int] = {}
    out: list[Row] = []
    for n in range(min(DETAIL_DAYS, (last - sent_on).days + 1)):
        day = sent_on + timedelta(days=n)
        figures = _figures(day, msgid)
        for key in ("read_user", "share_user", "zaikan_user", "like_user", "comment_count"):
            totals[key] = totals.get(key, 0) + int(figures[key])  # type: ignore[call-overload]
        for src in figures["read_user_source"]:  # type: ignore[attr-defined]
            sources[src["user_source"]] = sources.get(src["user_source"], 0) + src["read_user"]
        out.append({"stat_date": day.isoformat(), **totals, "read_user_source": [
            {"user_source": s, "read_user": v} for s, v in sources.items()]})
    return out


def total_detail(day: date, articles: Sequence[SentArticle], last: date) -> list[Row]:
    return [{"ref_date": day.isoformat(), "msgid": a.msgid, "publish_type": 0,
             "detail_list": running_totals(a.sent_on, a.msgid, last)}
            for a in articles if a.sent_on == day]


NewsGenerator = Callable[[date, Sequence[SentArticle]], list[Row]]


def answer(name: str, days: list[date], articles: Sequence[SentArticle], timing: Timing,
           now: float, yesterday: date) -> dict[str, object]:
    """The body of one call: rows of the days that are ready, and is_delay."""
    rows: list[Row] = []
    for day in days:
        if not timing.ready(day, now):
            continue
        if name == "getarticletotaldetail":
            rows.extend(total_detail(day, articles, last_ready(timing, now, yesterday)))
        else:
            rows.extend(_SIMPLE[name](day, articles))
    delayed = any(d.isoformat() in timing.delayed for d in days)
    return {"list": rows, "is_delay": delayed}


def last_ready(timing: Timing, now: float, yesterday: date) -> date:
    return yesterday if timing.ready(yesterday, now) else yesterday - timedelta(days=1)


_SIMPLE: dict[str, NewsGenerator] = {"getarticleread": article_read,
                                     "getarticleshare": article_share,
                                     "getbizsummary": biz_summary}
