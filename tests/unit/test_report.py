"""workflow.report over in-memory fakes: which days a report covers, the numbers
behind each chart (publish times, read sources, response times) and when the
weekly report is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import report
from workflow.figures import ArticleReads, FollowerDay, Published, Response, SourceTotals
from workflow.report import ReportKind, ReportPeriod, Slot
from workflow.roles import Actor, Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
WEEK = ReportPeriod(ReportKind.WEEK, date(2026, 11, 30), date(2026, 12, 6))


def test_last_week_is_the_whole_week_before_todays() -> None:
    for today in (date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 13)):
        assert report.last_week(today) == WEEK
    assert report.last_week(date(2026, 12, 6)).first == date(2026, 11, 23)


def test_last_month_crosses_the_year() -> None:
    assert report.last_month(date(2027, 1, 15)) == ReportPeriod(
        ReportKind.MONTH, date(2026, 12, 1), date(2026, 12, 31))
    assert report.last_month(date(2026, 3, 1)).last == date(2026, 2, 28)


def test_names() -> None:
    assert WEEK.name == "2026-W49"
    assert report.last_week(date(2027, 1, 4)).name == "2026-W53"  # ISO week of its Monday
    assert report.last_month(date(2026, 12, 7)).name == "2026-11"
    assert report.between(date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 7)).name \
        == "2026-01-01_2026-06-30"


@pytest.mark.parametrize(("first", "last", "why"), [
    (date(2026, 12, 2), date(2026, 12, 1), "first_after_last"),
    (date(2026, 12, 1), date(2026, 12, 7), "not_over"),
    (date(2024, 11, 30), date(2026, 12, 1), "too_long"),
])
def test_a_range_it_cannot_cover(first: date, last: date, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        report.between(first, last, date(2026, 12, 7))


def published(day: int, hour: int, day7: int | None, item_id: int = 1) -> Published:
    at = datetime(2026, 11, day, hour, 0, tzinfo=TZ)
    return Published(item_id, "t", "", "", at.astimezone(UTC), day7)


def test_publish_times_are_local_and_median() -> None:
    # 2026-11-02 is a Monday; 07:00 in Shanghai is 23:00 UTC the day before.
    weekday, hour = report.by_publish_time([
        published(2, 7, 100), published(9, 7, 300), published(16, 7, 200),
        published(4, 20, 50), published(5, 20, None)], TZ)
    assert [s.key for s in weekday] == list(range(7))
    assert weekday[0] == Slot(0, 200.0, 3)
    assert weekday[2] == Slot(2, 50.0, 1)
    assert weekday[3] == Slot(3, 0.0, 0)  # Thursday's article has no day-7 reads yet
    assert hour == [Slot(7, 200.0, 3), Slot(20, 50.0, 1)]


def totals(msgid: str, day: int, **sources: int) -> SourceTotals:
    return SourceTotals(msgid, date(2026, 12, day),
                        {k.removeprefix("s"): v for k, v in sources.items()})


def test_read_sources_are_the_growth_of_running_totals_within_the_period() -> None:
    rows = [
        totals("a_1", 1, s99999999=10, s0=8, s2=2),  # before the period: Dec 1
        totals("a_1", 3, s99999999=50, s0=30, s2=20),
        totals("a_1", 5, s99999999=70, s0=40, s2=30),
        totals("b_1", 4, s99999999=5, s7=5),  # published in the period
        totals("b_1", 9, s99999999=99, s7=99),  # after it
    ]
    found = report.read_sources(rows, date(2026, 12, 2), date(2026, 12, 6))
    assert found == [Slot(0, 32.0, 32), Slot(2, 28.0, 28), Slot(7, 5.0, 5)]


def test_response_buckets_take_their_lower_bound() -> None:
    opened = NOW
    answers = [Response(opened, opened + timedelta(minutes=m)) for m in (0, 4.9, 5, 29, 30,
                                                                         2000)]
    found = report.response_histogram(answers)
    assert [s.key for s in found] == list(report.RESPONSE_BUCKETS)
    assert [s.count for s in found] == [2, 2, 1, 0, 0, 1]


def test_response_by_local_hour() -> None:
    at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    answers = [Response(at, at + timedelta(minutes=m)) for m in (10, 20, 90)]
    assert report.response_by_hour(answers, TZ) == [Slot(9, 20.0, 3)]


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=TZ)


@pytest.mark.parametrize(("now", "sent", "figures_in", "due"), [
    (local(7, 9), False, True, False),    # Monday before the hour
    (local(7, 10), False, True, True),    # Monday, figures in
    (local(7, 10), False, False, False),  # ... not yet: wait for them
    (local(7, 18), False, False, True),   # ... until the latest hour
    (local(8, 0), False, False, True),    # a worker down on Monday sends it on Tuesday
    (local(7, 12), True, True, False),    # once
    (local(6, 23), False, True, False),   # the week is not over
])
def test_weekly_due(now: datetime, sent: bool, figures_in: bool, due: bool) -> None:
    assert report.weekly_due(WEEK, now, sent, figures_in, 10) is due


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([Actor(1, "王芳", frozenset({Role.ANALYST}))])


def test_make_orders_articles_and_takes_the_pattern_from_90_days(uow: FakeUnitOfWork) -> None:
    period = uow.figures.period
    period.reads = [ArticleReads("a_1", 1, "甲", 10, 1), ArticleReads("b_1", 2, "乙", 30, 0),
                    ArticleReads("c_1", None, "", 30, 5)]
    period.followers = [FollowerDay(date(2026, 12, 1), 5, 1, 1005)]
    period.published = [published(2, 8, 120)]  # a month before the week: still in the chart
    made = report.make(uow, WEEK, NOW, TZ)
    assert [a.msgid for a in made.articles] == ["c_1", "b_1", "a_1"]
    assert made.read_articles == 3
    assert made.pattern_first == WEEK.last - timedelta(days=89)
    assert made.by_weekday[0] == Slot(0, 120.0, 1)
    assert made.followers[0].total == 1005
    assert made.summary.period.first == WEEK.first
