"""The report (weekly, monthly, or any range of days): what its charts and tables
show, computed from the read port ``ports.FiguresView`` (pure: no HTML, no I/O;
bot/report_page.py draws it, bot/reports.py keeps and sends it).

Its parts:

- the period's numbers as 统计 gives them (``stats.PeriodStats``: reads,
  shares, followers, best and weakest, open tickets, median first response);
- reads per article in the period, most read first;
- followers day by day: new, lost and the running total;
- day-7 reads by the weekday and the hour articles were published: over the
  period when it is long, else over the ``stats.HISTORY_DAYS`` before its end
  (a week holds too few articles to show a pattern);
- where readers came from (the platform's read sources), in the period;
- how fast the reply queue first answered: a histogram, and the median by the
  hour a message came in;
- every suggestion the data supports (workflow.suggestions).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from workflow import stats, suggestions
from workflow.figures import ArticleReads, FollowerDay, Published, Response, SourceTotals
from workflow.ports import UnitOfWork
from workflow.suggestions import Suggestion

#: The longest range a report covers: two years of daily figures still draw
#: readably, and the platform keeps no article data much older.
MAX_DAYS = 731
#: The read source that means "all" (the platform's 99999999): left out, it is
#: not the sum of the others (0 会话, 1 好友, 2 朋友圈, 4 历史消息页, 5 其他,
#: 6 看一看, 7 搜一搜).
ALL_SOURCES = "99999999"
#: First-response buckets: their lower bounds in minutes (the last one is open).
RESPONSE_BUCKETS = (0, 5, 30, 120, 480, 1440)


class ReportKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"
    QUARTER = "quarter"  # the quarterly evaluation (workflow/evaluation.py)


@dataclass(frozen=True)
class ReportPeriod:
    kind: ReportKind
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def name(self) -> str:
        """How files and lists name it: 2026-W49, 2026-11, 2026-01-01_2026-06-30."""
        if self.kind is ReportKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is ReportKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind is ReportKind.QUARTER:
            return f"{self.first.year}Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def last_week(today: date) -> ReportPeriod:
    """The last whole week (Monday to Sunday) before ``today``'s."""
    monday = today - timedelta(days=today.weekday() + 7)
    return ReportPeriod(ReportKind.WEEK, monday, monday + timedelta(days=6))


def last_month(today: date) -> ReportPeriod:
    """The last whole calendar month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return ReportPeriod(ReportKind.MONTH, last.replace(day=1), last)


def between(first: date, last: date, today: date) -> ReportPeriod:
    """Any range of whole days up to yesterday; ValueError with the reason if not."""
    if first > last:
        raise ValueError("first_after_last")
    if last >= today:
        raise ValueError("not_over")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError("too_long")
    return ReportPeriod(ReportKind.RANGE, first, last)


@dataclass(frozen=True)
class Slot:
    """One bar of a chart: what it is of (a weekday 0–6 from Monday, an hour
    0–23, a read source's number, a bucket's lower bound in minutes), its value
    and how many things that value is of. The page names the key."""

    key: int
    value: float
    count: int


@dataclass(frozen=True)
class Report:
    period: ReportPeriod
    made_at: datetime
    summary: stats.PeriodStats
    articles: list[ArticleReads]  # most read first
    followers: list[FollowerDay]
    pattern_first: date  # the weekday and hour charts are of articles from here
    by_weekday: list[Slot]  # median day-7 reads, Monday first; count: articles
    by_hour: list[Slot]
    sources: list[Slot]  # readers by source in the period, most first
    responses: list[Slot]  # first responses by how long they took
    response_hours: list[Slot]  # median first response (minutes) by hour opened
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def read_articles(self) -> int:
        return sum(1 for a in self.articles if a.reads)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def by_publish_time(articles: Sequence[Published], tz: tzinfo) -> tuple[list[Slot], list[Slot]]:
    """Median day-7 reads by local weekday (all seven) and by hour (those with articles)."""
    days: dict[int, list[int]] = {}
    hours: dict[int, list[int]] = {}
    for a in articles:
        if a.day7 is None:
            continue
        local = a.published_at.astimezone(tz)
        days.setdefault(local.weekday(), []).append(a.day7)
        hours.setdefault(local.hour, []).append(a.day7)
    weekday = [Slot(d, _median(days[d]) if d in days else 0.0, len(days.get(d, [])))
               for d in range(7)]
    hour = [Slot(h, _median(hours[h]), len(hours[h])) for h in sorted(hours)]
    return weekday, hour


def read_sources(rows: Sequence[SourceTotals], first: date, last: date) -> list[Slot]:
    """Readers by source from ``first`` to ``last``: each article's running totals
    at its last day in the period less those before the period began."""
    latest: dict[str, tuple[date, Mapping[str, int]]] = {}
    before: dict[str, tuple[date, Mapping[str, int]]] = {}
    for row in rows:
        into = before if row.day < first else latest if row.day <= last else None
        if into is not None and (row.msgid not in into or into[row.msgid][0] < row.day):
            into[row.msgid] = (row.day, row.sources)
    found: dict[str, int] = {}
    for msgid, (_, now) in latest.items():
        then = before.get(msgid, (first, {}))[1]
        for source, readers in now.items():
            if source != ALL_SOURCES:
                found[source] = found.get(source, 0) + max(0, readers - then.get(source, 0))
    return [Slot(int(s), float(n), n) for s, n in
            sorted(found.items(), key=lambda kv: (-kv[1], kv[0])) if n and s.isdigit()]


def response_histogram(responses: Sequence[Response]) -> list[Slot]:
    """First responses by how long they took (every bucket, empty ones too)."""
    counts = [0] * len(RESPONSE_BUCKETS)
    for r in responses:
        counts[sum(1 for b in RESPONSE_BUCKETS[1:] if r.minutes >= b)] += 1
    return [Slot(low, float(n), n) for low, n in zip(RESPONSE_BUCKETS, counts, strict=True)]


def response_by_hour(responses: Sequence[Response], tz: tzinfo) -> list[Slot]:
    """Median minutes to a first answer by the local hour the message came in."""
    hours: dict[int, list[float]] = {}
    for r in responses:
        hours.setdefault(r.opened_at.astimezone(tz).hour, []).append(r.minutes)
    return [Slot(h, round(_median(m), 1), len(m)) for h, m in sorted(hours.items())]


def pattern_window(period: ReportPeriod) -> stats.Period:
    """The days the publish-time charts are of: the period when it is at least
    ``stats.HISTORY_DAYS`` long, else that many days up to its end."""
    if period.days >= stats.HISTORY_DAYS:
        return stats.Period(period.first, period.last)
    return stats.last_days(period.last, stats.HISTORY_DAYS)


def make(uow: UnitOfWork, period: ReportPeriod, now: datetime, tz: tzinfo) -> Report:
    """The report of ``period`` as the database holds it at ``now``."""
    days = stats.Period(period.first, period.last)
    summary = stats.period_stats(uow, days, now, tz)
    window = pattern_window(period)
    since, until = stats.utc_span(window, tz)
    with uow:
        figures = uow.figures
        articles = sorted(figures.article_reads(period.first, period.last),
                          key=lambda a: (-a.reads, -a.shares, a.msgid))
        followers = list(figures.follower_days(period.first, period.last))
        weekday, hour = by_publish_time(figures.published_day7(since, min(until, now)), tz)
        sources = read_sources(figures.source_totals(period.first, period.last),
                               period.first, period.last)
        p_since, p_until = stats.utc_span(days, tz)
        answered = list(figures.first_responses(p_since, min(p_until, now)))
        found = suggestions.suggest(stats.facts_from(figures, period.last, now, tz))
    return Report(period, now, summary, articles, followers, window.first, weekday, hour,
                  sources, response_histogram(answered), response_by_hour(answered, tz),
                  found)


#: Monday's weekly report waits for Sunday's figures until this hour at the latest
#: (the platform's data is often late); then it goes out with what is in.
LATEST_HOUR = 18


def weekly_due(period: ReportPeriod, local_now: datetime, sent: bool, figures_in: bool,
               first_hour: int) -> bool:
    """Whether the weekly job makes and sends ``period``'s report now: once, not
    before ``first_hour`` on the Monday after it, then as soon as the last day's
    figures are in (``figures_in``), and by ``LATEST_HOUR`` or the next day
    without them (a worker down on Monday sends it when it is back: the job runs
    hourly)."""
    if sent:
        return False
    monday = period.last + timedelta(days=1)
    today = local_now.date()
    if today < monday or (today == monday and local_now.hour < first_hour):
        return False
    return figures_in or today > monday or local_now.hour >= LATEST_HOUR
