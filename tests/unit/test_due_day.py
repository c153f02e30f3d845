"""handlers.when.parse_day: the due day of 选题 … 截止, 截止 12 and wxops item due."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.when import WhenError, WhenPassed, format_date, format_day, parse_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
THU = datetime(2026, 11, 26, 23, 30, tzinfo=SHANGHAI)  # Thursday, late: still the 26th here


@pytest.mark.parametrize(("text", "expected"), [
    ("今天", date(2026, 11, 26)),
    ("明天", date(2026, 11, 27)),
    ("后天", date(2026, 11, 28)),
    ("周五", date(2026, 11, 27)),
    ("周四", date(2026, 11, 26)),       # today's weekday is today: not gone yet
    ("周三", date(2026, 12, 2)),        # the next Wednesday
    ("下周一", date(2026, 11, 30)),
    ("12月20日", date(2026, 12, 20)),
    ("12-20", date(2026, 12, 20)),
    ("１２月２０日", date(2026, 12, 20)),  # full-width, as a phone keyboard types it
    ("2027-01-05", date(2027, 1, 5)),
    ("11月26日", date(2026, 11, 26)),   # today, written as a date
])
def test_parse_day_reads(text: str, expected: date) -> None:
    assert parse_day(text, THU) == expected


def test_a_month_and_day_gone_this_year_is_asked_not_moved() -> None:
    with pytest.raises(WhenPassed) as asked:
        parse_day("11月20日", THU)
    assert asked.value.what == "date"
    assert asked.value.candidate.date() == date(2027, 11, 20)
    assert asked.value.suggestion == "2027-11-20"
    assert parse_day(asked.value.suggestion, THU) == date(2027, 11, 20)  # the offer reads back


@pytest.mark.parametrize(("text", "code", "data"), [
    ("", "day_missing", {}),
    ("  ", "day_missing", {}),
    ("下周五 9:00", "day_with_clock", {}),
    ("明天下午3点", "day_with_clock", {}),
    ("2026-11-25", "day_gone", {"day": date(2026, 11, 25), "today": date(2026, 11, 26)}),
    ("昨天", "day_unclear", {"text": "昨天"}),
    ("很快", "day_unclear", {"text": "很快"}),
    ("2026-02-30", "no_such_due_day", {"year": 2026, "month": 2, "day": 30}),
    ("13月1日", "no_such_due_day", {"year": 0, "month": 13, "day": 1}),
])
def test_parse_day_refuses(text: str, code: str, data: dict[str, object]) -> None:
    with pytest.raises(WhenError) as caught:
        parse_day(text, THU)
    assert (caught.value.code, caught.value.data) == (code, data)


def test_a_day_gone_reads_as_before() -> None:
    with pytest.raises(WhenError) as caught:
        parse_day("2026-11-25", THU)
    assert str(caught.value) == "11月25日（周三） 已经过去了，请选择今天或以后的日期"


def test_a_day_that_does_not_exist_is_said_with_examples_of_a_day() -> None:
    """Not the scheduling example “12月1日 9:00”, which a due day refuses (day_with_clock)."""
    with pytest.raises(WhenError) as caught:
        parse_day("2026-13-40", THU)
    assert str(caught.value) == (
        "没有2026年13月40日这一天，可以这样写：周五、下周一、12月20日、2026-12-20")


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_day("明天", datetime(2026, 11, 26))


def test_days_are_written_with_their_weekday_and_another_year_in_full() -> None:
    assert format_day(date(2026, 12, 20), date(2026, 11, 26)) == "12月20日（周日）"
    assert format_day(date(2027, 1, 5), date(2026, 11, 26)) == "2027年1月5日（周二）"
    assert format_date("2026-12-20") == "2026年12月20日（周日）"
