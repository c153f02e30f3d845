"""workflow.suggestions over a crafted data set whose answers are known: each rule
fires where the numbers support it (with those numbers) and stays silent where
the sample is too small or the difference too slight."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow import suggestions as rules
from workflow.figures import (
    Complaints,
    FollowerDay,
    Published,
    Response,
    ResponseTimes,
    Waiting,
)
from workflow.suggestions import Facts, Suggestion

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # Thursday 14:00 in Shanghai


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def article(item_id: int, topic: str, day: date, day7: int | None, theme: str = "",
            hour: int = 9) -> Published:
    return Published(item_id, f"文章{item_id}", topic, theme, local(day, hour), day7)


#: Overall day-7 reads: 40 50 60 100 110 120 130 300 320 340, median 115.
#: 环保 (Saturdays, theme cards): median 320; 通知 (Mondays): 50; 活动 (Tuesdays): 115.
ARTICLES = [
    article(1, "通知", date(2026, 11, 2), 40), article(2, "通知", date(2026, 11, 9), 50),
    article(3, "通知", date(2026, 11, 16), 60),
    article(4, "活动", date(2026, 10, 27), 100), article(5, "活动", date(2026, 11, 3), 110),
    article(6, "活动", date(2026, 11, 10), 120), article(7, "活动", date(2026, 11, 17), 130),
    article(8, "环保", date(2026, 11, 7), 300, "cards"),
    article(9, "环保", date(2026, 11, 14), 320, "cards"),
    article(10, "环保", date(2026, 11, 21), 340, "cards"),
    article(11, "", date(2026, 11, 24), None),  # not a week old: no day-7 reads yet
]
#: 20 days of 2 unsubscribes, except 9 the day after item 1 and 4 after item 6.
FOLLOWERS = [FollowerDay(date(2026, 11, 1) + timedelta(days=n), 10,
                         {2: 9, 10: 4}.get(n, 2)) for n in range(20)]
#: 15 tickets opened at 10:00 answered in 10 minutes, 5 opened at 22:00 in 2 hours.
RESPONSES = ([Response(local(date(2026, 11, 20), 10), local(date(2026, 11, 20), 10)
                       + timedelta(minutes=10))] * 15
             + [Response(local(date(2026, 11, 20), 22), local(date(2026, 11, 20), 22)
                         + timedelta(minutes=120))] * 5)
WAITING = [NOW - timedelta(hours=30), NOW - timedelta(hours=25), NOW - timedelta(hours=2)]
#: Complaint comments: two on item 3 (a re-check), one on item 5 (one reader's view).
COMPLAINTS = [Complaints(5, "文章5", 1), Complaints(3, "文章3", 2)]
FACTS = Facts(ARTICLES, FOLLOWERS, ResponseTimes.of(RESPONSES, TZ),
              Waiting.of(WAITING, rules.waited_long(NOW)), NOW, TZ,
              COMPLAINTS)


def codes(found: list[Suggestion]) -> list[str]:
    return [s.code for s in found]


def test_topics_well_above_and_below_the_median() -> None:
    assert [(s.data["name"], s.data["above"], s.data["median"], s.data["articles"],
             s.data["ratio"]) for s in rules.topics(FACTS)] == [
        ("环保", True, 320.0, 3, 2.78), ("通知", False, 50.0, 3, 0.43)]  # 活动: at the median
    assert rules.topics(FACTS)[0].data["overall"] == 115.0


def test_a_format_well_above_the_median() -> None:
    assert [(s.data["name"], s.data["above"], s.data["ratio"]) for s in rules.formats(FACTS)] \
        == [("cards", True, 2.78)]  # the default theme's 7 articles: median 100, 0.87


def test_the_best_publish_weekday_and_no_hour_when_all_went_out_at_one_hour() -> None:
    found = rules.publish_times(FACTS)
    assert [(s.code, s.data["when"], s.data["median"], s.data["articles"]) for s in found] \
        == [("best_weekday", 5, 320.0, 3)]  # Saturday; every article went out at 9:00


def test_the_best_publish_hour() -> None:
    evening = [replace(a, published_at=a.published_at + timedelta(hours=11))
               if a.topic == "环保" else a for a in ARTICLES]
    found = rules.publish_times(replace(FACTS, articles=evening))
    assert [(s.code, s.data["when"]) for s in found] == [("best_weekday", 5), ("best_hour", 20)]


def test_collapsed_reads_are_re_check_candidates() -> None:
    assert [(s.data["item_id"], s.data["day7"], s.data["median"], s.data["ratio"])
            for s in rules.collapsed(FACTS)] == [(1, 40, 115.0, 0.35)]  # 50 is above 46


def test_items_that_drew_complaints() -> None:
    assert rules.complained(FACTS) == [Suggestion("complaints", {
        "item_id": 3, "title": "文章3", "count": 2, "least": 2})]
    assert rules.complained(replace(FACTS, complaints=COMPLAINTS[:1])) == []


def test_follower_loss_on_the_day_after_a_post() -> None:
    found = rules.follower_loss(FACTS)
    assert [(s.data["item_id"], s.data["day"], s.data["lost"], s.data["median"])
            for s in found] == [(1, date(2026, 11, 3), 9, 2.0)]  # 4 after item 6: under 5


def test_tickets_left_unanswered() -> None:
    assert rules.unanswered(FACTS) == [
        Suggestion("unanswered", {"count": 2, "oldest_hours": 30, "hours": 24})]


def test_slow_reply_hours() -> None:
    assert rules.slow_hours(FACTS) == [Suggestion("slow_hour", {
        "hour": 22, "median_minutes": 120, "overall_minutes": 10, "tickets": 5})]


def test_suggest_puts_people_waiting_first() -> None:
    assert codes(rules.suggest(FACTS)) == [
        "unanswered", "reads_collapsed", "complaints", "follower_loss", "slow_hour",
        "topic", "topic", "theme", "best_weekday"]


# Does not fire

def test_too_few_articles_for_any_reads_rule() -> None:
    few = replace(FACTS, articles=ARTICLES[:rules.MIN_ARTICLES - 1] + ARTICLES[10:])
    assert (rules.topics(few), rules.formats(few), rules.collapsed(few),
            rules.publish_times(few)) == ([], [], [], [])


def test_a_topic_of_two_articles_is_not_judged() -> None:
    two = [a for a in ARTICLES if a.item_id != 10]
    two += [article(12, "活动", date(2026, 11, 18), 115)]  # keep 10 articles with reads
    assert "环保" not in [s.data["name"] for s in rules.topics(replace(FACTS, articles=two))]


def test_follower_loss_needs_two_weeks_of_figures() -> None:
    assert rules.follower_loss(replace(FACTS, follower_days=FOLLOWERS[:13])) == []


@pytest.mark.parametrize("waited", [timedelta(hours=23, minutes=59), timedelta(0)])
def test_nothing_waits_a_day(waited: timedelta) -> None:
    waiting = Waiting.of([NOW - waited], rules.waited_long(NOW))
    assert rules.unanswered(replace(FACTS, waiting=waiting)) == []


def answers(responses: list[Response]) -> ResponseTimes:
    return ResponseTimes.of(responses, TZ)


def test_slow_hours_need_enough_tickets_and_a_real_delay() -> None:
    assert rules.slow_hours(replace(FACTS, responses=answers(RESPONSES[1:]))) == []  # 19 in all
    more = [*RESPONSES, RESPONSES[0]]  # 21, still 5 slow: fires
    assert len(rules.slow_hours(replace(FACTS, responses=answers(more)))) == 1
    only_four = RESPONSES[:15] + RESPONSES[16:] + RESPONSES[:1]  # 4 at 22:00
    assert rules.slow_hours(replace(FACTS, responses=answers(only_four))) == []
    quick = [Response(r.opened_at, r.opened_at + timedelta(minutes=30)) if r.minutes > 60
             else r for r in RESPONSES]  # 3 times the median, but half an hour
    assert rules.slow_hours(replace(FACTS, responses=answers(quick))) == []


def test_an_even_spread_suggests_nothing_about_reads() -> None:
    even = [replace(a, day7=100) for a in ARTICLES]
    facts = replace(FACTS, articles=even)
    assert (rules.topics(facts), rules.formats(facts), rules.collapsed(facts),
            rules.publish_times(facts)) == ([], [], [], [])


def test_every_suggestion_is_worded_with_its_numbers() -> None:
    from handlers import texts
    from workflow.stats import PeriodStats, Stats, this_month

    today = date(2026, 11, 26)
    base = Stats(today.replace(day=1), today, 10, 1, 5, 2, 0, [], True)
    found = rules.suggest(FACTS) + rules.publish_times(replace(FACTS, articles=[
        replace(a, published_at=a.published_at + timedelta(hours=11))
        if a.topic == "环保" else a for a in ARTICLES]))[1:]
    shown = texts.render("cmd/me_stats", days=26, stats=base, report=PeriodStats(
        this_month(today), base, [], [], 0, None, found))
    lines = shown.split("建议：")[1].strip().splitlines()
    assert len(lines) == len(found) == 10
    for line, suggestion in zip(lines, found, strict=True):
        assert suggestion.code not in line, line  # worded, not the fallback
    assert "22 点" in lines[4] and "120 分钟" in lines[4]
    assert "2 条投诉" in lines[2]
    assert "周六" in lines[8] and "20 点" in lines[9]


def test_a_message_names_an_article_by_its_exact_title_in_book_quotes() -> None:
    titles = rules.unique_titles([(1, "冬衣募集"), (2, "助学回访"), (3, "通知"), (4, "通知")])
    assert titles == {"冬衣募集": 1, "助学回访": 2}  # a shared title names neither
    assert rules.named_items("《冬衣募集》和《 助学回访 》都有错", titles) == {1, 2}
    assert rules.named_items("冬衣募集有错；《冬衣》；《通知》", titles) == set()
