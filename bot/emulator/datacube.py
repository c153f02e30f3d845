"""Analytics (``/datacube/*``): date-range rules and deterministic numbers.

Numbers are derived from a hash of the endpoint, the date and the article, so
the same query always gives the same answer; rows seeded through the control
API replace the generated rows of their date.

The older article interfaces count only mass-sent articles, as the platform's
do: ``getarticlesummary`` a day's figures of each, ``getarticletotal`` for the
day an article was sent (``ref_date``) its running totals on each following
stat date, up to ``OLDER_DAYS`` of them and no later than the last day ready.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.emulator.errors import WeChatError

MAX_SPAN_DAYS = {"getusersummary": 7, "getusercumulate": 7,
                 "getarticlesummary": 1, "getarticletotal": 1,
                 # the current article interfaces (datacube_news): one day a call
                 "getarticleread": 1, "getarticleshare": 1, "getbizsummary": 1,
                 "getarticletotaldetail": 1}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = date(2020, 1, 1)
#: getarticletotal's details stop this many stat dates after the sending day.
OLDER_DAYS = 7
Row = dict[str, object]


@dataclass(frozen=True)
class SentArticle:
    """An article sent or published on `sent_on`, as analytics sees it."""

    msgid: str
    title: str
    sent_on: date
    mass: bool = False  # mass-sent (sendall), not only published (freepublish)


def parse_range(name: str, begin: object, end: object, today: date) -> list[date]:
    """The dates of a query, or 61500 (format) / 61501 (range) as WeChat answers."""
    first, last = _parse_date(begin), _parse_date(end)
    if last >= today or first > last or (last - first).days + 1 > MAX_SPAN_DAYS[name]:
        raise WeChatError(61501)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise WeChatError(61500)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WeChatError(61500) from None


def _number(low: int, spread: int, *parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return low + int(digest[:8], 16) % spread


def user_summary(day: date, _: Sequence[SentArticle]) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref, "user_source": 0, "new_user": _number(3, 40, "new", ref),
             "cancel_user": _number(0, 6, "cancel", ref)}]


def user_cumulate(day: date, _: Sequence[SentArticle]) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref,
             "cumulate_user": 1000 + 9 * (day - _EPOCH).days + _number(0, 9, "cum", ref)}]


def _reads(ref: str, msgid: str) -> Row:
    read_user = _number(50, 900, "read", ref, msgid)
    share_user = _number(0, 60, "share", ref, msgid)
    fav_user = _number(0, 30, "fav", ref, msgid)
    return {"int_page_read_user": read_user, "int_page_read_count": read_user + read_user // 4,
            "ori_page_read_user": read_user // 10, "ori_page_read_count": read_user // 8,
            "share_user": share_user, "share_count": share_user + share_user // 3,
            "add_to_fav_user": fav_user, "add_to_fav_count": fav_user}


def article_summary(day: date, articles: Sequence[SentArticle]) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref, "msgid": a.msgid, "title": a.title, "user_source": 0,
             **_reads(ref, a.msgid)} for a in articles if a.mass and a.sent_on <= day]


def older_totals(sent_on: date, msgid: str, last: date) -> list[Row]:
    """getarticletotal's details: from the sending day, each stat date's totals
    so far (the day's ``_reads`` added up), at most OLDER_DAYS, none after ``last``."""
    totals: dict[str, int] = {}
    out: list[Row] = []
    for n in range(min(OLDER_DAYS, (last - sent_on).days + 1)):
        stat = (sent_on + timedelta(days=n)).isoformat()
        for key, value in _reads(stat, msgid).items():
            totals[key] = totals.get(key, 0) + int(value)  # type: ignore[call-overload]
        out.append({"stat_date": stat, "target_user": _number(1000, 500, "target", msgid),
                    **totals})
    return out


def article_total(day: date, articles: Sequence[SentArticle], last: date) -> list[Row]:
    ref = day.isoformat()
    return [{"ref_date": ref, "msgid": a.msgid, "title": a.title,
             "details": older_totals(day, a.msgid, last)}
            for a in articles if a.mass and a.sent_on == day]


GENERATORS: dict[str, Callable[[date, Sequence[SentArticle]], list[Row]]] = {
    "getusersummary": user_summary, "getusercumulate": user_cumulate,
    "getarticlesummary": article_summary,
}


def query(name: str, days: list[date], articles: Sequence[SentArticle],
          seeded: dict[tuple[str, str], list[Row]],
          ready: Callable[[date], bool] = lambda _: True,
          last: date | None = None) -> list[Row]:
    """Rows of the days in ``days`` that are ``ready`` (yesterday is empty before);
    ``last``: the newest day ready, where getarticletotal's details stop."""
    rows: list[Row] = []
    for day in filter(ready, days):
        seed = seeded.get((name, day.isoformat()))
        if seed is not None:
            rows.extend(seed)
        elif name == "getarticletotal":
            rows.extend(article_total(day, articles, last or day))
        else:
            rows.extend(GENERATORS[name](day, articles))
    return rows
