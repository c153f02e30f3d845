"""The emulator's clock (real time plus an offset, for time travel) and rate counters."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

# WeChat's days (daily quotas, datacube's "yesterday") are Beijing days.
CHINA = timezone(timedelta(hours=8))
DAY = 86_400


class Clock:
    """Real time plus `offset` seconds; `advance` moves it forward (or back)."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0

    def now(self) -> float:
        return self._source() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def today(self) -> date:
        return china_date(self.now())


def china_date(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(CHINA).date()


class RateCounter:
    """Uses of one thing, to count those in the last minute and in the current day."""

    def __init__(self) -> None:
        self._uses: list[float] = []

    def record(self, now: float) -> None:
        # Two days back is more than either window needs.
        self._uses = [t for t in self._uses if t > now - 2 * DAY]
        self._uses.append(now)

    def in_last(self, seconds: float, now: float) -> int:
        return sum(1 for t in self._uses if now - seconds < t <= now)

    def today(self, now: float) -> int:
        day = china_date(now)
        return sum(1 for t in self._uses if t <= now and china_date(t) == day)

    def last(self) -> float | None:
        return self._uses[-1] if self._uses else None
