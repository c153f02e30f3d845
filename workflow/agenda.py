"""The planning calendar (日程): drafts due, publishes scheduled and articles
published, day by day over a week or a month, with what is overdue and which
topics have no due date yet. Pure: the items and the account's zone come in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from workflow.model import ContentItem
from workflow.states import WRITING_STATES, State

#: States in which an item's scheduled time is still a publish to come (or one
#: that is going out, or failed to).
_PUBLISHING = frozenset({State.SCHEDULED, State.PUBLISHING, State.PUBLISH_FAILED})


class Period(StrEnum):
    THIS_WEEK = "this_week"
    NEXT_WEEK = "next_week"
    THIS_MONTH = "this_month"


#: The words 日程 takes (Chinese first, English aliases after).
PERIOD_WORDS: dict[str, str] = {
    "本周": Period.THIS_WEEK, "下周": Period.NEXT_WEEK, "本月": Period.THIS_MONTH,
    "week": Period.THIS_WEEK, "next": Period.NEXT_WEEK, "month": Period.THIS_MONTH,
}


class EntryKind(StrEnum):
    DUE = "due"                # a draft is due that day
    SCHEDULED = "scheduled"    # a publish is set for that day
    PUBLISHED = "published"    # an article went out that day


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    item: ContentItem
    at: datetime | None = None  # local time of a publish; None for a due day


@dataclass
class Agenda:
    first: date
    last: date
    today: date
    days: list[tuple[date, list[Entry]]] = field(default_factory=list)  # days with entries
    overdue: list[ContentItem] = field(default_factory=list)  # due before today, not in
    undated: list[ContentItem] = field(default_factory=list)  # being written, no due day

    @property
    def empty(self) -> bool:
        return not (self.days or self.overdue or self.undated)


def period_days(period: Period, today: date) -> tuple[date, date]:
    """The first and last day of ``period`` (weeks run Monday to Sunday)."""
    monday = today - timedelta(days=today.weekday())
    if period is Period.THIS_WEEK:
        return monday, monday + timedelta(days=6)
    if period is Period.NEXT_WEEK:
        return monday + timedelta(days=7), monday + timedelta(days=13)
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def bounds(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The moments a storage query needs: local midnight of ``first`` to the
    midnight after ``last`` (end excluded)."""
    start = datetime.combine(first, datetime.min.time(), tz)
    return start, datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)


def build(items: Iterable[ContentItem], first: date, last: date, today: date,
          tz: tzinfo) -> Agenda:
    """Sort ``items`` into the calendar from ``first`` to ``last``."""
    agenda = Agenda(first, last, today)
    by_day: dict[date, list[Entry]] = {}
    for item in items:
        for day, entry in _entries(item, tz):
            if first <= day <= last and not (entry.kind is EntryKind.DUE and day < today):
                by_day.setdefault(day, []).append(entry)
        if item.state in WRITING_STATES:
            if item.due_on is None:
                agenda.undated.append(item)
            elif item.due_on < today:
                agenda.overdue.append(item)
    agenda.days = [(day, sorted(by_day[day], key=_order)) for day in sorted(by_day)]
    agenda.overdue.sort(key=lambda it: (it.due_on or today, it.id))
    agenda.undated.sort(key=lambda it: it.id)
    return agenda


def _entries(item: ContentItem, tz: tzinfo) -> list[tuple[date, Entry]]:
    """Where ``item`` falls in a calendar: its due day while it is being written
    (not when overdue: that is listed apart), its publish time, its publication."""
    found = []
    if item.state in WRITING_STATES and item.due_on is not None:
        found.append((item.due_on, Entry(EntryKind.DUE, item)))
    if item.scheduled_at is not None and item.state in _PUBLISHING:
        at = item.scheduled_at.astimezone(tz)
        found.append((at.date(), Entry(EntryKind.SCHEDULED, item, at)))
    if item.published_at is not None:
        at = item.published_at.astimezone(tz)
        found.append((at.date(), Entry(EntryKind.PUBLISHED, item, at)))
    return found


def _order(entry: Entry) -> tuple[int, str, int]:
    """Within a day: due drafts first, then by time of day."""
    clock = entry.at.strftime("%H:%M") if entry.at else ""
    return (0 if entry.kind is EntryKind.DUE else 1, clock, entry.item.id)


def overdue_days(item: ContentItem, today: date) -> int:
    """How many days past its due day an item being written is (0: not overdue)."""
    if item.due_on is None or item.state not in WRITING_STATES:
        return 0
    return max(0, (today - item.due_on).days)
