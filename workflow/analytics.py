"""The platform's data: which days to ask for, in what steps, when a day is done,
and the numbers an item shows (pure: no database, no HTTP).

The read model (storage/analytics.py) this module reasons about:

- ``analytics_days`` (endpoint, day): one row per endpoint and day asked, with
  ``status`` (``complete``, ``delayed``: the platform said ``is_delay``, or
  ``open``: a publish day's running totals still growing: getarticletotaldetail's
  for 30 days, the older getarticletotal's for 7), ``through``
  (the last stat date the answer covered) and the answer's rows as JSON.
  Storing a day again replaces its row. The backfill resumes from it: a day
  recorded complete is never asked again.
- ``follower_metrics`` (day): new, cancelled and cumulative followers.
- ``article_metrics`` (msgid, day): one article's figures on one day: ``reads`` and
  ``shares`` that day, ``total_reads``/``total_shares``/``likes``/``zaikan``/
  ``comments`` running since it was published, ``read_sources`` (JSON, source →
  readers), ``item_id`` when the article is known to be a wxops item. An article
  the current interface (getarticletotaldetail) gives is stored from it; one only
  the older getarticletotal gives for its sending day (a mass-sent article the
  current interface leaves out) is stored from that (``older_details``: reads,
  shares and favourites; no likes, 在看, comments or sources there). Never both.

A reports slice reads ``article_metrics`` by item or by day range and
``follower_metrics`` by day range; ``analytics_days`` says how far the data is
final.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

#: Longest span in days each datacube interface accepts (WECHAT.md; the current
#: article interfaces: one day a call).
SPANS: dict[str, int] = {
    "getusersummary": 7, "getusercumulate": 7, "getarticlesummary": 1, "getarticletotal": 1,
    "getarticleread": 1, "getarticleshare": 1, "getbizsummary": 1, "getarticletotaldetail": 1}
#: What the daily job and the backfill pull, in order. getbizsummary comes first:
#: it has a row for every day the platform has ready, so an empty answer means
#: "not yet available" and the rest is not asked.
PULLED = ("getbizsummary", "getusersummary", "getusercumulate", "getarticleread",
          "getarticleshare", "getarticletotaldetail", "getarticlesummary", "getarticletotal")
ANCHOR = "getbizsummary"
TOTALS = "getarticletotaldetail"
#: The older interface's running totals of mass-sent articles (``details``).
OLDER_TOTALS = "getarticletotal"
#: getarticletotaldetail keeps counting an article for 30 days from publishing.
DETAIL_DAYS = 30
#: getarticletotal, for 7 stat dates from the sending day.
OLDER_DAYS = 7
#: The running totals: a publish day stays open until this many stat dates are in.
RUNNING = {TOTALS: DETAIL_DAYS, OLDER_TOTALS: OLDER_DAYS}
#: Articles the item's numbers are compared with.
COMPARED = 20


class DayStatus(StrEnum):
    COMPLETE = "complete"
    DELAYED = "delayed"
    OPEN = "open"


@dataclass(frozen=True)
class DayRecord:
    status: DayStatus
    through: date


def steps(first: date, last: date, span: int) -> list[tuple[date, date]]:
    """``first``..``last`` cut into ranges of at most ``span`` days."""
    out: list[tuple[date, date]] = []
    while first <= last:
        end = min(last, first + timedelta(days=span - 1))
        out.append((first, end))
        first = end + timedelta(days=1)
    return out


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def due(record: DayRecord | None, yesterday: date) -> bool:
    """Whether a day of one endpoint is asked (again) when ``yesterday`` is the
    newest day: never asked, delayed, or running totals not yet asked this day."""
    if record is None:
        return True
    if record.status is DayStatus.COMPLETE:
        return False
    return record.status is DayStatus.DELAYED or record.through < yesterday


def status_of(endpoint: str, day: date, is_delay: bool, through: date) -> DayStatus:
    """What one answer makes of a day: delayed when the platform says so; a
    publish day of running totals stays open until its days are in (RUNNING)."""
    if is_delay:
        return DayStatus.DELAYED
    if endpoint in RUNNING and through < day + timedelta(days=RUNNING[endpoint] - 1):
        return DayStatus.OPEN
    return DayStatus.COMPLETE


def plan(endpoint: str, first: date, last: date, records: dict[date, DayRecord],
         yesterday: date) -> list[tuple[date, date]]:
    """The calls (ranges within the endpoint's span) that fetch the days due."""
    wanted = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    todo = [d for d in wanted if due(records.get(d), yesterday)]
    return [step for a, b in runs(todo) for step in steps(a, b, SPANS[endpoint])]


def daily_days(yesterday: date) -> dict[str, tuple[date, date]]:
    """The days the daily job asks of each endpoint: yesterday, and for the running
    totals every publish day whose days (RUNNING) are not over."""
    return {name: (yesterday - timedelta(days=RUNNING.get(name, 1) - 1), yesterday)
            for name in PULLED}


def steps_count(first: date, last: date, records: dict[str, dict[date, DayRecord]],
                yesterday: date) -> int:
    """How many calls a backfill from ``first`` to ``last`` makes (for the quota)."""
    return sum(len(plan(name, first, last, records.get(name, {}), yesterday))
               for name in PULLED)


# --- an item's numbers ------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """An article's running totals on one day since publishing (day 1: its first)."""

    day: int
    reads: int
    shares: int
    likes: int
    zaikan: int
    comments: int


@dataclass(frozen=True)
class ItemNumbers:
    reads_day1: int | None
    reads_day7: int | None
    reads_day30: int | None
    share_rate: float | None  # shares per read, latest totals
    likes: int
    zaikan: int
    comments: int
    median_day7: float | None  # the last 20 published articles' day-7 reads
    vs_median: float | None  # this item's day-7 reads over that median (1.0: equal)
    compared: int  # how many articles the median is of


def reads_on(totals: Sequence[Totals], day: int) -> int | None:
    return next((t.reads for t in totals if t.day == day), None)


def item_numbers(totals: Sequence[Totals], others_day7: Sequence[int]) -> ItemNumbers | None:
    """An item's numbers from its running totals, against the day-7 reads of the
    last published articles (None: no figures pulled for it yet)."""
    if not totals:
        return None
    last = max(totals, key=lambda t: t.day)
    day7 = reads_on(totals, 7)
    median = median_of(others_day7[:COMPARED])
    ratio = day7 / median if day7 is not None and median else None
    return ItemNumbers(reads_on(totals, 1), day7, reads_on(totals, 30),
                       last.shares / last.reads if last.reads else None,
                       last.likes, last.zaikan, last.comments, median, ratio,
                       len(others_day7[:COMPARED]))


class ItemFigures(Protocol):
    """The read port the numbers need (workflow.ports.FiguresView has it)."""

    def item_totals(self, item_id: int) -> Sequence[Totals]: ...

    def recent_day7(self, except_item: int, limit: int) -> Sequence[int]: ...


def numbers_for(figures: ItemFigures, item_id: int) -> ItemNumbers | None:
    """查看's numbers of one item: None until the platform's figures for it are in."""
    return item_numbers(figures.item_totals(item_id), figures.recent_day7(item_id, COMPARED))


def median_of(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def msgid_key(msgid: str) -> tuple[str, int] | None:
    """``<msg_data_id>_<index>`` split (the index as the platform counts it, from 1)."""
    head, _, tail = msgid.rpartition("_")
    return (head, int(tail)) if head and tail.isdigit() else None


def older_only(older: Sequence[Mapping[str, Any]],
               current: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """getarticletotal's rows of a sending day whose article getarticletotaldetail
    did not give that day (the current interface wins: an article is stored once)."""
    given = {str(r.get("msgid")) for r in current}
    return [r for r in older if str(r.get("msgid")) not in given]


def older_details(details: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """getarticletotal's details as the current interface's running totals: readers
    of the article page, sharers and favouriters so far on each stat date."""
    return [{"stat_date": str(d["stat_date"]), "read_user": int(d.get("int_page_read_user", 0)),
             "share_user": int(d.get("share_user", 0)),
             "add_to_fav_user": int(d.get("add_to_fav_user", 0))} for d in details]


def day_articles(rows: Sequence[Mapping[str, Any]], day: date) -> list[tuple[str, date, str]]:
    """(msgid, publish day, title) of a publish day's rows, each msgid once (with
    the title any of its rows gives)."""
    titles: dict[str, str] = {}
    for r in rows:
        msgid = str(r["msgid"])
        titles[msgid] = titles.get(msgid) or str(r.get("title") or "")
    return [(msgid, day, title) for msgid, title in titles.items()]


def match_items(published: Sequence[tuple[int, date, str]],
                articles: Sequence[tuple[str, date, str]],
                known: Mapping[tuple[str, int], int] | None = None) -> dict[str, int]:
    """msgid → item id, only where the match is certain: the article the item was
    mapped to from its address (``known``: (msg_data_id, 0-based index) → item, as
    workflow/comments.py reads it), else the same title on the same publish day,
    or the one wxops item and the one article of a day. What is left is not
    guessed (reported unmapped)."""
    found: dict[str, int] = {}
    for msgid, day, title in articles:
        key = msgid_key(msgid)
        if known and key and (key[0], key[1] - 1) in known:
            found[msgid] = known[(key[0], key[1] - 1)]
            continue
        same_day = [p for p in published if p[1] == day]
        by_title = [p for p in same_day if title and p[2] == title]
        only = len(same_day) == 1 and sum(1 for a in articles if a[1] == day) == 1
        if len(by_title) == 1 or only:
            found[msgid] = (by_title or same_day)[0][0]
    return found
