"""Reads at scale: 队列, 查看 N, 统计 30天, the worker's due-publish scan and 复查
on an account of 1,000,000 inbound messages, 100,000 tickets and 10,000 items
(bench/scale_data.py), each through the code wxops runs for it
(bench/scale_ops.py), timed many times: p50 and p95 in ms. The baseline, in the
same run on the same engine: a ``SELECT 1`` round trip, and the same five on a
small account (a hundredth of the data).

    .venv/bin/python bench/scale.py [--engine postgres|sqlite] [--runs 200]
        [--database-url URL]   # an existing database: filled only if empty
        [--explain]            # EXPLAIN ANALYZE of each operation's slowest statement
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select, text  # noqa: E402

from bench import _common, scale_ops  # noqa: E402
from bench.scale_data import Filled, fill, local_today  # noqa: E402
from storage import migrate, upkeep  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import InboundMessage  # noqa: E402

TARGET_MS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--database-url", help="use this database (filled if empty)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-small", action="store_true", help="skip the small account")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wxops-bench-scale-"))

    big = _engine(args.database_url or _common.database(args.engine, workdir, "scale"), 1.0)
    select_one = _timed(lambda: _select_one(big), args.runs)
    print(f"{big.dialect.name}: baseline SELECT 1 p50 {select_one[0]:.2f} ms, "
          f"p95 {select_one[1]:.2f} ms")
    small: dict[str, tuple[float, float]] = {}
    if not args.no_small:
        tiny = _engine(_common.database(args.engine, workdir, "scale_small"), 0.01)
        _upkept(tiny)
        small = _measure(tiny, args.runs)
    _upkept(big)
    found = _measure(big, args.runs)
    print(f"{'operation':<18} {'p50 ms':>8} {'p95 ms':>8} {'p95/SELECT 1':>13} "
          f"{'p95/small':>10}  under {TARGET_MS:.0f} ms")
    for name, (p50, p95) in found.items():
        versus = f"{p95 / small[name][1]:10.1f}" if name in small else f"{'-':>10}"
        print(f"{name:<18} {p50:8.2f} {p95:8.2f} {p95 / select_one[1]:13.1f} {versus}  "
              f"{'yes' if p95 < TARGET_MS else 'NO'}")
    _kept_dates(big, args.runs)
    if args.explain:
        _explain(big)


#: 复查 reads kept dates (migration 0035): the table above times it with nothing
#: changed between calls. These time it with what the triggers would have marked
#: meanwhile: some articles (a comment, a re-check answered, an edit each), or
#: everything (the intervals changed, a fact deleted in place).
MARKED = (("复查, 10 marked", 10), ("复查, 100 marked", 100), ("复查, all again", None))


def _upkept(engine: Engine) -> None:
    """What a running system's upkeep would have done before the reads are
    timed. PostgreSQL's autovacuum (a server may run without it, as this
    machine's does): an earlier run's "all again" rewrote every kept date and
    quote many times over, and left the planner thinking there are ten times as
    many quotes as there are. SQLite's statistics, which the worker gathers
    every hour (storage/upkeep.py)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE recheck_dates, recheck_quotes"))
    upkeep.gather_statistics(engine)


def _kept_dates(engine: Engine, runs: int) -> None:
    recheck = scale_ops.operations(engine, 0)["复查"]
    for name, marks in MARKED:
        def prepare(marks: int | None = marks) -> None:
            with engine.begin() as conn:
                if marks is None:
                    conn.execute(text("UPDATE recheck_basis SET basis = ''"))
                else:
                    conn.execute(text(
                        "INSERT INTO recheck_marks (item_id) SELECT id FROM content_items "
                        "WHERE state = 'published' ORDER BY random() LIMIT :n"), {"n": marks})
        p50, p95 = _timed(recheck, runs if marks is not None else max(runs // 10, 5), prepare)
        print(f"{name:<18} {p50:8.2f} {p95:8.2f}")


def _engine(url: str, scale: float) -> Engine:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        empty = not conn.scalar(select(func.count()).select_from(
            select(InboundMessage.id).limit(1).subquery()))
    if empty:
        started = time.perf_counter()
        filled = fill(engine, local_today(), items=int(10_000 * scale),
                      published=int(5_000 * scale), tickets=int(100_000 * scale),
                      messages=int(1_000_000 * scale), followers=int(100_000 * scale))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        _describe(filled, time.perf_counter() - started)
    return engine


def _describe(filled: Filled, seconds: float) -> None:
    print(f"filled in {seconds:.0f} s: {filled.messages:,} inbound messages, "
          f"{filled.tickets:,} tickets ({filled.ticket_messages:,} messages), "
          f"{filled.items:,} items ({filled.published:,} published), "
          f"{filled.audit:,} audit rows")


def _measure(engine: Engine, runs: int) -> dict[str, tuple[float, float]]:
    ops = scale_ops.operations(engine, scale_ops.history_item(engine))
    return {name: _timed(op, runs) for name, op in ops.items()}


def _select_one(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar()


def _timed(op: scale_ops.Operation, runs: int,
           prepare: Callable[[], None] = lambda: None) -> tuple[float, float]:
    """p50 and p95 of ``runs`` calls in ms, after a few warm-up calls; ``prepare``
    runs before each call, untimed."""
    for _ in range(3):
        prepare()
        op()
    taken = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        op()
        taken.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(taken, n=100)
    return statistics.median(taken), cuts[94]


def _explain(engine: Engine) -> None:
    """Each operation's statements, slowest first, with PostgreSQL's plan of the slowest."""
    for name, op in scale_ops.operations(engine, scale_ops.history_item(engine)).items():
        with scale_ops.recorded(engine) as seen:
            op()
        timings = []
        for statement, params in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            with engine.connect() as conn:
                started = time.perf_counter()
                conn.exec_driver_sql(statement, params)
                timings.append(((time.perf_counter() - started) * 1000, statement, params))
        timings.sort(key=lambda t: -t[0])
        print(f"\n== {name}: {len(seen)} statements; slowest "
              + ", ".join(f"{t[0]:.2f}" for t in timings[:5]) + " ms")
        if timings and engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN ANALYZE " + timings[0][1], timings[0][2])
                print(timings[0][1][:300])
                print("\n".join(str(r[0])[:200] for r in plan))


if __name__ == "__main__":
    main()
