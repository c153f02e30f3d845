"""Suggestions with the numbers behind them (pure). Each rule fires only when the
data supports it: a minimum sample and a threshold, both named below with the
reason. A suggestion is a code and its data; templates word it (cmd/suggestions.j2).

Reads are compared by day-7 reads (the running total on an article's 7th day):
every article has had the same time by then, and most reading is done.

Complaints count where a complaint is tied to an item for certain: a comment's
ticket (comment_tickets), or a message ticket raised as a complaint whose
messages name a published article by its exact title in 《》 (``named_items``).
Nothing else in a message's text is taken to mean an article.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from workflow.figures import Complaints, FollowerDay, Published, ResponseTimes, Waiting

#: Articles with day-7 reads needed before any reads comparison: the median of
#: fewer swings with a single article.
MIN_ARTICLES = 8
#: Articles a topic, theme, weekday or hour needs to be judged: one or two hits
#: are luck, not a pattern.
MIN_GROUP = 3
#: A group's median day-7 reads this far above / below the overall median is
#: "well above / below": half again as many, or two thirds as few.
ABOVE, BELOW = 1.5, 0.67
#: Publish times differ less than topics do; a quarter above the median is worth
#: trying again.
TIME_ABOVE = 1.25
#: Day-7 reads under 40% of the median: the article collapsed (re-check it: a
#: wrong title, a broken link, an outdated claim).
COLLAPSE = 0.4
#: Days of follower figures needed to know a normal day's unsubscribes.
MIN_FOLLOWER_DAYS = 14
#: Unsubscribes on the day after a post at least twice the median day's, and at
#: least 5 people (doubling 1 to 2 is noise).
LOSS_RATIO, MIN_LOSS = 2.0, 5
#: Complaint comments on one item that make it a re-check candidate: one is one
#: reader's view, two from the period are a pattern worth a look.
MIN_COMPLAINTS = 2
#: A follower waiting a whole day for a person has waited too long.
UNANSWERED_HOURS = 24
#: First responses needed overall, and per hour of the day, to call an hour slow.
MIN_RESPONSES, MIN_PER_HOUR = 20, 5
#: An hour is slow when its median first response is twice the overall median and
#: at least an hour (twice a 5-minute median is still fast).
SLOW_RATIO, SLOW_MINUTES = 2.0, 60.0


@dataclass(frozen=True)
class Suggestion:
    code: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Facts:
    articles: Sequence[Published]
    follower_days: Sequence[FollowerDay]
    responses: ResponseTimes  # first answers in the window (ResponseTimes.of)
    waiting: Waiting  # open tickets waiting for the team, over ``waited_long(now)``
    now: datetime
    tz: tzinfo
    complaints: Sequence[Complaints] = ()


#: How a follower names an article: its title between 《 and 》, as Chinese
#: writing quotes titles (a title is at most 64 characters on the platform).
TITLE_QUOTE = re.compile(r"《([^《》]{1,64})》")


def named_items(text: str, titles: Mapping[str, int]) -> set[int]:
    """The published items a message names: each title in 《》 that is exactly one
    published item's title (``titles``: title → item, with the titles two items
    share left out by the caller — a shared title names neither)."""
    return {titles[t.strip()] for t in TITLE_QUOTE.findall(text) if t.strip() in titles}


def unique_titles(items: Sequence[tuple[int, str]]) -> dict[str, int]:
    """Title → item for the titles only one item has."""
    seen: dict[str, list[int]] = {}
    for item_id, title in items:
        seen.setdefault(title.strip(), []).append(item_id)
    return {title: ids[0] for title, ids in seen.items() if title and len(ids) == 1}


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _read(facts: Facts) -> list[Published]:
    return [a for a in facts.articles if a.day7 is not None]


def _overall(facts: Facts) -> tuple[list[Published], float] | None:
    """The articles with day-7 reads and their median, None below the minimum."""
    read = _read(facts)
    if len(read) < MIN_ARTICLES:
        return None
    return read, _median([a.day7 or 0 for a in read])


def _groups(articles: Sequence[Published],
            key: Callable[[Published], Any]) -> dict[Any, list[int]]:
    found: dict[Any, list[int]] = {}
    for article in articles:
        found.setdefault(key(article), []).append(article.day7 or 0)
    return {name: reads for name, reads in found.items() if len(reads) >= MIN_GROUP}


def _spread(facts: Facts, code: str, key: Callable[[Published], Any]) -> list[Suggestion]:
    """Groups (topics, themes) whose median is well above or below the overall one."""
    known = _overall(facts)
    if known is None or not known[1]:
        return []
    read, overall = known
    out = []
    for name, reads in sorted(_groups(read, key).items(), key=lambda kv: str(kv[0])):
        ratio = _median(reads) / overall
        if ratio >= ABOVE or ratio <= BELOW:
            out.append(Suggestion(code, {
                "name": name, "above": ratio >= ABOVE, "median": _median(reads),
                "overall": overall, "articles": len(reads), "ratio": round(ratio, 2)}))
    return sorted(out, key=lambda s: -abs(s.data["ratio"] - 1))


def topics(facts: Facts) -> list[Suggestion]:
    with_topic = replace(facts, articles=[a for a in facts.articles if a.topic])
    return _spread(with_topic, "topic", lambda a: a.topic)


def formats(facts: Facts) -> list[Suggestion]:
    return _spread(facts, "theme", lambda a: a.theme)


def _best_time(facts: Facts, code: str, key: Callable[[Published], int]) -> list[Suggestion]:
    """The weekday (or hour) whose articles did best, when it clearly did."""
    known = _overall(facts)
    if known is None or not known[1]:
        return []
    read, overall = known
    groups = _groups(read, key)
    if len(groups) < 2:  # nothing to compare it with
        return []
    name, reads = max(groups.items(), key=lambda kv: (_median(kv[1]), -kv[0]))
    ratio = _median(reads) / overall
    if ratio < TIME_ABOVE:
        return []
    return [Suggestion(code, {"when": name, "median": _median(reads), "overall": overall,
                              "articles": len(reads), "ratio": round(ratio, 2)})]


def publish_times(facts: Facts) -> list[Suggestion]:
    def local(a: Published) -> datetime:
        return a.published_at.astimezone(facts.tz)
    return (_best_time(facts, "best_weekday", lambda a: local(a).weekday())
            + _best_time(facts, "best_hour", lambda a: local(a).hour))


def collapsed(facts: Facts) -> list[Suggestion]:
    """Articles whose day-7 reads fell far under the median: re-check candidates."""
    known = _overall(facts)
    if known is None:
        return []
    read, overall = known
    low = [a for a in read if (a.day7 or 0) < COLLAPSE * overall]
    return [Suggestion("reads_collapsed", {
        "item_id": a.item_id, "title": a.title, "day7": a.day7, "median": overall,
        "ratio": round((a.day7 or 0) / overall, 2)})
        for a in sorted(low, key=lambda a: (a.day7 or 0, a.item_id))]


def complained(facts: Facts) -> list[Suggestion]:
    """Items whose comments complained at least twice: re-check candidates."""
    return [Suggestion("complaints", {"item_id": c.item_id, "title": c.title,
                                      "count": c.count, "least": MIN_COMPLAINTS})
            for c in sorted(facts.complaints, key=lambda c: (-c.count, c.item_id))
            if c.count >= MIN_COMPLAINTS]


def follower_loss(facts: Facts) -> list[Suggestion]:
    """Posts followed the next day by far more unsubscribes than a normal day."""
    if len(facts.follower_days) < MIN_FOLLOWER_DAYS:
        return []
    lost = {d.day: d.lost for d in facts.follower_days}
    normal = _median(list(lost.values()))
    floor = max(MIN_LOSS, LOSS_RATIO * normal)
    out = []
    for article in sorted(facts.articles, key=lambda a: (a.published_at, a.item_id)):
        after = article.published_at.astimezone(facts.tz).date() + timedelta(days=1)
        if lost.get(after, 0) >= floor:
            out.append(Suggestion("follower_loss", {
                "item_id": article.item_id, "title": article.title, "day": after,
                "lost": lost[after], "median": normal}))
    return out


def waited_long(now: datetime) -> datetime:
    """Waiting since then or longer is waiting too long (``Facts.waiting``)."""
    return now - timedelta(hours=UNANSWERED_HOURS)


def unanswered(facts: Facts) -> list[Suggestion]:
    waiting = facts.waiting
    if not waiting.over or waiting.oldest is None:
        return []
    oldest = (facts.now - waiting.oldest).total_seconds() / 3600
    return [Suggestion("unanswered", {"count": waiting.over, "oldest_hours": int(oldest),
                                      "hours": UNANSWERED_HOURS})]


def slow_hours(facts: Facts) -> list[Suggestion]:
    """Hours of the day (when the ticket came in) answered much slower than usual."""
    times = facts.responses
    if times.answered < MIN_RESPONSES or times.median is None:
        return []
    overall = times.median
    out = []
    for hour, (count, median) in sorted(times.by_hour.items()):
        if (count >= MIN_PER_HOUR and median >= SLOW_MINUTES
                and median >= SLOW_RATIO * overall):
            out.append(Suggestion("slow_hour", {"hour": hour, "median_minutes": round(median),
                                                "overall_minutes": round(overall),
                                                "tickets": count}))
    return out


#: The rules, most urgent first: people waiting, then articles to re-check, then
#: what to do more or less of.
RULES: tuple[Callable[[Facts], list[Suggestion]], ...] = (
    unanswered, collapsed, complained, follower_loss, slow_hours, topics, formats, publish_times)


def suggest(facts: Facts) -> list[Suggestion]:
    """Every suggestion the data supports, most urgent first."""
    return [found for rule in RULES for found in rule(facts)]
