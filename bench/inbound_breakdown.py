"""Where an inbound push's time goes on SQLite, against the bare echo in the same run.

Runs an app that does nothing (``bench/null_app.py``: what gunicorn alone
costs), the echo, then wxops (plain mode, 2 sync gunicorn workers, the load of
``bench/inbound.py``) with timers around the app and the SQLite write lock
(``bench/_instrumented_app.py``), in two set-ups:

- shared: the real thing, both workers on one database;
- separate: each worker on its own copy of the database, an experiment that
  removes what the workers share (the write lock, SQLite's page cache being
  reset whenever the other process has written), to show the ceiling left.

Each row also gives the CPU all the server's processes used per request and
the machine's idle time per request (both cores, from /proc): with the cores
busy, a push's CPU is what sets the throughput; idle time is CPU nobody could
use, because both workers were waiting (on the lock, or on the disk).

    .venv/bin/python bench/inbound_breakdown.py [--duration 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import database  # noqa: E402
from bench.inbound import (  # noqa: E402
    TOKEN,
    Result,
    load_options,
    measure,
    require_wrk,
    wxops_env,
)


def timings(report_dir: Path) -> dict[str, float]:
    """Per-request averages over the workers' reports, in microseconds."""
    sums: dict[str, float] = {}
    for path in report_dir.glob("*.json"):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            sums[key] = sums.get(key, 0.0) + value
    count = sums.pop("requests", 0) or 1
    return {key: value / count * 1e6 for key, value in sums.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_options(parser)
    args = parser.parse_args()
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        echo_env = {**os.environ, "WXOPS_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        null = measure("null", "bench.null_app:app", echo_env, "plain", args, workdir, 30)
        echo = measure("echo", "bench.echo_app:app", echo_env, "plain", args, workdir, 31)
        print(f"{'set-up':<10}{'req/s':>8}{'ratio':>7}{'p99 ms':>8}   per request (us): "
              "server cpu / idle | app wall / app cpu / lock wait / lock held (cpu)")
        for name, run in (("null", null), ("echo", echo)):
            print(f"{name:<10}{run.rps:>8.0f}{run.rps / echo.rps:>7.2f}{run.p99_ms:>8.2f}"
                  f"   {_cpu(run)}")
        for salt, setup in enumerate(("shared", "separate"), start=32):
            reports = workdir / f"reports-{setup}"
            reports.mkdir()
            env = wxops_env(database("sqlite", workdir / setup, "breakdown"), "plain")
            env.update(WXOPS_BENCH_REPORT_DIR=str(reports),
                       WXOPS_BENCH_SEPARATE_DB="1" if setup == "separate" else "0")
            result = measure(setup, "bench._instrumented_app:app", env, "plain", args, workdir,
                             salt)
            t = timings(reports)
            print(f"{setup:<10}{result.rps:>8.0f}{result.rps / echo.rps:>7.2f}"
                  f"{result.p99_ms:>8.2f}   {_cpu(result)} | {t['app_wall']:.0f} / "
                  f"{t['app_cpu']:.0f} / {t['lock_wait']:.0f} / {t['lock_held']:.0f} "
                  f"({t['lock_cpu']:.0f})")


def _cpu(result: Result) -> str:
    if result.server_cpu_us is None or result.idle_us is None:
        return "- / -"
    return f"{result.server_cpu_us:.0f} / {result.idle_us:.0f}"


if __name__ == "__main__":
    main()
