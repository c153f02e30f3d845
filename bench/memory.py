"""The web process's memory over a long run: 100,000 signed pushes (unique
MsgIds, from many followers) into wxops under gunicorn (2 sync workers, as
bench/inbound.py), each worker's resident memory sampled from /proc as the
pushes are stored. Flat means the workers hold as much after 100,000 pushes
as after 10,000, within noise. The baseline, in the same run: the same
workers' memory after the first 10,000 pushes (their caches warm).

    .venv/bin/python bench/memory.py [--engine postgresql|sqlite] [--pushes 100000]
        [--followers 20000] [--connections 8]

Needs wrk (`apt-get install wrk`) and, for PostgreSQL, the local server.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, func, select  # noqa: E402

from bench._common import database, settled  # noqa: E402
from bench.inbound import (  # noqa: E402
    WORKERS,
    parse_wrk,
    require_wrk,
    serve,
    write_requests,
    wxops_env,
)
from storage.models import InboundMessage  # noqa: E402

PORT = 18090
SALT = 7  # MsgIds from 70,000,000 (bench.inbound.write_requests)
WARM = 10_000  # pushes after which the caches are warm: the baseline
STALLED = 15  # seconds without a push stored: the run is over


@dataclass(frozen=True)
class Sample:
    stored: int  # pushes stored so far
    rss_kib: dict[int, int]  # each worker's resident memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--pushes", type=int, default=100_000)
    parser.add_argument("--followers", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--mode", choices=("plain", "safe"), default="safe")
    args = parser.parse_args()
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        requests_file = workdir / "pushes.txt"
        write_requests(requests_file, args.pushes, args.followers, args.mode, salt=SALT)
        url = database(args.engine, workdir, "memory")
        samples, wrk_output = run(url, args, requests_file, workdir)
        missing = not_stored(url, args.pushes)
    print(parse_wrk("wxops", wrk_output))
    print("\n".join(line for line in wrk_output.splitlines() if "Socket errors" in line))
    if missing:
        print(f"not stored: {len(missing)} pushes, by their place in the file: {missing[:10]}")
    report(samples, args.pushes)


def run(url: str, args: argparse.Namespace, requests_file: Path,
        workdir: Path) -> tuple[list[Sample], str]:
    """Serve, push until every push is stored (or none has been for a while),
    sampling the workers' memory every second."""
    env = wxops_env(url, args.mode)
    process = serve("bot.wsgi:app", PORT, env, workdir / "server.log")
    engine = create_engine(url)
    samples: list[Sample] = []
    try:
        settled(process.pid, WORKERS)
        wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{args.connections}", "-d3600s", "--latency", "--timeout", "5s",
             "-s", str(ROOT / "bench" / "requests.lua"), f"http://127.0.0.1:{PORT}",
             "--", str(requests_file)], stdout=subprocess.PIPE, text=True)
        while _progressing(samples) and (not samples or samples[-1].stored < args.pushes):
            samples.append(_sample(process.pid, engine))
            time.sleep(1.0)
        wrk.send_signal(signal.SIGINT)  # wrk prints what it did and stops
        output = wrk.communicate(timeout=30)[0]
        samples.append(_sample(process.pid, engine))
    finally:
        process.terminate()
        process.wait(timeout=15)
        engine.dispose()
    return samples, output


def not_stored(url: str, pushes: int) -> list[int]:
    """The pushes (by their place in the file) that were not stored."""
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(select(InboundMessage.msg_id)).scalars())
    engine.dispose()
    return [n for n in range(pushes) if SALT * 10_000_000 + n not in stored]


def _progressing(samples: list[Sample], quiet: int = STALLED) -> bool:
    """False once nothing more has been stored for ``quiet`` samples."""
    recent = samples[-quiet:]
    return len(recent) < quiet or recent[0].stored != recent[-1].stored


def _sample(master: int, engine: Engine) -> Sample:
    with engine.connect() as conn:
        stored = int(conn.scalar(select(func.count()).select_from(InboundMessage)) or 0)
    return Sample(stored, {pid: _rss_kib(pid) for pid in _workers(master)})


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text()
    return [int(pid) for pid in children.split()]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def report(samples: list[Sample], pushes: int) -> None:
    warm = next((s for s in samples if s.stored >= WARM), None)
    last = samples[-1] if samples else None
    if warm is None or last is None:
        sys.exit("no sample after the first 10,000 pushes: nothing to compare")
    if set(warm.rss_kib) != set(last.rss_kib):
        print("a worker was restarted during the run: its memory is not comparable")
    print(f"{'stored':>8} " + " ".join(f"{'worker ' + str(pid):>14}" for pid in last.rss_kib))
    moving = [s for n, s in enumerate(samples) if n == 0 or s.stored != samples[n - 1].stored]
    step = max(1, len(moving) // 12)
    for s in [*moving[::step], last]:
        print(f"{s.stored:>8} " + " ".join(f"{s.rss_kib.get(pid, 0) / 1024:>11.1f} MiB"
                                           for pid in last.rss_kib))
    for pid in last.rss_kib:
        before, after = warm.rss_kib.get(pid, 0), last.rss_kib[pid]
        print(f"worker {pid}: {before / 1024:.1f} MiB at {warm.stored:,} pushes, "
              f"{after / 1024:.1f} MiB at {last.stored:,}: ratio {after / max(1, before):.3f}")
    if last.stored < pushes:
        print(f"only {last.stored:,} of {pushes:,} pushes stored")


if __name__ == "__main__":
    main()
