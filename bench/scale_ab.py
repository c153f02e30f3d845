"""One read of bench/scale.py timed for two checkouts side by side: each
checkout (say the old code extracted by ``git archive REV | tar -x -C DIR``
and this one) runs in its own process on the same filled database (查看 shows
the item with the longest trail, as bench/scale.py picks it), and the
processes take turns, ten calls of the read and ten ``SELECT 1`` at a time,
so a busy machine weighs on both alike. p50 and p95 in ms of each.

    .venv/bin/python bench/scale_ab.py --database-url URL [--runs 200] \\
        "复查" /tmp/old-wxops .
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

BLOCK = 10

#: What each process runs: the read as bench/scale_ops.py makes it, from its
#: own checkout; told how many calls to time, it answers with their times.
CHILD = r"""
import json, sys, time
root, url, name, item = sys.argv[1:5]
sys.path.insert(0, root)
from sqlalchemy import text
from bench import scale_ops
from storage.db import make_engine
engine = make_engine(url)
read = scale_ops.operations(engine, int(item))[name]
def select_one():
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar()
def timed(call, n):
    found = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found
for _ in range(3):
    read(); select_one()
for line in sys.stdin:
    print(json.dumps([timed(read, int(line)), timed(select_one, int(line))]), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a database bench/scale.py filled")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("read", help="one of bench/scale_ops.NAMES")
    parser.add_argument("checkouts", nargs=2)
    args = parser.parse_args()
    item = str(_history_item(args.database_url))  # the same for both: 查看's
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, root, args.database_url, args.read,
                               item],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for root in args.checkouts]
    times: dict[str, tuple[list[float], list[float]]] = {r: ([], []) for r in args.checkouts}
    for _ in range(args.runs // BLOCK):
        for root, proc in zip(args.checkouts, procs, strict=True):
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(f"{BLOCK}\n")
            proc.stdin.flush()
            read, select_one = json.loads(proc.stdout.readline())
            times[root][0].extend(read)
            times[root][1].extend(select_one)
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    for root, (read, select_one) in times.items():
        print(f"{args.read} {root:<24} {_cuts(read)} | SELECT 1 {_cuts(select_one)}")


def _history_item(url: str) -> int:
    """The item 查看 shows, as bench/scale.py picks it (this checkout's code)."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import scale_ops
    from storage.db import make_engine

    engine = make_engine(url, create=False)
    try:
        return scale_ops.history_item(engine)
    finally:
        engine.dispose()


def _cuts(taken: list[float]) -> str:
    return (f"p50 {statistics.median(taken):7.2f} "
            f"p95 {statistics.quantiles(taken, n=100)[94]:7.2f}")


if __name__ == "__main__":
    main()
