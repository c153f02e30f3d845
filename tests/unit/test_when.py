"""handlers.when: the times staff type in chat, read against fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.when import (
    WhenError,
    WhenPassed,
    format_moment,
    format_when,
    is_past,
    parse_duration,
    parse_when,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
THU = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)  # Thursday morning
LATE = datetime(2026, 11, 26, 22, 45, tzinfo=SHANGHAI)  # the same Thursday, late evening
FRI = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # Friday morning
DEC = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)  # after 12月1日 this year


def _at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def test_the_clocks_are_the_days_the_tables_assume() -> None:
    assert (THU.weekday(), LATE.weekday(), FRI.weekday()) == (3, 3, 4)


READS = [
    # relative days, with and without a space, 点 and 上午/下午/晚
    (THU, "明天 9:00", "2026-11-27 09:00"),
    (THU, "明天9点", "2026-11-27 09:00"),
    (THU, "明天上午9点", "2026-11-27 09:00"),
    (THU, "明天下午3点半", "2026-11-27 15:30"),
    (THU, "明晚8点", "2026-11-27 20:00"),
    (THU, "今天 20:30", "2026-11-26 20:30"),
    (THU, "今晚 8点", "2026-11-26 20:00"),
    (THU, "后天 8:00", "2026-11-28 08:00"),
    (THU, "大后天 8:00", "2026-11-29 08:00"),
    (THU, "明早 7点", "2026-11-27 07:00"),
    (THU, "今天晚上8点", "2026-11-26 20:00"),
    (THU, "明天中午12点", "2026-11-27 12:00"),
    (THU, "明天中午1点", "2026-11-27 13:00"),
    (THU, "明天下午15:00", "2026-11-27 15:00"),
    (THU, "明天 9点15分", "2026-11-27 09:15"),
    (THU, "明天 9点05", "2026-11-27 09:05"),
    (THU, "明天 9点整", "2026-11-27 09:00"),
    (THU, "明天九点", "2026-11-27 09:00"),
    (THU, "明天下午三点半", "2026-11-27 15:30"),
    (THU, "明天十二点二十", "2026-11-27 12:20"),
    (THU, "今晚12点", "2026-11-27 00:00"),
    (THU, "今晚 2点", "2026-11-27 02:00"),
    # weekdays: the next one, today while the time is still ahead (else asked, below)
    (THU, "周五 20:00", "2026-11-27 20:00"),
    (THU, "星期五 20:00", "2026-11-27 20:00"),
    (THU, "礼拜五 20:00", "2026-11-27 20:00"),
    (FRI, "周五 20:00", "2026-11-27 20:00"),
    (THU, "周四 11:00", "2026-11-26 11:00"),
    (THU, "周三 9:00", "2026-12-02 09:00"),
    (THU, "周日 9:00", "2026-11-29 09:00"),
    (THU, "星期天 9:00", "2026-11-29 09:00"),
    (THU, "周7 9:00", "2026-11-29 09:00"),
    # 下周/本周: calendar weeks starting on Monday, taken literally
    (THU, "下周一 9:00", "2026-11-30 09:00"),
    (FRI, "下周一 9:00", "2026-11-30 09:00"),
    (THU, "下周五 9:00", "2026-12-04 09:00"),
    (THU, "下个星期三 9:00", "2026-12-02 09:00"),
    (THU, "下下周一 9:00", "2026-12-07 09:00"),
    (THU, "本周六 9:00", "2026-11-28 09:00"),
    (THU, "这周二 9:00", "2026-11-24 09:00"),
    # dates with a year are literal; without one, this year's (a day gone is asked, below)
    (THU, "2026-12-01 09:00", "2026-12-01 09:00"),
    (THU, "2026-12-01T09:00", "2026-12-01 09:00"),
    (THU, "2026-12-01T09:00:00", "2026-12-01 09:00"),
    (THU, "2026/12/1 9:00", "2026-12-01 09:00"),
    (THU, "2027年1月5日 9:00", "2027-01-05 09:00"),
    (DEC, "2026-12-01 09:00", "2026-12-01 09:00"),
    (THU, "12-01 9:00", "2026-12-01 09:00"),
    (THU, "12/1 9:00", "2026-12-01 09:00"),
    (THU, "12月1日 9:00", "2026-12-01 09:00"),
    (THU, "12月1号 上午9点", "2026-12-01 09:00"),
    (THU, "12月1号下午3点", "2026-12-01 15:00"),
    (THU, "12月1日9:00", "2026-12-01 09:00"),
    (THU, "12月1号9点", "2026-12-01 09:00"),
    (THU, "2026年12月1号下午3点半", "2026-12-01 15:30"),
    (THU, "11月26日 9:00", "2026-11-26 09:00"),
    (DEC, "12月20日 20:00", "2026-12-20 20:00"),
    # a time alone: today while it is ahead (else asked, below)
    (THU, "10:01", "2026-11-26 10:01"),
    (THU, "20:30", "2026-11-26 20:30"),
    (THU, "下午3点", "2026-11-26 15:00"),
    (LATE, "23:00", "2026-11-26 23:00"),
    # the late clock: 今天/今晚 stay today even when already past (the workflow refuses)
    (LATE, "今晚 8点", "2026-11-26 20:00"),
    (LATE, "明天 9:00", "2026-11-27 09:00"),
    (LATE, "周四 23:00", "2026-11-26 23:00"),
    # from now
    (THU, "2小时后", "2026-11-26 12:00"),
    (THU, "30分钟后", "2026-11-26 10:30"),
    (THU, "1天后", "2026-11-27 10:00"),
    (THU, "半小时后", "2026-11-26 10:30"),
    (THU, "1个半小时后", "2026-11-26 11:30"),
    (THU, "两小时以后", "2026-11-26 12:00"),
    (LATE, "2小时后", "2026-11-27 00:45"),
    # full-width digits, colons and spaces
    (THU, "明天　９：００", "2026-11-27 09:00"),
    (THU, "１２月１日　９点", "2026-12-01 09:00"),
    (THU, "  明天   9:00  ", "2026-11-27 09:00"),
    (THU, "明天 9 : 00", "2026-11-27 09:00"),
    (THU, "明天，9点", "2026-11-27 09:00"),
]


@pytest.mark.parametrize(("now", "text", "expected"), READS,
                         ids=[f"{now:%a%H%M}-{text}" for now, text, _ in READS])
def test_parse_when_reads(now: datetime, text: str, expected: str) -> None:
    got = parse_when(text, now)
    assert got == _at(expected)
    assert got.tzinfo == SHANGHAI


def test_relative_times_drop_the_seconds_of_now() -> None:
    now = THU.replace(second=37, microsecond=5)
    assert parse_when("30分钟后", now) == _at("2026-11-26 10:30")


def test_a_relative_time_is_elapsed_time_across_a_clock_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before_change = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)  # clocks go back at 03:00
    got = parse_when("2小时后", before_change)
    assert got.astimezone(UTC) - before_change.astimezone(UTC) == timedelta(hours=2)
    assert (got.hour, got.minute, got.fold) == (2, 30, 1)
    assert not is_past(got, before_change.replace(hour=2, minute=45))


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_when("明天 9:00", datetime(2026, 11, 26, 10, 0))


ERRORS = [  # text, the refusal's code, its data
    ("", "when_missing", {}),
    ("   ", "when_missing", {}),
    ("随便什么时候", "when_unclear", {"text": "随便什么时候"}),
    ("明天", "when_no_clock", {"text": "明天"}),
    ("周五", "when_no_clock", {"text": "周五"}),
    ("12月1日", "when_no_clock", {"text": "12月1日"}),
    ("2026-12-01", "when_no_clock", {"text": "2026-12-01"}),
    ("2月30日 9:00", "no_such_day", {"year": 0, "month": 2, "day": 30}),
    ("13月1日 9:00", "no_such_day", {"year": 0, "month": 13, "day": 1}),
    ("2026-02-30 09:00", "no_such_day", {"year": 2026, "month": 2, "day": 30}),
    ("2027年2月29日 9:00", "no_such_day", {"year": 2027, "month": 2, "day": 29}),
    ("25:00", "no_such_clock", {"hour": 25, "minute": 0}),
    ("明天 24:00", "no_such_clock", {"hour": 24, "minute": 0}),
    ("明天 9:60", "no_such_clock", {"hour": 9, "minute": 60}),
    ("明天 25点", "no_such_clock", {"hour": 25, "minute": 0}),
    ("上午15点", "morning_mismatch", {"text": "上午15点", "hour": 15}),
    ("明天 9点 吧", "when_unclear", {"text": "明天 9点 吧"}),
    ("2026-12-0109:00", "when_unclear", {"text": "2026-12-0109:00"}),
    ("12.1 9:00", "when_unclear", {"text": "12.1 9:00"}),
    ("3点一刻", "when_unclear", {"text": "3点一刻"}),
    ("2026-12-01 09:00+08:00", "when_unclear", {"text": "2026-12-01 09:00+08:…"}),  # shortened
    ("明天下午3点后", "when_unclear", {"text": "明天下午3点后"}),
    ("31天后", "duration_range", {}),
    ("99999999999999999999小时后", "duration_range", {}),
    ("周八 9:00", "when_unclear", {"text": "周八 9:00"}),
]


@pytest.mark.parametrize(("text", "code", "data"), ERRORS,
                         ids=[text or "empty" for text, *_ in ERRORS])
def test_parse_when_refuses_with_a_code_and_what_it_saw(text: str, code: str,
                                                        data: dict[str, object]) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, THU)
    assert (caught.value.code, caught.value.data) == (code, data)


def test_every_refusal_reads_with_an_example() -> None:
    """The catalogue's words (cmd/refused.j2, the times), rendered when shown."""
    for text, *_ in ERRORS:
        with pytest.raises(WhenError) as caught:
            parse_when(text, THU)
        assert "例如" in str(caught.value) or "可以这样写" in str(caught.value), text
    with pytest.raises(WhenError) as caught:
        parse_when("2026-02-30 09:00", THU)
    assert str(caught.value) == "没有2026年2月30日这一天，例如“12月1日 9:00”"
    with pytest.raises(WhenError) as caught:
        parse_when("明天 9:60", THU)
    assert caught.value.message == "没有9:60这个时间（0:00–23:59），例如“20:30”"


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)



# A day or time without a year or day word that has already gone: never moved on
# silently; the next such moment is offered, with the text that names it.
ASKED = [
    (DEC, "12月1日 9:00", "date", "2027-12-01 09:00", "2027-12-01 9:00"),
    (DEC, "12-01 9:00", "date", "2027-12-01 09:00", "2027-12-01 9:00"),
    (DEC, "12月1号下午3点", "date", "2027-12-01 15:00", "2027-12-01 下午3点"),
    (DEC, "1月5日 9:00", "date", "2027-01-05 09:00", "2027-01-05 9:00"),
    (THU, "11月25日 20:00", "date", "2027-11-25 20:00", "2027-11-25 20:00"),
    (THU, "9:00", "time", "2026-11-27 09:00", "明天 9:00"),
    (THU, "10:00", "time", "2026-11-27 10:00", "明天 10:00"),
    (THU, "凌晨2点", "time", "2026-11-27 02:00", "明天 凌晨2点"),
    (LATE, "9:00", "time", "2026-11-27 09:00", "明天 9:00"),
    (LATE, "22:30", "time", "2026-11-27 22:30", "明天 22:30"),
    (FRI, "周五 9:00", "weekday", "2026-12-04 09:00", "下周五 9:00"),
    (FRI, "星期五 10:00", "weekday", "2026-12-04 10:00", "下周五 10:00"),
    (THU, "周四 9:00", "weekday", "2026-12-03 09:00", "下周四 9:00"),
    (LATE, "周四 22:00", "weekday", "2026-12-03 22:00", "下周四 22:00"),
]


@pytest.mark.parametrize(("now", "text", "what", "candidate", "suggestion"), ASKED,
                         ids=[f"{now:%a%H%M}-{text}" for now, text, *_ in ASKED])
def test_a_day_or_time_already_gone_is_asked_not_moved(
        now: datetime, text: str, what: str, candidate: str, suggestion: str) -> None:
    with pytest.raises(WhenPassed) as asked:
        parse_when(text, now)
    assert asked.value.what == what
    assert asked.value.candidate == _at(candidate)
    assert asked.value.suggestion == suggestion
    assert parse_when(suggestion, now) == _at(candidate)  # what we offer reads back as meant


def test_a_month_day_that_is_today_is_this_years_even_when_its_time_has_gone() -> None:
    assert is_past(parse_when("12月20日 9:00", DEC), DEC)  # refused as past, not asked for 2027


def test_2月29日_without_a_year_waits_for_a_leap_year_only_if_asked() -> None:
    leap_now = datetime(2028, 1, 10, 10, 0, tzinfo=SHANGHAI)
    assert parse_when("2月29日 9:00", leap_now) == datetime(2028, 2, 29, 9, 0, tzinfo=SHANGHAI)
    with pytest.raises(WhenError) as caught:
        parse_when("2月29日 9:00", THU)
    assert (caught.value.code, caught.value.data) == ("no_such_day",
                                                      {"year": 2027, "month": 2, "day": 29})


# How the weekday words read on each day of the week (stated in 帮助 排期): weeks run
# Monday to Sunday. Rows: today, Monday first; columns: 一 … 日; cells: days from today.
# 周X: the next X from today on (today's while its time is ahead).
NEXT_X = """
0 1 2 3 4 5 6
6 0 1 2 3 4 5
5 6 0 1 2 3 4
4 5 6 0 1 2 3
3 4 5 6 0 1 2
2 3 4 5 6 0 1
1 2 3 4 5 6 0
"""
# 本周X, 这周X: this week's X, even when it has gone (negative: refused as past).
THIS_WEEK = """
0 1 2 3 4 5 6
-1 0 1 2 3 4 5
-2 -1 0 1 2 3 4
-3 -2 -1 0 1 2 3
-4 -3 -2 -1 0 1 2
-5 -4 -3 -2 -1 0 1
-6 -5 -4 -3 -2 -1 0
"""
# 下周X: the X of the following week, whatever today is (on Sunday 下周一 is tomorrow).
NEXT_WEEK = """
7 8 9 10 11 12 13
6 7 8 9 10 11 12
5 6 7 8 9 10 11
4 5 6 7 8 9 10
3 4 5 6 7 8 9
2 3 4 5 6 7 8
1 2 3 4 5 6 7
"""
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)
WEEKDAY_TABLE = [(prefix, today, target, int(cell))
                 for prefixes, grid in ((("周", "星期"), NEXT_X), (("本周", "这周"), THIS_WEEK),
                                        (("下周", "下个星期"), NEXT_WEEK))
                 for prefix in prefixes
                 for today, row in enumerate(grid.split("\n")[1:-1])
                 for target, cell in enumerate(row.split())]


@pytest.mark.parametrize(("prefix", "today", "target", "days"), WEEKDAY_TABLE,
                         ids=[f"{p}{'一二三四五六日'[t]}-on-{'一二三四五六日'[d]}"
                              for p, d, t, _ in WEEKDAY_TABLE])
def test_weekday_words_on_each_day_of_the_week(prefix: str, today: int, target: int,
                                               days: int) -> None:
    now = MONDAY + timedelta(days=today)  # 08:00, so 9:00 today is still ahead
    got = parse_when(f"{prefix}{'一二三四五六日'[target]} 9:00", now)
    assert got == (now + timedelta(days=days)).replace(hour=9)
    assert is_past(got, now) is (days < 0)


@pytest.mark.parametrize("today", range(7))
def test_todays_weekday_once_its_time_has_gone_is_asked_for_next_week(today: int) -> None:
    now = MONDAY + timedelta(days=today, hours=2)  # 10:00
    with pytest.raises(WhenPassed) as asked:
        parse_when(f"周{'一二三四五六日'[today]} 9:00", now)
    assert asked.value.candidate == (now + timedelta(days=7)).replace(hour=9)
    assert parse_when(asked.value.suggestion, now) == asked.value.candidate


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-11-26 09:59", True),
    ("2026-11-26 10:00", True),
    ("2026-11-26 10:01", False),
    ("2027-01-01 00:00", False),
])
def test_is_past(when: str, expected: bool) -> None:
    assert is_past(_at(when), THU) is expected


def test_a_past_iso_date_is_read_but_reported_past() -> None:
    assert is_past(parse_when("2026-12-01 09:00", DEC), DEC)
    assert is_past(parse_when("今晚 8点", LATE), LATE)


DURATIONS = [
    ("2小时", timedelta(hours=2)),
    ("30分钟", timedelta(minutes=30)),
    ("1天", timedelta(days=1)),
    ("半小时", timedelta(minutes=30)),
    ("1.5小时", timedelta(minutes=90)),
    ("1个半小时", timedelta(minutes=90)),
    ("90分", timedelta(minutes=90)),
    ("2h", timedelta(hours=2)),
    ("2H", timedelta(hours=2)),
    ("30m", timedelta(minutes=30)),
    ("30 min", timedelta(minutes=30)),
    ("1d", timedelta(days=1)),
    ("两个钟头", timedelta(hours=2)),
    ("二十分钟", timedelta(minutes=20)),
    ("半天", timedelta(hours=12)),
    ("１０分钟", timedelta(minutes=10)),
    ("1分钟", timedelta(minutes=1)),
    ("30天", timedelta(days=30)),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS, ids=[t for t, _ in DURATIONS])
def test_parse_duration_reads(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("", "duration_unclear"),
    ("小时", "duration_unclear"),
    ("2", "duration_unclear"),
    ("2周", "duration_unclear"),
    ("abc", "duration_unclear"),
    ("0分钟", "duration_range"),
    ("0.5分钟", "duration_range"),
    ("31天", "duration_range"),
    ("1000h", "duration_range"),
    ("99999999999999999999小时", "duration_range"),  # more than a timedelta holds
    ("1" + "0" * 400 + "天", "duration_range"),  # a float's infinity
])
def test_parse_duration_refuses(text: str, code: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_duration(text)
    assert caught.value.code == code
    assert caught.value.data == ({"text": text} if code == "duration_unclear" else {})


FORMATS = [
    ("2026-11-26 20:30", "今天 20:30"),
    ("2026-11-27 09:00", "明天（11月27日 周五）09:00"),
    ("2026-11-28 08:00", "后天（11月28日 周六）08:00"),
    ("2026-12-01 09:00", "12月1日（周二）09:00"),
    ("2026-11-20 09:00", "11月20日（周五）09:00"),
    ("2027-01-05 09:00", "2027年1月5日（周二）09:00"),
]


@pytest.mark.parametrize(("when", "expected"), FORMATS, ids=[e for _, e in FORMATS])
def test_format_when(when: str, expected: str) -> None:
    assert format_when(_at(when), THU) == expected


def test_format_when_shows_the_accounts_zone() -> None:
    utc_moment = datetime(2026, 11, 27, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert format_when(utc_moment, THU) == "明天（11月27日 周五）09:00"


def test_format_moment_is_absolute_in_the_times_own_zone() -> None:
    assert format_moment("2026-11-28T09:00:00+08:00") == "2026年11月28日（周六）09:00"
    utc_moment = datetime(2026, 11, 27, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert format_moment(utc_moment.astimezone(SHANGHAI)) == "2026年11月27日（周五）09:00"
    with pytest.raises(TypeError):
        format_moment("2026-11-28T09:00:00")  # a naive time has no zone to show


def test_what_is_read_formats_back_the_way_staff_said_it() -> None:
    assert format_when(parse_when("明天 9:00", THU), THU) == "明天（11月27日 周五）09:00"
    assert format_when(parse_when("周五 20:00", FRI), FRI) == "今天 20:00"
    assert format_when(parse_when("2027年12月1日 9:00", DEC), DEC) == "2027年12月1日（周三）09:00"
