"""Office hours: when the team answers, so followers know when to expect a reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from handlers.when import WEEKDAY_NAMES

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class OfficeHours:
    """``"mon-fri 09:00-18:00"``, ``"09:00-18:00"`` (every day) or ``""`` (always)."""

    days: frozenset[int]
    start: time
    end: time
    always: bool = False

    @classmethod
    def parse(cls, spec: str) -> OfficeHours:
        spec = spec.strip().lower()
        if not spec:
            return cls(frozenset(range(7)), time(0), time(0), always=True)
        parts = spec.split()
        if len(parts) > 2:
            raise HoursInvalid("hours_format")
        days = _parse_days(parts[0]) if len(parts) == 2 else frozenset(range(7))
        start, end = _parse_span(parts[-1])
        return cls(days, start, end)

    def describe(self) -> str:
        """As followers read it (templates/hours.j2): 周一至周五 09:00-18:00."""
        runs = [] if self.always or len(self.days) == 7 else _day_runs(sorted(self.days))
        return _phrase("describe", always=self.always, runs=runs, start=f"{self.start:%H:%M}",
                       end=f"{self.end:%H:%M}")

    def is_open(self, local: datetime) -> bool:
        if self.always:
            return True
        now = local.time()
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= now < self.end
        # A span across midnight belongs to the day it starts on.
        if now >= self.start:
            return local.weekday() in self.days
        return (local.weekday() - 1) % 7 in self.days and now < self.end


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for chunk in text.split(","):
        first, _, last = chunk.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise HoursInvalid("hours_days", text=chunk)
        a, b = _DAYS[first], _DAYS[last or first]
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def _parse_span(text: str) -> tuple[time, time]:
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return time.fromisoformat(start), time.fromisoformat(end)
    except ValueError:
        raise HoursInvalid("hours_span", text=text) from None


def _day_runs(days: list[int]) -> list[tuple[str, str]]:
    """Monday-first weekday numbers as staff write them (周一至周五、周日): the first
    and last weekday name of each run of three days or more, each other day alone."""
    names, runs = WEEKDAY_NAMES, []
    start = prev = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        runs += ([(names[start], names[prev])] if prev - start >= 2
                 else [(names[d], names[d]) for d in range(start, prev + 1)])
        if day is not None:
            start = prev = day
    return runs


class HoursInvalid(ValueError):
    """Office hours that cannot be read: a ``code`` of templates/hours.j2 and its
    ``data``, worded when shown (the settings' check shows ``str()``)."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code)
        self.code, self.data = code, data

    def __str__(self) -> str:
        return _phrase(self.code, **self.data)


def _phrase(key: str, /, **data: Any) -> str:
    # Imported when used: the catalogue imports this module (its sample texts).
    from handlers import texts
    return texts.phrase("hours", key, **data)
