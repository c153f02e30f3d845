"""The report of a year: computed and drawn against the 5 s of issue 23.

Issue 23 asks that the report for a year of data for 300 articles be produced
in under 5 s. A fresh database (a SQLite file, or a throwaway PostgreSQL
database with ``--engine postgres`` or an existing empty one with
``--database-url``) is migrated and filled by bench/report_data.py: 300
articles over the 365 days to yesterday, their 30 days of platform figures
each, a year of follower figures and 3,000 reply tickets with their first
responses. Then, each timed end to end in this process:

- the year's report: ``workflow.report.make`` for ``between(first, last)``
  (365 days) and ``bot.report_page.render`` of it to HTML, as ``wxops report
  --since`` does less the file write;
- last month's report, the same way (``--month``);
- the baseline, in the same run on the same database: 统计 30天
  (``workflow.stats.period_stats``), what chat answers in one message, so a
  figure can be quoted as a ratio where machines differ.

The first run of each is a warm-up (templates compiled, pygal's imports,
the database's caches) and not counted. Each figure is the median of
``--runs`` runs, wall-clock (``time.perf_counter``), with its lowest and the
median CPU time of this process (``time.process_time``: on PostgreSQL the
server's share is not in it). ``--profile`` prints cProfile's top functions
of one year's report. The verdict is on the median wall-clock time of the
year's report.

    .venv/bin/python bench/report.py [--engine sqlite|postgres] [--database-url URL]
                                     [--articles 300] [--days 365] [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _common  # noqa: E402
from bench.report_data import CHINA, seed  # noqa: E402
from bot import report_page  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.uow import SqlUnitOfWork  # noqa: E402
from workflow import report, stats  # noqa: E402

BUDGET_S = 5.0


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median and lowest wall-clock seconds of ``runs`` calls after a warm-up,
    and median CPU seconds."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", help="an existing, empty database to fill")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="wxops-bench-report-"))
    url = args.database_url or _common.database(args.engine, workdir, "report")
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    today = now.astimezone(CHINA).date()
    started = time.perf_counter()
    data = seed(engine, today - timedelta(days=1), articles=args.articles, days=args.days)
    seeded_s = time.perf_counter() - started
    uow = SqlUnitOfWork(engine)
    year = report.between(data.first, data.last, today)
    month = report.last_month(today)
    made: dict[str, int] = {}

    def produce(period: report.ReportPeriod) -> Callable[[], object]:
        def run() -> None:
            found = report.make(uow, period, now, CHINA)
            made[period.name] = len(report_page.render(found, "助学公益", CHINA))
        return run

    def baseline() -> None:
        stats.period_stats(uow, stats.last_days(today - timedelta(days=1), 30), now, CHINA)

    rows = [("统计 30天 (baseline)", timed(baseline, args.runs)),
            (f"month report ({month.days} days)", timed(produce(month), args.runs)),
            (f"year report ({year.days} days)", timed(produce(year), args.runs))]
    print(f"{engine.dialect.name}: {len(data.items)} articles, {data.metrics} article_metrics "
          f"rows, {args.days} follower days, {data.tickets} tickets (seeded in {seeded_s:.1f} s)")
    print(f"pages: year {made[year.name] / 1024:.0f} KiB, "
          f"month {made[month.name] / 1024:.0f} KiB\n")
    print(f"{'':<28}{'median s':>10}{'(lowest)':>10}{'CPU s':>8}{'x base':>8}")
    base = rows[0][1][0]
    for name, (median, lowest, cpu) in rows:
        print(f"{name:<28}{median:>10.3f}{lowest:>10.3f}{cpu:>8.3f}{median / base:>8.1f}")
    year_s = rows[2][1][0]
    verdict = "under" if year_s < BUDGET_S else "OVER"
    print(f"\nthe year's report takes {year_s:.2f} s: {verdict} the {BUDGET_S:.0f} s budget")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(produce(year))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    engine.dispose()


if __name__ == "__main__":
    main()
