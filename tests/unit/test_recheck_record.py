"""Whether re-checks kept to their schedule (workflow/recheck_record.py): on time
by the day the schedule set, late after it, missed when due in the period and
not done by its end, unless the article left the schedule first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from workflow.recheck import RecheckDays, parse_days
from workflow.recheck_record import Timeliness, Trail, timeliness

TZ = ZoneInfo("Asia/Shanghai")
Q3 = (date(2026, 7, 1), date(2026, 9, 30))
AFTER_Q3 = date(2026, 10, 1)
DAYS = RecheckDays()  # 90


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, tzinfo=UTC)  # 10:00 in Shanghai


def trail(published: datetime, *checks: datetime, topic: str = "", expires: date | None = None,
          left: datetime | None = None) -> Trail:
    return Trail(1, topic, expires, published, checks, left)


def judged(*trails: Trail, today: date = AFTER_Q3, days: RecheckDays = DAYS) -> Timeliness:
    return timeliness(trails, *Q3, today, days, TZ)


def test_on_time_by_the_day_late_after_it() -> None:
    assert judged(trail(on(5, 1), on(7, 30))) == Timeliness(1, 0, 0)  # due 30 July
    assert judged(trail(on(5, 1), on(7, 31))) == Timeliness(0, 1, 0)


def test_each_recheck_counts_from_the_one_before() -> None:
    # Due 30 Jan → done 1 Mar (late, Q1); due 30 May → done 1 Aug (late); due 30 Oct.
    assert judged(trail(on(11, 1).replace(year=2025), on(3, 1), on(8, 1))) == Timeliness(0, 1, 0)


def test_missed_when_due_in_the_period_and_not_done() -> None:
    assert judged(trail(on(5, 1))) == Timeliness(0, 0, 1)
    # Due after the period: not missed in it.
    assert judged(trail(on(7, 10))) == Timeliness(0, 0, 0)
    # The period under way: due today is not missed yet, due yesterday is.
    assert judged(trail(on(5, 1)), today=date(2026, 7, 30)) == Timeliness(0, 0, 0)
    assert judged(trail(on(5, 1)), today=date(2026, 7, 31)) == Timeliness(0, 0, 1)


def test_an_article_that_left_the_schedule_first_is_not_missed() -> None:
    assert judged(trail(on(5, 1), left=on(7, 20))) == Timeliness(0, 0, 0)
    assert judged(trail(on(5, 1), left=on(8, 20))) == Timeliness(0, 0, 1)


def test_an_event_notice_is_due_on_its_expiry_day() -> None:
    assert judged(trail(on(6, 1), on(8, 2), expires=date(2026, 8, 1))) == Timeliness(0, 1, 0)
    assert judged(trail(on(6, 1), on(8, 1), expires=date(2026, 8, 1))) == Timeliness(1, 0, 0)


def test_the_topics_interval() -> None:
    days = parse_days("90, 政策=30")
    # Due 1 July, done 5 July: late; due again 4 August, not done: missed.
    assert judged(trail(on(6, 1), on(7, 5), topic="政策"), days=days) == Timeliness(0, 1, 1)
    assert judged(trail(on(6, 1), on(7, 5)), days=days) == Timeliness(1, 0, 0)


def test_the_share_on_time() -> None:
    assert Timeliness(3, 1, 0).share_on_time == 0.75
    assert Timeliness(0, 0, 0).share_on_time is None
