"""What a scrape of /metrics costs the database at scale: the state gauges'
queries (``storage/metrics.py``) on PostgreSQL with a large outbox and reply
queue, timed over many scrapes, with their plans.

    .venv/bin/python bench/metrics_scrape.py [--outbox 1000000] [--tickets 100000]

Creates a database of its own on the server of ``WXOPS_TEST_DATABASE_URL``
(default: the local ``test`` database's server) and drops it after. Almost
every row is done with (sent, resolved), as in an account that has run for
years; a few hundred wait, as on a busy day.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PG_URL = os.environ.get("WXOPS_TEST_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")

FILL = [
    """INSERT INTO followers (openid, subscribed, message_window_sent, event_window_sent)
       SELECT 'o_bench_' || i, true, 0, 0 FROM generate_series(1, :tickets) i""",
    """INSERT INTO outbox (kind, payload, idempotency_key, status, attempts, next_attempt_at,
           claimed_by, last_error, created_at, in_doubt)
       SELECT 'notify', '{}', 'k' || i,
              CASE WHEN i % 5000 = 0 THEN 'dead' WHEN i % 2500 = 0 THEN 'pending'
                   WHEN i % 3000 = 0 THEN 'held' ELSE 'sent' END,
              1, now() - (i || ' seconds')::interval, '', '', now() - (i || ' seconds')::interval,
              i % 10000 = 0
       FROM generate_series(1, :outbox) i""",
    """INSERT INTO reply_tickets (follower_id, status, priority, summary, opened_at,
           waiting_since, resolution, version)
       SELECT i, CASE WHEN i % 500 = 0 THEN 'open' ELSE 'resolved' END, 0, '',
              now() - (i || ' minutes')::interval,
              CASE WHEN i % 500 = 0 THEN now() - (i || ' minutes')::interval END, '', 1
       FROM generate_series(1, :tickets) i""",
    "INSERT INTO worker_heartbeats VALUES ('host:1', now(), now(), true)",
    "ANALYZE",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outbox", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    name = f"wxops_scrape_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def run(url: str, args: argparse.Namespace) -> None:
    from bot.metrics_state import StateCollector
    from storage import metrics, migrate
    from storage.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.monotonic()
    with engine.begin() as conn:
        for statement in FILL:
            conn.execute(text(statement), {"outbox": args.outbox, "tickets": args.tickets})
    print(f"filled {args.outbox} outbox rows, {args.tickets} tickets "
          f"in {time.monotonic() - started:.0f} s")
    collector = StateCollector(engine)
    list(collector.collect())  # the connection made, the plans cached
    times = []
    for _ in range(args.scrapes):
        t0 = time.perf_counter()
        list(collector.collect())
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"a scrape's state: median {statistics.median(times):.2f} ms, "
          f"p95 {p95:.2f} ms, max {times[-1]:.2f} ms over {args.scrapes} scrapes")
    with engine.connect() as conn:
        state = metrics.read(conn)
        print(f"read: {state.outbox.rows}, waiting {state.queue.waiting}")
    plans(engine)
    engine.dispose()


def plans(engine: object) -> None:
    """The plan of each query, as PostgreSQL runs it."""
    from sqlalchemy import Engine

    from storage import metrics

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        queries = {"outbox": metrics.outbox_statements(), "queue": [metrics.queue_statement()]}
        for label, statements in queries.items():
            for statement in statements:
                compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
                plan = conn.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars().all()
                print(f"\n{label}:\n  " + "\n  ".join(plan))


if __name__ == "__main__":
    main()
