"""Read the times staff type in chat (``明天 9:00``, ``周五 20:00``, ``2小时后``); write them back.

Pure: ``now`` is always passed in, timezone-aware in the account's zone, and results are in that
zone. A small explicit grammar rather than ``dateparser``: with ``languages=["zh"]`` dateparser 1.5
returned nothing for ``明天9点``, ``明天下午3点半``, ``明晚8点``, ``下周一``, ``12月1日``, ``9:00``
and ``半小时后``, read ``12-01 9:00`` as the year 2112, and took ``周四 11:00`` on a Thursday at
10:00 as next week.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from handlers.commands.grammar import CommandError

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_SHORTEST = timedelta(minutes=1)
_LONGEST = timedelta(days=30)
WEEKDAY_NAMES = "一二三四五六日"  # Monday first, as datetime.weekday()

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3}"

_DURATION = re.compile(
    r"(?P<n>[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十]{1,3})?\s*个?\s*(?P<half>半)?\s*"
    r"(?P<unit>小时|钟头|分钟|分|天|hours?|hrs?|h|minutes?|mins?|m|days?|d)")
_UNITS = {"小时": timedelta(hours=1), "钟头": timedelta(hours=1), "分钟": timedelta(minutes=1),
          "分": timedelta(minutes=1), "天": _DAY}
_LATIN_UNITS = {"h": timedelta(hours=1), "m": timedelta(minutes=1), "d": _DAY}
_RELATIVE = re.compile(r"(?P<amount>.+?)\s*(?:以后|之后|后)")

# 日/号 ends a date; without one, a digit right after means it was not a date (2026-12-0109:00).
_DATE_END = r"(?:[日号]|(?![0-9]))T?"
_FULL_DATE = re.compile(
    r"(?P<y>[0-9]{4})(?:[-/.]|年)(?P<mo>[0-9]{1,2})(?:[-/.]|月)(?P<d>[0-9]{1,2})"
    + _DATE_END)
_MONTH_DAY = re.compile(r"(?P<mo>[0-9]{1,2})(?:[-/]|月)(?P<d>[0-9]{1,2})" + _DATE_END)
_DAY_WORD = re.compile(r"大后天|后天|明天|明日|明儿|今天|今日|今儿|今晚|明晚|今夜|明夜|今早|明早")
_WEEKDAY = re.compile(
    r"(?P<pre>下下个?|下个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")

_DAY_WORDS = {"今": 0, "明": 1, "后": 2, "大": 3}
_WEEKDAY_INDEX = {**{name: i for i, name in enumerate(WEEKDAY_NAMES)}, "天": 6,
                  **{str(i + 1): i for i in range(7)}}
_WEEK_PREFIX = {"": None, "本": 0, "这": 0, "这个": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2}

_MORNING = {"凌晨", "清晨", "早上", "早晨", "上午", "早"}
_AFTERNOON = {"下午", "傍晚"}
_NIGHT = {"晚上", "夜里", "夜间", "晚", "夜"}
_PERIOD = "凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|晚|早"
_CLOCK = re.compile(
    rf"(?P<period>{_PERIOD})?\s*(?:"
    r"(?P<h>[0-9]{1,2})\s*:\s*(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
    rf"|(?P<hc>{_NUM})\s*[点时]\s*(?:(?P<half>半)|(?P<mc>{_NUM})\s*分?|整|钟)?)")



class WhenError(CommandError, ValueError):
    """Text that is not a usable time or duration: a refusal of the catalogue
    (templates/cmd/refused.j2, the times), its ``code`` and ``data``."""


class WhenPassed(ValueError):
    """The day or time as written, without a year or a day word, has already gone.

    Not moved on silently (a staff member who typed 12月1日 in December may have
    meant this month's, by mistake): the caller asks whether ``candidate``, the
    next such moment, was meant, and offers ``suggestion``, the text that names
    it unambiguously. ``what`` was written: ``date`` (a month and day), ``time``
    (a time alone) or ``weekday`` (周X, today's). ``clock`` is the time of day as
    written.
    """

    def __init__(self, what: str, candidate: datetime, clock: str) -> None:
        super().__init__(f"{what} passed: perhaps {candidate.isoformat()}")
        self.what, self.candidate, self.clock = what, candidate, clock
        self.weekday = WEEKDAY_NAMES[candidate.weekday()]
        day = {"date": f"{candidate:%Y-%m-%d}", "time": "明天"}.get(what, f"下周{self.weekday}")
        self.suggestion = f"{day} {clock}".strip()


@dataclass(frozen=True)
class _DayPart:
    """The date a message names. ``ask``: the question to put when the moment has
    already gone (``gone``: known already, ``day`` being the next such date), and
    ``roll`` how much later the next such day is."""

    day: date
    period: str = ""
    ask: str = ""
    roll: timedelta = _DAY
    gone: bool = False


def parse_when(text: str, now: datetime) -> datetime:
    """The moment ``text`` names, seen from ``now``, in ``now``'s zone (minute precision).

    Raises WhenError for text that names no moment, WhenPassed for a day or time
    without a year or day word that has already gone.
    """
    _require_aware(now)
    s = _normalise(text)
    if not s:
        raise WhenError("when_missing")
    relative = _RELATIVE.fullmatch(s)
    if relative and _DURATION.fullmatch(relative["amount"].lower()):
        later = now.astimezone(UTC) + parse_duration(relative["amount"])
        return later.astimezone(now.tzinfo).replace(second=0, microsecond=0)
    part, rest = _day_part(s, now)
    if part is not None and not rest:
        raise WhenError("when_no_clock", text=_quote(s))
    clock, extra_days = _clock(rest, part.period if part else "", s)
    part = part or _DayPart(now.date(), ask="time")
    when = datetime.combine(part.day + extra_days * _DAY, clock, tzinfo=now.tzinfo)
    if part.ask and (part.gone or is_past(when, now)):
        later = when if part.gone else datetime.combine(
            when.date() + part.roll, clock, tzinfo=now.tzinfo)
        raise WhenPassed(part.ask, later, rest)
    return when


def parse_day(text: str, now: datetime) -> date:
    """The day ``text`` names (a due date: no time of day), seen from ``now``.

    Raises WhenError for text that names no day, a time of day, or a day already
    gone; WhenPassed for a month and day without a year that has gone this year
    (asked, as for 排期: never moved to a year the person did not write).
    """
    _require_aware(now)
    s = _normalise(text)
    if not s:
        raise WhenError("day_missing")
    try:
        part, rest = _day_part(s, now)
    except WhenError as bad:  # said with examples of a day, not of a day and a time
        if bad.code != "no_such_day":
            raise
        raise WhenError("no_such_due_day", year=bad.data["year"], month=bad.data["month"],
                        day=bad.data["day"]) from None
    if part is None:
        raise WhenError("day_unclear", text=_quote(s))
    if rest:
        raise WhenError("day_with_clock")
    if part.gone:
        raise WhenPassed("date", datetime.combine(part.day, time(), now.tzinfo), "")
    if part.day < now.date():
        raise WhenError("day_gone", day=part.day, today=now.date())
    return part.day


def format_day(day: date, today: date) -> str:
    """``12月20日（周日）``; another year spelled out: ``2027年1月5日（周二）``."""
    year = f"{day.year}年" if day.year != today.year else ""
    return f"{year}{day.month}月{day.day}日（周{WEEKDAY_NAMES[day.weekday()]}）"


def format_date(day: date | str) -> str:
    """``2026年12月20日（周日）``: a due day in a notice, which may be read another day
    (or year) than it was written. Takes the ISO text a notice's context keeps."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{format_day(day, day)}"


def is_past(when: datetime, now: datetime) -> bool:
    """True unless ``when`` is still ahead of ``now``; a publish cannot be scheduled for it."""
    # In UTC: Python compares two times in the same zone by wall clock, ignoring DST folds.
    return when.astimezone(UTC) <= now.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """``2小时``, ``30分钟``, ``半小时``, ``1个半小时``, ``1.5小时``, ``90分``, ``2h``, ``1d`` …"""
    s = _normalise(text).lower()
    m = _DURATION.fullmatch(s)
    if not m or not (m["n"] or m["half"]):
        raise WhenError("duration_unclear", text=_quote(s))
    amount = (_number(m["n"]) if m["n"] else 0.0) + (0.5 if m["half"] else 0.0)
    try:
        duration = amount * _unit(m["unit"])
    except OverflowError:  # 99999999999999999999小时: beyond what a timedelta holds
        raise WhenError("duration_range") from None
    if not _SHORTEST <= duration <= _LONGEST:
        raise WhenError("duration_range")
    return duration


def format_when(when: datetime, now: datetime) -> str:
    """``今天 20:30``, ``明天（11月27日 周五）09:00``, ``12月1日（周二）09:00``.

    Another year is spelled out: ``2027年1月5日（周二）09:00``.
    """
    _require_aware(now)
    local = when.astimezone(now.tzinfo)
    clock = f"{local:%H:%M}"
    weekday = f"周{WEEKDAY_NAMES[local.weekday()]}"
    month_day = f"{local.month}月{local.day}日"
    days_ahead = (local.date() - now.date()).days
    if days_ahead == 0:
        return f"今天 {clock}"
    if days_ahead in (1, 2):
        word = "明天" if days_ahead == 1 else "后天"
        return f"{word}（{month_day} {weekday}）{clock}"
    return _dated(local, with_year=local.year != now.year)


def format_moment(when: datetime | str) -> str:
    """``2026年11月28日（周六）09:00`` in the time's own zone: for a notice, which may
    be read days after it was written, where "明天" would mislead. Takes the ISO
    text a notice's context keeps."""
    local = datetime.fromisoformat(when) if isinstance(when, str) else when
    _require_aware(local)
    return _dated(local, with_year=True)


def _dated(local: datetime, with_year: bool) -> str:
    """``[2027年]1月5日（周二）09:00``: a day by its date, not by how far off it is."""
    year = f"{local.year}年" if with_year else ""
    return (f"{year}{local.month}月{local.day}日（周{WEEKDAY_NAMES[local.weekday()]}）"
            f"{local:%H:%M}")


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be timezone-aware (the account's zone)")


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, colons and spaces (９：００, U+3000) into ASCII.
    s = unicodedata.normalize("NFKC", text)
    return " ".join(re.sub(r"[,、]", " ", s).split())


def _quote(s: str) -> str:
    return s if len(s) <= 20 else s[:20] + "…"


def _number(token: str) -> float:
    return float(token) if token[0].isdigit() else float(_chinese_int(token))


def _int(token: str) -> int:
    return int(token) if token.isdigit() else _chinese_int(token)


def _chinese_int(token: str) -> int:
    """``九`` → 9, ``十二`` → 12, ``二十五`` → 25 (all a clock or a duration needs)."""
    tens, ten, ones = token.partition("十")
    if not ten:
        tens, ones = "", token
    try:
        value = _CN_DIGITS[ones] if ones else 0
        if ten:
            value += 10 * (_CN_DIGITS[tens] if tens else 1)
    except KeyError:
        raise WhenError("number_unclear", text=token) from None
    return value


def _unit(unit: str) -> timedelta:
    return _UNITS.get(unit) or _LATIN_UNITS[unit[0]]


def _day_part(s: str, now: datetime) -> tuple[_DayPart | None, str]:
    """The date at the start of ``s``, if any, and the text after it."""
    today = now.date()
    if m := _FULL_DATE.match(s):
        part = _DayPart(_date(int(m["y"]), int(m["mo"]), int(m["d"])))
    elif m := _MONTH_DAY.match(s):
        day = _month_day(int(m["mo"]), int(m["d"]), today)
        part = _DayPart(day, ask="date", gone=True) if day.year != today.year \
            else _DayPart(day)
    elif m := _DAY_WORD.match(s):
        part = _relative_day(m[0], today)
    elif m := _WEEKDAY.match(s):
        part = _weekday(m["pre"] or "", m["wd"], today)
    else:
        return None, s
    return part, s[m.end():].strip()


def _date(year: int, month: int, day: int, any_year: bool = False) -> date:
    """The date, or a refusal naming it (without the year when ``any_year``)."""
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError("no_such_day", year=0 if any_year else year, month=month,
                        day=day) from None


def _month_day(month: int, day: int, today: date) -> date:
    # 2000 is a leap year, so only days no year has (2月30日, 13月1日) fail here.
    _date(2000, month, day, any_year=True)
    # Without a year: this year's, or next year's once the day has passed (asked, not taken).
    year = today.year + ((month, day) < (today.month, today.day))
    return _date(year, month, day)


def _relative_day(word: str, today: date) -> _DayPart:
    period = "晚" if word[-1] in "晚夜" else "早" if word[-1] == "早" else ""
    return _DayPart(today + _DAY_WORDS[word[0]] * _DAY, period=period)


def _weekday(prefix: str, name: str, today: date) -> _DayPart:
    target = _WEEKDAY_INDEX[name]
    weeks = _WEEK_PREFIX[prefix]
    if weeks is None:
        return _DayPart(today + ((target - today.weekday()) % 7) * _DAY,
                        ask="weekday", roll=_WEEK)
    monday = today - today.weekday() * _DAY
    return _DayPart(monday + weeks * _WEEK + target * _DAY)


def _clock(text: str, day_period: str, whole: str) -> tuple[time, int]:
    """The time of day in ``text``, and how many days later it falls (``今晚12点`` is midnight)."""
    m = _CLOCK.fullmatch(text)
    if not m:
        raise WhenError("when_unclear", text=_quote(whole))
    if m["h"] is not None:
        hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    else:
        hour, second = _int(m["hc"]), 0
        minute = 30 if m["half"] else _int(m["mc"]) if m["mc"] else 0
    if hour > 23 or minute > 59 or second > 59:
        raise WhenError("no_such_clock", hour=hour, minute=minute)
    hour, extra_days = _apply_period(hour, m["period"] or day_period, whole)
    return time(hour, minute, second), extra_days


def _apply_period(hour: int, period: str, whole: str) -> tuple[int, int]:
    """24-hour clock for ``下午3点``; ``晚上12点`` and ``夜里2点`` belong to the next day."""
    if period in _MORNING:
        if hour > 12:
            raise WhenError("morning_mismatch", text=_quote(whole), hour=hour)
        return hour, 0
    if period in _NIGHT and (hour == 12 or hour < 5):
        return hour % 12, 1
    if period in _AFTERNOON | _NIGHT and hour < 12:
        return hour + 12, 0
    if period == "中午" and hour < 11:
        return hour + 12, 0
    return hour, 0
