"""Quarters of the calendar, as the quarterly evaluation (五) counts them, and
the hourly job's decision about the one ended last (bot/evaluation.py runs it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import Enum

from workflow import stats

#: The staff survey is asked only this many days into the next quarter at most: a
#: worker first started long after a quarter ended does not ask about it.
ASK_WITHIN_DAYS = 31


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1–4

    @property
    def name(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return self.next().first - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year,
                                                                            self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year,
                                                                            self.number - 1)

    def span(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """Its local days as a UTC [since, until) range."""
        return stats.utc_span(stats.Period(self.first, self.last), tz)


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


_QUARTER = re.compile(r"(\d{4})\s*[Qq](\d)")


def parse_quarter(text: str, today: date) -> Quarter:
    """``2026Q4`` (or ``2026q4``): a quarter that has begun by ``today``;
    ValueError("malformed") or ValueError("future") otherwise."""
    found = _QUARTER.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 4 or int(found.group(1)) < 1:
        raise ValueError("malformed")
    quarter = Quarter(int(found.group(1)), int(found.group(2)))
    if quarter.first > today:
        raise ValueError("future")
    return quarter


def last_ended(today: date) -> Quarter:
    """The quarter that ended most recently before ``today``."""
    return quarter_of(today).previous()


class Next(Enum):
    NOTHING = "nothing"
    ASK = "ask"  # ask the staff survey's questions
    MAKE = "make"  # make the evaluation and send its link


def quarterly_step(quarter: Quarter, today: date, asked_at: datetime | None,
                   all_answered: bool, sent: bool, now: datetime, wait: timedelta) -> Next:
    """What the hourly job does about ``quarter`` (the one ended last): once it is
    over, ask the survey (only within ``ASK_WITHIN_DAYS`` of its end), then make
    and send the evaluation once everyone has answered or ``wait`` has passed."""
    if sent or today <= quarter.last:
        return Next.NOTHING
    if asked_at is None:
        late = today > quarter.last + timedelta(days=ASK_WITHIN_DAYS)
        return Next.NOTHING if late else Next.ASK
    return Next.MAKE if all_answered or now >= asked_at + wait else Next.NOTHING
