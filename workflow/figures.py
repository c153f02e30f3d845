"""The records the period read views return (ports.FiguresView): what 统计 and
the suggestions compute from. Plain data, no behaviour beyond a derived number."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo


@dataclass(frozen=True)
class ArticleReads:
    """One article's reads and shares summed over a period (per-day figures)."""

    msgid: str
    item_id: int | None
    title: str  # the wxops item's title, "" for an article wxops does not know
    reads: int
    shares: int


@dataclass(frozen=True)
class Response:
    """A ticket's first answer: when it was opened and first answered (UTC)."""

    opened_at: datetime
    answered_at: datetime

    @property
    def minutes(self) -> float:
        return max(0.0, (self.answered_at - self.opened_at).total_seconds() / 60)


@dataclass(frozen=True)
class ResponseTimes:
    """First answers summed up: how many (``answered``), their median in minutes,
    and per local hour of the day the ticket was opened, how many and their
    median (``by_hour``: hour -> (count, median)). What 统计 and its
    suggestions weigh; the database may sum them up (storage/response_times.py)
    or ``of`` from the answers themselves, alike."""

    answered: int = 0
    median: float | None = None
    by_hour: Mapping[int, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, responses: Iterable[Response], tz: tzinfo) -> ResponseTimes:
        every: list[float] = []
        hours: dict[int, list[float]] = {}
        for r in responses:
            every.append(r.minutes)
            hours.setdefault(r.opened_at.astimezone(tz).hour, []).append(r.minutes)
        return cls(len(every), float(statistics.median(every)) if every else None,
                   {h: (len(m), float(statistics.median(m))) for h, m in sorted(hours.items())})


@dataclass(frozen=True)
class Published:
    """A published wxops item and its day-7 reads (running total; None: not pulled)."""

    item_id: int
    title: str
    topic: str
    theme: str  # the layout theme, "" for the default one
    published_at: datetime
    day7: int | None


@dataclass(frozen=True)
class Complaints:
    """Comments on one item that raised their ticket's priority (complaint words)."""

    item_id: int
    title: str
    count: int


@dataclass(frozen=True)
class FollowerDay:
    day: date
    new: int
    lost: int
    total: int = 0  # followers at the day's end (the platform's cumulate_user)


@dataclass(frozen=True)
class SourceTotals:
    """One article's readers by read source, running since it was published, on
    one day (source: the platform's number as text, "99999999" for all)."""

    msgid: str
    day: date
    sources: Mapping[str, int]


@dataclass(frozen=True)
class Waiting:
    """Open tickets waiting for the team: how many have waited since a given
    moment or longer (``over``), and since when the longest waiting has."""

    over: int = 0
    oldest: datetime | None = None

    @classmethod
    def of(cls, since: Iterable[datetime], before: datetime) -> Waiting:
        """From each open ticket's start of waiting; ``before``: the moment."""
        every = list(since)
        return cls(sum(1 for s in every if s <= before), min(every, default=None))


@dataclass(frozen=True)
class Titled:
    """A published item as 统计 lists it: its id and title."""

    id: int
    title: str


@dataclass(frozen=True)
class PeriodTotals:
    """A period's totals, read together (one statement on the server): the
    days of platform follower figures with their new and lost followers, the
    open tickets, and whether any platform figures were ever pulled."""

    follower_days: int = 0
    new_followers: int = 0
    lost_followers: int = 0
    open_tickets: int = 0
    analytics_pulled: bool = False
