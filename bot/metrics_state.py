"""The gauges read from the database at each scrape: the outbox, the reply queue,
the failed pushes and the workers. Read at scrape time rather than kept by a
process, they are the same whichever host or process answers, and cost nothing
between scrapes.

A database that does not answer is not an error of the scrape: ``wxops_database_up``
says 0 and the state gauges are left out (an alert on a missing series, or on
``wxops_database_up``, says so)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.timefmt import utcnow
from bot.wiring import database, operations_state

log = logging.getLogger("wxops.metrics")

#: A worker is counted alive while its last heartbeat (every 30 s) is this recent.
ALIVE_WITHIN = 90.0


class StateCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        try:
            with self.engine.connect() as conn:
                state = operations_state.read(conn)
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable: %s", database.describe(exc))
            yield _gauge("wxops_database_up", "1 when the state gauges could be read.", 0)
            return
        now = utcnow()
        yield _gauge("wxops_database_up", "1 when the state gauges could be read.", 1)
        yield _gauge("wxops_metrics_database_seconds",
                     "Time this scrape spent reading the state gauges.",
                     time.perf_counter() - started)
        yield from _outbox(state.outbox, now)
        yield from _queue(state.queue, now)
        yield from _inbound(*state.failed_pushes)
        yield from _workers(state.workers, now)


def _outbox(outbox: operations_state.OutboxState, now: datetime) -> Iterator[GaugeMetricFamily]:
    rows = GaugeMetricFamily("wxops_outbox_rows", "Outbox rows by status: pending (waiting), "
                             "sending (claimed), held (for the person's next message), dead "
                             "(given up).", labels=["status"])
    for status, n in outbox.rows.items():
        rows.add_metric([status], n)
    yield rows
    yield _gauge("wxops_outbox_dead_in_doubt_rows", "Dead rows WeChat may have acted on "
                 "(a person must check before sending again).", outbox.dead_in_doubt)
    yield _gauge("wxops_outbox_oldest_pending_age_seconds", "Age of the oldest row waiting "
                 "to be sent (0: none waits).", _age(outbox.oldest_pending, now))
    yield _gauge("wxops_outbox_due_lag_seconds", "How long the earliest due row has been "
                 "due without being claimed (0: none is overdue).",
                 _age(outbox.earliest_due, now))


def _queue(queue: operations_state.QueueState, now: datetime) -> Iterator[GaugeMetricFamily]:
    yield _gauge("wxops_tickets_waiting", "Open tickets whose follower waits for a reply.",
                 queue.waiting)
    yield _gauge("wxops_tickets_oldest_waiting_seconds", "How long the follower who has "
                 "waited longest has waited (0: nobody waits).", _age(queue.waiting_since, now))


def _inbound(failed: int, retrying: int) -> Iterator[GaugeMetricFamily]:
    pushes = GaugeMetricFamily("wxops_inbound_failed_pushes", "Pushes whose handling failed: "
                               "retrying (the worker handles them again by itself) or "
                               "for_a_person (wxops inbound errors).", labels=["state"])
    pushes.add_metric(["retrying"], retrying)
    pushes.add_metric(["for_a_person"], failed - retrying)
    yield pushes


def _workers(workers: operations_state.WorkersState,
             now: datetime) -> Iterator[GaugeMetricFamily]:
    """No worker ever (or no leader): no age, rather than a made-up one."""
    ages = [(_age(beat, now), leading) for beat, leading in workers.beats]
    alive = [(age, leading) for age, leading in ages if age <= ALIVE_WITHIN]
    yield _gauge("wxops_workers_alive", f"Workers whose heartbeat is at most {ALIVE_WITHIN:g} "
                 "s old.", len(alive))
    if ages:
        yield _gauge("wxops_worker_heartbeat_age_seconds", "Age of the newest heartbeat of "
                     "any worker.", min(age for age, _ in ages))
    yield _gauge("wxops_scheduler_leaders", "Live workers whose last heartbeat says they "
                 "hold the scheduler leader lock (1 when all is well).",
                 sum(1 for _, leading in alive if leading))
    leaders = [age for age, leading in ages if leading]
    if leaders:
        yield _gauge("wxops_scheduler_leader_heartbeat_age_seconds", "Age of the newest "
                     "heartbeat of a worker that said it leads the scheduler.", min(leaders))


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
