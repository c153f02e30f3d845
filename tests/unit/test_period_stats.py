"""workflow.stats over in-memory fakes: the period, best and weakest articles,
the median first response, and suggestions only for the longer periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import stats
from workflow.figures import ArticleReads, Response
from workflow.roles import Actor, Role

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 26)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([Actor(1, "王芳", frozenset({Role.ANALYST}))])


def reads(msgid: str, n: int, shares: int = 0) -> ArticleReads:
    return ArticleReads(msgid, None, "", n, shares)


def answered(minutes: int, days_ago: int = 1) -> Response:
    opened = NOW - timedelta(days=days_ago)
    return Response(opened, opened + timedelta(minutes=minutes))


def test_periods() -> None:
    assert stats.last_days(TODAY, 7) == stats.Period(date(2026, 11, 20), TODAY)
    month = stats.this_month(TODAY)
    assert (month.first, month.days, month.with_suggestions) == (date(2026, 11, 1), 26, True)
    assert (stats.last_days(TODAY, 30).with_suggestions,
            stats.last_days(TODAY, 7).with_suggestions) == (True, False)


def test_best_and_weakest_never_overlap() -> None:
    five = [reads("a", 50), reads("b", 500), reads("c", 5), reads("d", 80, 3), reads("e", 80, 9)]
    best, weakest = stats.ranked(five)
    assert [a.msgid for a in best] == ["b", "e", "d"]
    assert [a.msgid for a in weakest] == ["c", "a"]
    assert stats.ranked([reads("a", 1)]) == ([reads("a", 1)], [])


def test_period_numbers(uow: FakeUnitOfWork) -> None:
    period = uow.figures.period
    period.reads = [reads("a", 50), reads("b", 500)]
    period.responses = [answered(10), answered(30), answered(200), answered(5, days_ago=9)]
    found = stats.period_stats(uow, stats.last_days(TODAY, 7), NOW, TZ)
    assert ([a.msgid for a in found.best], [a.msgid for a in found.weakest]) == (["b", "a"], [])
    assert (found.answered, found.median_response_minutes) == (3, 30.0)  # 9 days ago: out
    assert (found.stats.first, found.net_followers, found.suggestions) == (
        date(2026, 11, 20), None, [])  # no platform follower figures: no net change


def test_suggestions_come_with_the_longer_periods_only(uow: FakeUnitOfWork) -> None:
    uow.figures.period.waiting = [NOW - timedelta(hours=30)]
    week = stats.period_stats(uow, stats.last_days(TODAY, 7), NOW, TZ)
    month = stats.period_stats(uow, stats.this_month(TODAY), NOW, TZ)
    assert (week.suggestions, [s.code for s in month.suggestions]) == ([], ["unanswered"])
    assert stats.period_stats(uow, stats.last_days(TODAY, 30), NOW, TZ).suggestions \
        == month.suggestions


def test_no_answers_no_median(uow: FakeUnitOfWork) -> None:
    found = stats.period_stats(uow, stats.last_days(TODAY, 7), NOW, TZ)
    assert (found.answered, found.median_response_minutes, found.best) == (0, None, [])
