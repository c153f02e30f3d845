"""The records the period read views return (ports.FiguresView): what 统计 and
the suggestions compute from. Plain data, no behaviour beyond a derived number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime


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
