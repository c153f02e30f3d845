"""统计 over a period (the last 7 or 30 days, or this month so far): the platform's
reads and shares, follower change, the best and weakest articles, the reply queue's
open tickets and median first response, and for the longer periods the
suggestions that fire (workflow.suggestions). Pure: the numbers come through the
read port ``ports.FiguresView``; chat and the CLI render the same ``PeriodStats``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from workflow import suggestions
from workflow.figures import ArticleReads, ResponseTimes, Titled
from workflow.ports import FiguresView, UnitOfWork
from workflow.suggestions import Facts, Suggestion

#: Articles named as best and as weakest of a period.
SHOWN = 3
#: Suggestions shown at the end of 统计 30天 / 本月 (the strongest first).
TOP_SUGGESTIONS = 5
#: Suggestions look back this far before the period's end: a month holds too few
#: articles for the rules' sample minimums; 90 days still reflects today's audience.
HISTORY_DAYS = 90


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    month: bool = False  # 本月: from the 1st to today

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def with_suggestions(self) -> bool:
        return self.month or self.days >= 30


def last_days(today: date, days: int) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today, month=True)


@dataclass(frozen=True)
class Stats:
    first: date
    last: date
    reads: int
    shares: int
    new_followers: int
    lost_followers: int | None  # None: no platform figures, counted from our own records
    open_tickets: int
    published: list[Titled]
    analytics_pulled: bool  # any datacube rows at all yet


def figures_between(uow: UnitOfWork, first: date, last: date, now: datetime, tz: tzinfo,
                    articles: Sequence[ArticleReads]) -> Stats:
    """Stats of the local days ``first``..``last`` (inside an open unit of work);
    ``articles``: the days' reads and shares by article, summed here."""
    since = datetime.combine(first, time(), tz).astimezone(UTC)
    figures = uow.figures
    totals = figures.period_totals(first, last)
    new: int = totals.new_followers
    lost: int | None = totals.lost_followers
    if not totals.follower_days:  # no platform figures: the subscribe events wxops recorded
        new, lost = figures.subscribed_since(since), None
    reads, shares = sum(a.reads for a in articles), sum(a.shares for a in articles)
    return Stats(first, last, reads, shares, new, lost, totals.open_tickets,
                 list(figures.published_between(since, now)), totals.analytics_pulled)


@dataclass(frozen=True)
class PeriodStats:
    period: Period
    stats: Stats  # reads, shares, followers, open tickets, published
    best: list[ArticleReads]
    weakest: list[ArticleReads]
    answered: int  # tickets first answered in the period
    median_response_minutes: float | None
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def net_followers(self) -> int | None:
        lost = self.stats.lost_followers
        return None if lost is None else self.stats.new_followers - lost


def ranked(articles: Sequence[ArticleReads]) -> tuple[list[ArticleReads], list[ArticleReads]]:
    """The most read first, and the least read (least first), never the same
    article in both: with few articles the weakest list is shorter or empty."""
    order = sorted(articles, key=lambda a: (-a.reads, -a.shares, a.msgid))
    best = order[:SHOWN]
    rest = order[len(best):]
    return best, list(reversed(rest[-SHOWN:]))


def utc_span(period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period's local days as a UTC [since, until) range."""
    since = datetime.combine(period.first, time(), tz).astimezone(UTC)
    until = datetime.combine(period.last + timedelta(days=1), time(), tz).astimezone(UTC)
    return since, until


def period_stats(uow: UnitOfWork, period: Period, now: datetime, tz: tzinfo) -> PeriodStats:
    """统计 for ``period`` (local days of the account's zone)."""
    with uow:
        figures = uow.figures
        articles = figures.article_reads(period.first, period.last)
        base = figures_between(uow, period.first, period.last, now, tz, articles)
        best, weakest = ranked(articles)
        if period.with_suggestions:
            facts, answered = facts_and_answered(figures, period, now, tz)
        else:
            facts, answered = None, figures.response_times(*_span_until(period, now, tz), tz)
        found = PeriodStats(period, base, best, weakest, answered.answered, answered.median)
        if facts is not None:
            found.suggestions.extend(suggestions.suggest(facts)[:TOP_SUGGESTIONS])
    return found


def _span_until(period: Period, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period's UTC span, ending at ``now`` at the latest."""
    since, until = utc_span(period, tz)
    return since, min(until, now)


def facts_from(figures: FiguresView, last: date, now: datetime, tz: tzinfo) -> Facts:
    """What the suggestions weigh: the ``HISTORY_DAYS`` local days up to ``last``."""
    return facts_and_answered(figures, last_days(last, HISTORY_DAYS), now, tz)[0]


def facts_and_answered(figures: FiguresView, period: Period, now: datetime,
                       tz: tzinfo) -> tuple[Facts, ResponseTimes]:
    """What the suggestions weigh: the ``HISTORY_DAYS`` local days up to the
    period's last; and the period's own first answers summed up (how many,
    their median), read with the window's (the period lies inside it)."""
    window = last_days(period.last, HISTORY_DAYS)
    since, until = _span_until(window, now, tz)
    responses, answered = figures.response_times_within(
        since, until, tz, max(since, utc_span(period, tz)[0]))
    return Facts(list(figures.published_day7(since, until)),
                 list(figures.follower_days(window.first, window.last)),
                 responses, figures.waiting(suggestions.waited_long(now)), now, tz,
                 list(figures.complaints(since, until))), answered
