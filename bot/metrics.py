"""What a process counts for Prometheus: pushes by outcome and latency (the web),
calls to the WeChat API by API and errcode and the scheduler leadership (the
worker).

prometheus_client is imported on first use, not with this module: the client
chooses between in-process and multiprocess values when it is imported (by
``PROMETHEUS_MULTIPROC_DIR``), so a server must have set up its directory
(``bot.metrics_dir``) before the first instrument is built, and a worker
process must not write into a web server's directory. The exposition,
guarded, is ``bot.metrics_page``; the figures read from the database at each
scrape are ``bot.metrics_state``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    from bot.config import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: What became of a request to the WeChat endpoint (``outcome``): answered with a
#: reply, answered "success" with nothing to say, a retry of a push already handled,
#: kept for the worker after a passing database fault, kept with a handler's error
#: for a person, refused with a 4xx (``reason`` says why), a 503 (WeChat retries),
#: the console's GET check, and a bug that escaped (a 500).
PUSH_OUTCOMES = ("replied", "success", "duplicate", "kept", "failed", "refused",
                 "unavailable", "verification", "error")
#: Why a request was refused (``reason``): the protocol's refusals by class
#: (``BadSignature``...), the endpoint's own, and the 503's.
REFUSAL_REASONS = ("bad_signature", "stale_timestamp", "replayed_nonce", "decrypt_error",
                   "app_id_mismatch", "bad_xml", "body_too_large", "content_length", "method")
#: WeChat gives up on an answer after 5 s; the endpoint's database budget is 2.5 s.
PUSH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.0, 5.0)


def metrics_enabled(settings: Settings) -> bool:
    """Whether ``/metrics`` answers anyone (a token or addresses are set)."""
    return bool(settings.metrics_token or settings.metrics_allow.strip())


def multiprocess() -> bool:
    """Whether this process writes its values to the shared directory."""
    return bool(os.environ.get(MULTIPROC_ENV))


class Instruments:
    """The metrics of wxops, one set per process (prometheus_client's values are)."""

    def __init__(self) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Histogram,
            disable_created_metrics,
        )

        # The multiprocess exposition has no *_created series: neither has this one.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry: CollectorRegistry = CollectorRegistry(auto_describe=True)
        self.pushes: Counter = Counter(
            "wxops_pushes", "Requests to the WeChat endpoint by outcome (reason: why refused).",
            ["outcome", "reason"], registry=self.registry)
        self.push_seconds: Histogram = Histogram(
            "wxops_push_duration_seconds", "Time to answer a request to the WeChat endpoint.",
            ["outcome"], buckets=PUSH_BUCKETS, registry=self.registry)
        self.api_calls: Counter = Counter(
            "wxops_wechat_api_calls", "Calls to the WeChat API by API and errcode (0: "
            "accepted; a word: no errcode, e.g. timeout, unreachable, not_called).",
            ["api", "errcode"], registry=self.registry)


@cache
def instruments() -> Instruments:
    return Instruments()


@cache
def _leader_gauge() -> Gauge:
    """The worker's alone (built on its first check of the lock), so a web
    server's processes never show a zero of their own."""
    from prometheus_client import Gauge

    return Gauge("wxops_scheduler_leader", "1 while this worker holds the scheduler "
                 "leader lock (as of its last check, before each leader-only job).",
                 registry=instruments().registry)


class PushMeter:
    """The endpoint's two observations per request, their children bound once: the
    hot path pays a dictionary lookup, an increment and an observation."""

    def __init__(self) -> None:
        self._metrics = instruments()
        self._bound: dict[tuple[str, str], Callable[[float], None]] = {}
        # Every series there from the start, at 0: a rate sees the first 503, and
        # an alert on it does not wait for the second.
        for outcome, reason in _known_labels():
            self._bind(outcome, reason)

    def __call__(self, outcome: str, reason: str, seconds: float) -> None:
        observe = self._bound.get((outcome, reason))
        if observe is None:
            observe = self._bind(outcome, reason)
        observe(seconds)

    def _bind(self, outcome: str, reason: str) -> Callable[[float], None]:
        count = self._metrics.pushes.labels(outcome, reason).inc
        time = self._metrics.push_seconds.labels(outcome).observe

        def observe(seconds: float) -> None:
            count()
            time(seconds)

        self._bound[(outcome, reason)] = observe
        return observe


def _known_labels() -> list[tuple[str, str]]:
    plain = [(outcome, "") for outcome in PUSH_OUTCOMES if outcome not in ("refused",
                                                                         "unavailable")]
    return [*plain, ("unavailable", "database"),
            *(("refused", reason) for reason in REFUSAL_REASONS)]


def api_call(api: str, errcode: str) -> None:
    """One call to the WeChat API and how it ended (``errcode`` "0": accepted)."""
    instruments().api_calls.labels(api, errcode).inc()


def leading(held: bool) -> None:
    _leader_gauge().set(1 if held else 0)
