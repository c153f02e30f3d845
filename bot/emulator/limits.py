"""Per-endpoint quotas and failure injection."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.emulator.clock import RateCounter
from bot.emulator.errors import WeChatError

MASS_PREVIEW = "/cgi-bin/message/mass/preview"
MASS_SENDALL = "/cgi-bin/message/mass/sendall"


@dataclass(frozen=True)
class Quota:
    per_minute: int | None = None
    per_day: int | None = None


#: The datacube interfaces' daily limit, as openapi/quota/get reports it (the
#: emulator's choice; the control API's ``quota`` sets another).
DATACUBE_PER_DAY = 5000
#: What openapi/quota/get reports for a path with no limit set.
UNLIMITED_PER_DAY = 100_000


def default_quotas() -> dict[str, Quota]:
    # Subscription accounts: one mass send a day; previews: 100 a day.
    from bot.emulator.datacube import MAX_SPAN_DAYS

    cubes = {f"/datacube/{name}": Quota(per_day=DATACUBE_PER_DAY) for name in MAX_SPAN_DAYS}
    return {MASS_PREVIEW: Quota(per_day=100), MASS_SENDALL: Quota(per_day=1), **cubes}


def normalize_path(path: str) -> str:
    return "/" + path.strip().lstrip("/")


class QuotaBook:
    """Limits by endpoint path. Only successful calls count against them."""

    def __init__(self) -> None:
        self.limits = default_quotas()
        self._uses: dict[str, RateCounter] = {}

    def set(self, path: str, per_minute: int | None, per_day: int | None) -> None:
        self.limits[normalize_path(path)] = Quota(per_minute, per_day)

    def check(self, path: str, now: float) -> None:
        quota = self.limits.get(path)
        if quota is None:
            return
        uses = self._uses.get(path, RateCounter())
        if quota.per_minute is not None and uses.in_last(60, now) >= quota.per_minute:
            raise WeChatError(45011)
        if quota.per_day is not None and uses.today(now) >= quota.per_day:
            raise WeChatError(45009)

    def daily(self, path: str, now: float) -> tuple[int, int]:
        """The daily limit of ``path`` and the calls counted against it today."""
        path = normalize_path(path)
        quota = self.limits.get(path)
        limit = quota.per_day if quota and quota.per_day is not None else UNLIMITED_PER_DAY
        uses = self._uses.get(path)
        return limit, uses.today(now) if uses else 0

    def record(self, path: str, now: float) -> None:
        self._uses.setdefault(path, RateCounter()).record(now)


@dataclass(frozen=True)
class Injection:
    """One injected failure: an errcode, or a dropped connection when `drop`; or a
    slow platform: `delay` seconds before the call is handled (and answered); or
    something between the caller and WeChat (a proxy, a load balancer) answering
    HTTP `status` with a page of its own, after passing the call on to WeChat
    when `handled` (a 502 for an answer it could not read) or not at all."""

    errcode: int | None = None
    drop: bool = False
    delay: float = 0.0
    status: int | None = None
    handled: bool = False


@dataclass
class FailureBook:
    by_path: dict[str, list[Injection]] = field(default_factory=dict)
    publish_statuses: list[int] = field(default_factory=list)
    #: Failures that last a while rather than a number of calls: path →
    #: (until, on the monotonic clock; the injection).
    bursts: dict[str, tuple[float, Injection]] = field(default_factory=dict)

    def add(self, path: str, injection: Injection, times: int) -> None:
        self.by_path.setdefault(normalize_path(path), []).extend([injection] * times)

    def add_burst(self, path: str, injection: Injection, seconds: float) -> None:
        """Every call to ``path`` for the next ``seconds`` fails so."""
        self.bursts[normalize_path(path)] = (time.monotonic() + seconds, injection)

    def add_publish_status(self, status: int, times: int) -> None:
        if status not in range(2, 7):
            raise ValueError("publish_status must be 2-6")
        self.publish_statuses.extend([status] * times)

    def take(self, path: str) -> Injection | None:
        burst = self.bursts.get(path)
        if burst is not None and time.monotonic() < burst[0]:
            return burst[1]
        queue = self.by_path.get(path)
        return queue.pop(0) if queue else None

    def next_publish_status(self) -> int:
        return self.publish_statuses.pop(0) if self.publish_statuses else 0
