"""The platform's data, pure: span-sized steps, what is due again, when a day is
final, an item's numbers against the median, the article ↔ item match, and the
emulator's readiness and running totals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.emulator.clock import CHINA
from bot.emulator.datacube import SentArticle, article_summary, article_total, older_totals
from bot.emulator.datacube_news import Timing, answer, running_totals
from handlers import texts
from tests.unit.fakes import FakeFigures
from workflow.analytics import (
    DayRecord,
    DayStatus,
    Totals,
    daily_days,
    day_articles,
    due,
    item_numbers,
    match_items,
    median_of,
    msgid_key,
    numbers_for,
    older_details,
    older_only,
    plan,
    runs,
    status_of,
    steps,
)

D = date(2026, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_steps_never_exceed_the_span() -> None:
    assert steps(day(0), day(15), 7) == [(day(0), day(6)), (day(7), day(13)), (day(14), day(15))]
    assert steps(day(0), day(0), 7) == [(day(0), day(0))]
    assert steps(day(1), day(0), 7) == []
    assert len(steps(day(0), day(29), 1)) == 30


def test_runs_group_consecutive_days() -> None:
    assert runs([day(3), day(0), day(1), day(5), day(1)]) == [
        (day(0), day(1)), (day(3), day(3)), (day(5), day(5))]


def test_a_complete_day_is_never_asked_again_a_delayed_one_always() -> None:
    yesterday = day(10)
    assert due(None, yesterday)
    assert not due(DayRecord(DayStatus.COMPLETE, day(2)), yesterday)
    assert due(DayRecord(DayStatus.DELAYED, yesterday), yesterday)
    assert due(DayRecord(DayStatus.OPEN, day(9)), yesterday)
    assert not due(DayRecord(DayStatus.OPEN, yesterday), yesterday)


def test_running_totals_stay_open_for_thirty_days() -> None:
    assert status_of("getarticletotaldetail", day(0), False, day(28)) is DayStatus.OPEN
    assert status_of("getarticletotaldetail", day(0), False, day(29)) is DayStatus.COMPLETE
    assert status_of("getusersummary", day(0), False, day(0)) is DayStatus.COMPLETE
    assert status_of("getbizsummary", day(0), True, day(0)) is DayStatus.DELAYED


def test_the_older_running_totals_stay_open_for_seven_days() -> None:
    assert status_of("getarticletotal", day(0), False, day(5)) is DayStatus.OPEN
    assert status_of("getarticletotal", day(0), False, day(6)) is DayStatus.COMPLETE
    asked = daily_days(day(10))
    assert asked["getarticletotal"] == (day(4), day(10))  # each sending day's 7 stat dates
    assert asked["getarticletotaldetail"] == (day(10) - timedelta(days=29), day(10))
    assert asked["getarticlesummary"] == (day(10), day(10))


def test_only_what_the_current_interface_left_out_is_taken_from_the_older() -> None:
    current = [{"msgid": "11_1", "detail_list": []}]
    older = [{"msgid": "11_1", "title": "冬衣"}, {"msgid": "22_1", "title": "春游"}]
    assert older_only(older, current) == [{"msgid": "22_1", "title": "春游"}]
    assert older_only(older, []) == older


def test_the_older_details_read_as_running_totals() -> None:
    details = [{"stat_date": "2026-03-01", "target_user": 900, "int_page_read_user": 40,
                "int_page_read_count": 55, "share_user": 3, "add_to_fav_user": 1}]
    assert older_details(details) == [{"stat_date": "2026-03-01", "read_user": 40,
                                       "share_user": 3, "add_to_fav_user": 1}]


def test_a_days_articles_are_listed_once_with_any_title_their_rows_give() -> None:
    rows = [{"msgid": "11_1"}, {"msgid": "22_1", "title": "春游"},
            {"msgid": "11_1", "title": "冬衣"}]
    assert day_articles(rows, D) == [("11_1", D, "冬衣"), ("22_1", D, "春游")]


def test_the_emulators_older_interfaces_count_only_mass_sent_articles() -> None:
    sent = [SentArticle("5_1", "只发表", day(0)), SentArticle("6_1", "群发", day(0), mass=True)]
    assert [r["msgid"] for r in article_total(day(0), sent, day(0))] == ["6_1"]
    assert [r["msgid"] for r in article_summary(day(1), sent)] == ["6_1"]
    details = older_totals(day(0), "6_1", day(20))
    assert [d["stat_date"] for d in details] == [day(n).isoformat() for n in range(7)]
    reads = [int(d["int_page_read_user"]) for d in details]  # type: ignore[call-overload]
    assert reads == sorted(reads) and len(set(reads)) == 7  # running, each day adds
    assert len(older_totals(day(0), "6_1", day(2))) == 3  # none after the last day ready


def test_plan_skips_what_is_recorded_and_cuts_the_rest_by_span() -> None:
    done = {day(n): DayRecord(DayStatus.COMPLETE, day(n)) for n in (2, 3)}
    assert plan("getusersummary", day(0), day(12), done, day(12)) == [
        (day(0), day(1)), (day(4), day(10)), (day(11), day(12))]
    assert plan("getbizsummary", day(0), day(2), done, day(12)) == [
        (day(0), day(0)), (day(1), day(1))]


def totals(*reads: int) -> list[Totals]:
    return [Totals(n + 1, r, r // 10, r // 20, r // 40, 2) for n, r in enumerate(reads)]


def test_an_items_numbers_against_the_median_of_the_last_twenty() -> None:
    mine = totals(100, 150, 180, 200, 210, 220, 240)
    numbers = item_numbers(mine, [100, 300, 200] + [1] * 30)
    assert numbers is not None
    assert (numbers.reads_day1, numbers.reads_day7, numbers.reads_day30) == (100, 240, None)
    assert numbers.share_rate == 24 / 240
    assert (numbers.likes, numbers.zaikan, numbers.comments) == (12, 6, 2)
    assert numbers.compared == 20 and numbers.median_day7 == 1.0  # only the last 20 count
    assert item_numbers([], [1, 2]) is None
    young = item_numbers(totals(50), [100, 200])
    assert young is not None and young.vs_median is None and young.median_day7 == 150


def test_median() -> None:
    assert median_of([]) is None
    assert median_of([3, 1, 2]) == 2
    assert median_of([4, 1, 2, 3]) == 2.5


def test_numbers_for_reads_the_port() -> None:
    figures = FakeFigures()
    figures.totals[12] = totals(*range(100, 800, 100))
    figures.day7 = [350, 350]
    numbers = numbers_for(figures, 12)
    assert numbers is not None and numbers.vs_median == 2.0
    assert numbers_for(figures, 13) is None
    text = texts.phrase("item_numbers", "lines", n=numbers)
    assert "首日阅读 100，7 天 700，30 天 —" in text and "高 100%" in text


def test_articles_are_matched_to_items_only_when_certain() -> None:
    published = [(1, day(0), "冬衣"), (2, day(1), "春游"), (3, day(1), "义诊")]
    articles = [("9_1", day(0), ""), ("8_1", day(1), ""), ("8_2", day(1), "义诊"),
                ("7_1", day(2), "")]
    assert match_items(published, articles) == {"9_1": 1, "8_2": 3}
    assert msgid_key("2247490098_1") == ("2247490098", 1)
    assert msgid_key("oops") is None


def test_an_article_mapped_from_its_address_is_matched_whatever_its_title() -> None:
    """The comments' mapping (msg_data_id, index from 0) is exact: it settles the
    day of two untitled articles, which the title and day alone cannot."""
    published = [(2, day(1), "春游"), (3, day(1), "义诊")]
    articles = [("8_1", day(1), ""), ("8_2", day(1), ""), ("7_1", day(2), "")]
    assert match_items(published, articles) == {}
    known = {("8", 0): 2, ("8", 1): 3}
    assert match_items(published, articles, known) == {"8_1": 2, "8_2": 3}
    assert match_items(published, articles, {("8", 1): 2}) == {"8_2": 2}  # not 8_1


def test_the_emulator_has_yesterday_only_after_eight_plus_the_delay() -> None:
    timing = Timing(ready_hour=8, delay_hours=1.5)

    def at(hour: float) -> float:
        return (datetime.combine(day(1), datetime.min.time(), CHINA)
                + timedelta(hours=hour)).timestamp()

    assert not timing.ready(day(0), at(9))
    assert timing.ready(day(0), at(9.5))
    sent = [SentArticle("5_1", "t", day(0))]
    assert answer("getbizsummary", [day(0)], sent, timing, at(9), day(0))["list"] == []
    timing.delayed.add(day(0).isoformat())
    body = answer("getarticleread", [day(0)], sent, timing, at(10), day(0))
    assert body["is_delay"] is True and len(body["list"]) == 1  # type: ignore[arg-type]


def test_the_emulators_running_totals_grow_and_stop_at_thirty_days() -> None:
    rows = running_totals(day(0), "5_1", day(40))
    assert len(rows) == 30
    reads = [int(r["read_user"]) for r in rows]  # type: ignore[call-overload]
    assert reads == sorted(reads) and reads[0] > 0
    assert rows == running_totals(day(0), "5_1", day(40))  # deterministic
