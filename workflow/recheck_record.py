"""How re-checks kept to their schedule over a period (the quarterly
evaluation's "re-checks done on time"). Pure.

A re-check is on time when it was done by the day the schedule set for it
(workflow.recheck.planned: the expiry day of an event notice, else the topic's
interval after publication or after the re-check before it), late after that
day. A re-check due in the period and not done by its end (or by today, for the
period under way) is missed, unless the article had left the schedule first
(flagged to update, withdrawn, archived). The signals that pull a re-check
forward are not held against anyone: a signal asks for an earlier look, it does
not move the date a re-check is late from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from workflow.recheck import RecheckDays, planned


@dataclass(frozen=True)
class Trail:
    """One published item's re-checks, as its audit trail has them."""

    item_id: int
    topic: str
    expires_on: date | None
    published_at: datetime  # its first publication
    checks: tuple[datetime, ...]  # each re-check's moment, oldest first
    left_at: datetime | None  # when it left the schedule for good (None: still on it)


@dataclass(frozen=True)
class Timeliness:
    on_time: int  # done in the period, by their day
    late: int  # done in the period, after their day
    missed: int  # due in the period, not done by its end

    @property
    def share_on_time(self) -> float | None:
        """On time of all that were due or done; None without any."""
        whole = self.on_time + self.late + self.missed
        return round(self.on_time / whole, 3) if whole else None


NOTHING_DUE = Timeliness(0, 0, 0)


def timeliness(trails: Iterable[Trail], first: date, last: date, today: date,
               days: RecheckDays, tz: tzinfo) -> Timeliness:
    """The re-checks of the local days ``first``..``last``; ``today`` bounds a
    period still under way (a re-check due today is not missed yet)."""
    on_time = late = missed = 0
    for trail in trails:
        published = trail.published_at.astimezone(tz).date()
        interval = days.for_topic(trail.topic)
        previous: date | None = None
        for moment in trail.checks:
            done = moment.astimezone(tz).date()
            if first <= done <= last:
                due = planned(published, trail.expires_on, previous, interval)
                on_time, late = (on_time + 1, late) if done <= due else (on_time, late + 1)
            previous = done
        due = planned(published, trail.expires_on, previous, interval)
        left = trail.left_at.astimezone(tz).date() if trail.left_at else None
        if first <= due <= last and due < today and (left is None or left > due):
            missed += 1
    return Timeliness(on_time, late, missed)
