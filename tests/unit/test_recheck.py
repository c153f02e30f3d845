"""The re-check rules (workflow/recheck.py): due dates, signals, who is asked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow import recheck, recheck_cases
from workflow.recheck import (
    Article,
    DayReads,
    Due,
    LastCheck,
    RecheckDays,
    RecheckDaysError,
    Said,
    Signal,
    SignalKind,
    Verdict,
)
from workflow.roles import Actor, Role

TZ = ZoneInfo("Asia/Shanghai")
PUBLISHED = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 September in Shanghai
DAYS = RecheckDays(90, (("政策", 30),))


def article(topic: str = "", expires_on: date | None = None, item_id: int = 1,
            author: int = 7) -> Article:
    return Article(item_id, "冬衣募集", topic, author, PUBLISHED, expires_on)


def checked(at: datetime, verdict: Verdict = Verdict.OK) -> LastCheck:
    return LastCheck(at, verdict, 3, "周平", "核对过")


def due(a: Article, last: LastCheck | None = None, said: tuple[Said, ...] = (),
        kept: tuple[Signal, ...] = ()) -> Due:
    return recheck.due_of(a, last, said, kept, DAYS, TZ)


def test_an_article_is_due_the_default_days_after_publication() -> None:
    found = due(article())
    assert found.due_on == date(2026, 11, 30) and found.signal is None and found.last is None


def test_a_topic_with_its_own_interval_uses_it() -> None:
    assert due(article(topic="政策")).due_on == date(2026, 10, 1)
    assert due(article(topic=" 政策 ")).due_on == date(2026, 10, 1)
    assert due(article(topic="活动")).due_on == date(2026, 11, 30)


def test_an_event_notice_is_due_on_its_expiry_until_rechecked_after_it() -> None:
    notice = article(expires_on=date(2026, 9, 20))
    assert due(notice).due_on == date(2026, 9, 20)
    # checked before it expired: still due when it does
    before = checked(datetime(2026, 9, 10, 2, 0, tzinfo=UTC))
    assert due(notice, before).due_on == date(2026, 9, 20)
    # checked on the day or after: the default from that day
    after = checked(datetime(2026, 9, 21, 2, 0, tzinfo=UTC))
    assert due(notice, after).due_on == date(2026, 12, 20)
    # an expiry further off than the default is still the day to look
    assert due(article(expires_on=date(2027, 6, 1))).due_on == date(2027, 6, 1)


def test_a_recheck_counts_the_next_one_from_its_day_in_the_accounts_time() -> None:
    late_evening = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December, 01:00 in Shanghai
    found = due(article(), checked(late_evening))
    assert found.due_on == date(2026, 12, 1) + timedelta(days=90)
    assert found.last is not None and found.last.actor_name == "周平"


def test_a_recheck_before_a_republication_does_not_count() -> None:
    old = checked(PUBLISHED - timedelta(days=10))
    assert due(article(), old).due_on == date(2026, 11, 30)


def said(text: str, at: datetime, complaint: bool = False, source: str = "comment") -> Said:
    return Said(1, at, text, complaint, 41, source)


def test_a_complaint_pulls_the_recheck_forward_to_its_day() -> None:
    at = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    found = due(article(), said=(said("太差了", at, complaint=True),))
    assert found.due_on == date(2026, 10, 5) and found.planned_on == date(2026, 11, 30)
    assert found.signal is not None and found.signal.kind is SignalKind.COMPLAINT
    assert found.signal.detail == {"ticket_id": 41, "source": "comment", "word": ""}


def test_a_recheck_word_in_a_comment_or_message_pulls_it_forward() -> None:
    at = datetime(2026, 10, 6, 3, 0, tzinfo=UTC)
    for text, word in (("报名链接打不开了", "链接打不开"), ("这个政策已经过期", "过期"),
                       ("第二段数据有错误", "错误")):
        found = due(article(), said=(said(text, at, source="message"),))
        assert found.signal is not None and found.signal.kind is SignalKind.WORDS
        assert found.signal.detail["word"] == word and found.due_on == date(2026, 10, 6)


def test_an_ordinary_comment_pulls_nothing() -> None:
    found = due(article(), said=(said("写得真好，已转发", datetime(2026, 10, 6, tzinfo=UTC)),))
    assert found.signal is None and found.due_on == date(2026, 11, 30)


def test_a_signal_answered_by_a_recheck_no_longer_counts() -> None:
    complained = said("过期了", datetime(2026, 10, 5, 3, 0, tzinfo=UTC))
    answered = checked(datetime(2026, 10, 7, 3, 0, tzinfo=UTC))
    found = due(article(), answered, said=(complained,))
    assert found.signal is None and found.due_on == date(2027, 1, 5)


def test_the_earliest_signal_is_the_one_shown() -> None:
    first = said("错误", datetime(2026, 10, 5, 3, 0, tzinfo=UTC))
    second = said("投诉", datetime(2026, 10, 8, 3, 0, tzinfo=UTC), complaint=True)
    found = due(article(), said=(second, first))
    assert found.signal is not None and found.signal.on == date(2026, 10, 5)


def reads(*daily: tuple[date, int]) -> tuple[DayReads, ...]:
    return tuple(DayReads(1, day, n) for day, n in daily)


def week(last: date, n: int) -> list[tuple[date, int]]:
    return [(last - timedelta(days=k), n) for k in range(7)]


def spike(daily: tuple[DayReads, ...], known_from: date) -> Signal | None:
    return recheck.reads_signal(daily, PUBLISHED.date(), PUBLISHED.date(), known_from)


SPIKE_DAY = date(2026, 11, 10)
RISE = reads(*week(SPIKE_DAY - timedelta(days=1), 10), (SPIKE_DAY, 200))


def test_a_spike_is_three_times_the_trailing_week_and_at_least_the_floor() -> None:
    assert recheck.is_spike(60, 20.0) and recheck.is_spike(50, 0.0)
    assert not recheck.is_spike(60, 20.1)  # under three times
    assert not recheck.is_spike(49, 0.0)  # under the floor


def test_an_old_articles_sudden_reads_pull_its_recheck_forward() -> None:
    found = spike(RISE, known_from=date(2026, 10, 1))
    assert found is not None and found.kind is SignalKind.READS
    assert found.on == SPIKE_DAY + timedelta(days=1)  # known the next morning
    assert found.detail == {"day": "2026-11-10", "reads": 200, "average": 10.0}
    pulled = due(article(), kept=(found,))
    assert pulled.due_on == SPIKE_DAY + timedelta(days=1) and pulled.signal == found


def test_days_without_figures_count_as_none_read() -> None:
    daily = reads((SPIKE_DAY - timedelta(days=3), 70), (SPIKE_DAY, 60))
    assert spike(daily, known_from=date(2026, 10, 1)) is not None  # average 10


def test_the_first_figures_ever_pulled_are_no_rise() -> None:
    daily = reads((SPIKE_DAY, 300), (SPIKE_DAY + timedelta(days=1), 280))
    assert spike(daily, known_from=SPIKE_DAY) is None
    assert spike(daily, known_from=SPIKE_DAY - timedelta(days=7)) is not None


def test_a_new_articles_rising_reads_are_no_signal() -> None:
    day = PUBLISHED.date() + timedelta(days=10)
    assert spike(reads((day, 500)), known_from=date(2026, 8, 1)) is None


def test_a_steady_rise_is_no_signal() -> None:
    steady = reads(*week(SPIKE_DAY - timedelta(days=1), 100), (SPIKE_DAY, 200))
    assert spike(steady, known_from=SPIKE_DAY - timedelta(days=7)) is None


def test_a_recheck_answers_a_spike() -> None:
    answered = checked(datetime(2026, 11, 11, 2, 0, tzinfo=UTC))
    assert recheck.spotted([article()], {1: answered}, RISE, date(2026, 10, 1),
                           date(2026, 11, 4), TZ) == []
    kept = spike(RISE, known_from=date(2026, 10, 1))
    assert kept is not None and due(article(), answered, kept=(kept,)).signal is None
    found = recheck.spotted([article()], {}, RISE, date(2026, 10, 1), date(2026, 11, 4), TZ)
    assert found == [(1, kept)]


def test_the_worker_looks_only_at_the_last_days() -> None:
    assert recheck.spotted([article()], {}, RISE, date(2026, 10, 1), date(2026, 11, 11),
                           TZ) == []


def test_a_signal_after_the_planned_day_changes_nothing() -> None:
    late = said("过期", datetime(2026, 12, 5, 3, 0, tzinfo=UTC))
    found = due(article(), said=(late,))
    assert found.due_on == date(2026, 11, 30) and found.signal is None


def test_overdue_and_escalated_days() -> None:
    found = due(article())
    today = date(2026, 12, 14)
    assert found.is_due(today) and found.overdue_days(today) == 14 and found.escalated(today)
    assert not found.escalated(today - timedelta(days=1))
    assert not found.is_due(date(2026, 11, 29)) and found.overdue_days(date(2026, 11, 1)) == 0


def test_the_setting_a_default_and_topic_pairs() -> None:
    assert recheck.parse_days("90") == RecheckDays(90)
    parsed = recheck.parse_days("60， 政策＝30; 活动=14")
    assert parsed.for_topic("政策") == 30 and parsed.for_topic("活动") == 14
    assert parsed.for_topic("其他") == 60


@pytest.mark.parametrize(("text", "code"), [
    ("", "no_default"), ("政策=30", "no_default"), ("90, 政策", "not_a_pair"),
    ("90, =30", "not_a_pair"), ("0", "not_days"), ("90, 政策=3651", "not_days"),
    ("ninety", "not_days"), ("❾⓪", "not_days"), ("9" * 5000, "not_days")])
def test_a_bad_setting_is_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(RecheckDaysError) as refused:
        recheck.parse_days(text)
    assert refused.value.code == code


def test_the_verdict_an_audit_row_records() -> None:
    assert recheck.verdict_of("recheck_ok", "复查 1 正常") is Verdict.OK
    assert recheck.verdict_of("flag_outdated", "复查 1 更新 数据旧了") is Verdict.UPDATE
    assert recheck.verdict_of("withdraw", "复查 1 删除 活动取消（确认 AB12CD34）") is Verdict.DELETE
    assert recheck.verdict_of("withdraw", "撤回 1（确认 AB12CD34）") is None
    assert recheck.verdict_of("publish_succeeded", "") is None


def test_who_is_asked_about_what() -> None:
    today = date(2026, 12, 20)
    mine = Due(1, "甲", "", 7, date(2026, 12, 19), date(2026, 12, 19))
    other = Due(2, "乙", "", 8, date(2026, 12, 1), date(2026, 12, 1))  # 19 days overdue
    due_list = [other, mine]
    assert recheck_cases.asked_of(Actor(7, "王芳", frozenset({Role.CREATOR})), due_list, today) == \
        recheck_cases.Asked((mine,), ())
    analyst = recheck_cases.asked_of(Actor(9, "周平", frozenset({Role.ANALYST})), due_list, today)
    assert analyst.mine == (other, mine) and analyst.overdue == ()
    admin = recheck_cases.asked_of(Actor(1, "张敏", frozenset({Role.ADMIN})), due_list, today)
    assert admin == recheck_cases.Asked((), (other,))
    reviewer = Actor(5, "李雷", frozenset({Role.REVIEWER}))
    assert recheck_cases.asked_of(reviewer, due_list, today).empty


def test_reminders_go_from_the_hour_once_a_day_per_person() -> None:
    assert not recheck_cases.reminding(datetime(2026, 12, 7, 8, 59, tzinfo=TZ), 9)
    assert recheck_cases.reminding(datetime(2026, 12, 7, 9, 0, tzinfo=TZ), 9)
    assert recheck_cases.reminder_key(3, date(2026, 12, 7)) == "recheck:2026-12-07:3"
    key = recheck_cases.reminder_key
    assert key(3, date(2026, 12, 8)) != key(3, date(2026, 12, 7))
