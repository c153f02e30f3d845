"""Inbound throughput and latency: the full wxops pipeline against a bare WeRoBot echo.

Both run under the same gunicorn settings (2 sync workers) and receive the same
kind of load from wrk: unique MsgIds from a few hundred followers, each push
signed (and, in safe mode, encrypted) as WeChat does. Figures are quoted as a
ratio against the echo measured in the same run.

    .venv/bin/python bench/inbound.py [--duration 10] [--connections 8] [--rounds 1]

The machine's speed drifts by 10-20 % within minutes, so the echo runs before
every target and once more at the end, and each target's ratio is taken
against the mean of the echo runs just before and just after it. With
``--rounds N`` the whole set runs N times and the summary gives each target's
median ratio with the lowest and highest. On PostgreSQL, ``--usual-path`` adds
a row per mode with the one-statement push switched off (every push the usual
transaction), and ``--no-flush`` one with ``synchronous_commit`` off: not
acceptable, a bound that shows what waiting for the commit's WAL flush costs.
``--floor`` adds, after each mode's row, the floor (``bench/floor_app.py``): the
echo plus one durable INSERT of the push before answering, the least any
implementation must do not to lose an acknowledged push on PostgreSQL.
``--before DIR`` adds, after each mode's row, wxops as an earlier revision has
it (``git archive REV | tar -x -C DIR``, with this tree's .venv linked in),
each on a database migrated by its own code: before and after in one run.

Needs wrk (`apt-get install wrk`) and, for the PostgreSQL row, the local server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, func, select, table  # noqa: E402

from bench._common import CpuClock, database, libpq_url, settled  # noqa: E402
from storage.models import InboundMessage  # noqa: E402
from tests.harness import wechat as wx  # noqa: E402
from tests.harness.wechat import WeChatSigner  # noqa: E402

TOKEN, APP_ID = "wxopsBenchToken", "wx5823bf96d3bd56c7"  # a Token WeChat accepts
ECHO = "werobot echo (plain)"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
#: bench/floor_app.py's table (not imported: it reads its settings when imported).
FLOOR_TABLE = "CREATE TABLE floor_pushes (msg_id bigint PRIMARY KEY, xml text NOT NULL)"
WORKERS = 2  # gunicorn sync workers, for every target (--workers)
PUSHES_PER_SECOND = 20_000  # prepared per second of --duration unless --requests says


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    stored: int | None = None
    baseline_rps: float | None = None  # the echo's, around this run
    server_cpu_us: float | None = None  # gunicorn master and workers (not PostgreSQL), per request
    idle_us: float | None = None  # the machine's unused CPU (both cores), per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def ratio(self) -> float:
        return self.rps / self.baseline_rps if self.baseline_rps else 1.0


def write_requests(path: Path, count: int, followers: int, mode: str, salt: int) -> None:
    signer = WeChatSigner(TOKEN, APP_ID, AES_KEY)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            sender = f"o_bench_follower_{i % followers:04d}"
            message = wx.text(f"第 {i} 条留言：请问活动时间？", sender=sender,
                              msg_id=salt * 10_000_000 + i)
            query, body = signer.build(message, mode)  # type: ignore[arg-type]
            out.write(f"/wechat?{urlencode(query)}\t{body.decode('utf-8')}\n")


def serve(app: str, port: int, env: dict[str, str], log: Path,
          workers: int = WORKERS, root: Path = ROOT) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b",
           f"127.0.0.1:{port}", "--log-level", "warning", app]
    process = subprocess.Popen(cmd, cwd=root, env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process  # it answered: up
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start; see {log}")


def run_wrk(port: int, requests_file: Path, duration: int, connections: int) -> str:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
           "-s", str(ROOT / "bench" / "requests.lua"), f"http://127.0.0.1:{port}",
           "--", str(requests_file)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def parse_wrk(name: str, output: str) -> Result:
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    assert total, output
    seconds = float(total.group(2)) * {"s": 1, "ms": 0.001, "m": 60}[total.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*?timeout (\d+)", output)
    return Result(name, int(total.group(1)), seconds, _pct(output, "50%"), _pct(output, "99%"),
                  int(non_2xx.group(1)) if non_2xx else 0 + (int(errors.group(1)) if errors else 0))


def _pct(output: str, label: str) -> float:
    found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output)
    assert found, output
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def stored_messages(url: str, table: Any = InboundMessage) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.scalar(select(func.count()).select_from(table)) or 0)
    engine.dispose()
    return count


def measure(name: str, app: str, env: dict[str, str], mode: str, args: argparse.Namespace,
            workdir: Path, salt: int, table: Any = InboundMessage,
            root: Path = ROOT) -> Result:
    requests_file, prepared = workdir / f"{name}.txt", pushes_to_prepare(args)
    if not requests_file.exists():  # the echo's are reused: it remembers nothing
        write_requests(requests_file, prepared, args.followers, mode, salt)
    port = 18000 + salt
    process = serve(app, port, env, workdir / f"{name}.log", args.workers, root)
    try:
        result = load(name, process.pid, port, requests_file, args)
    finally:
        process.terminate()
        process.wait(timeout=15)
    if result.requests > prepared:
        sys.exit(f"{name}: wrk sent {result.requests} requests but only {prepared} "
                 "unique pushes were prepared; raise --requests")
    if "WXOPS_DATABASE_URL" in env:
        result.stored = stored_messages(env["WXOPS_DATABASE_URL"], table)
    return result


def load(name: str, server_pid: int, port: int, requests_file: Path,
         args: argparse.Namespace) -> Result:
    """One wrk run against a started server, with the CPU the server used."""
    settled(server_pid, args.workers)
    before = CpuClock.read(server_pid)
    result = parse_wrk(name, run_wrk(port, requests_file, args.duration, args.connections))
    after = CpuClock.read(server_pid)
    if before and after and result.requests:
        result.server_cpu_us = after.server_since(before) / result.requests * 1e6
        result.idle_us = (after.idle - before.idle) / result.requests * 1e6
    return result


def wxops_env(url: str, mode: str, root: Path = ROOT) -> dict[str, str]:
    """wxops's settings, its database migrated by the code in ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    env.update(WXOPS_DATABASE_URL=url, WXOPS_TOKEN=TOKEN, WXOPS_APP_ID=APP_ID,
               WXOPS_APP_SECRET="bench", PYTHONPATH=str(root))
    if mode == "safe":
        env["WXOPS_ENCODING_AES_KEY"] = AES_KEY
    subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "db", "upgrade"],
                   env=env, check=True, capture_output=True, cwd=root)
    return env


def floor_env(url: str, mode: str) -> dict[str, str]:
    """The floor's: the database, WeRoBot's Token (and key, in safe mode), its table."""
    env = {**os.environ, "WXOPS_DATABASE_URL": url, "WXOPS_TOKEN": TOKEN,
           "PYTHONPATH": str(ROOT)}
    if mode == "safe":
        env |= {"WXOPS_ENCODING_AES_KEY": AES_KEY, "WXOPS_APP_ID": APP_ID}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(FLOOR_TABLE)  # here: two workers would race to create it
    return env


def report(results: list[Result]) -> None:
    """One row per run in the order they ran; a target's ratio is against the
    echo rows on either side of it."""
    print(f"\n{'target':<28}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'non-2xx':>9}{'lost':>6}{'cpu us':>8}{'idle us':>8}")
    for r in results:
        lost = "" if r.stored is None else str(max(0, r.requests - r.stored))
        ratio = f"{r.ratio:.2f}" if r.baseline_rps else ""
        print(f"{r.name:<28}{r.rps:>9.0f}{ratio:>8}{r.p50_ms:>9.2f}"
              f"{r.p99_ms:>9.2f}{r.non_2xx:>9}{lost:>6}"
              f"{_us(r.server_cpu_us):>8}{_us(r.idle_us):>8}")


def _us(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def load_options(parser: argparse.ArgumentParser) -> None:
    """The load every inbound benchmark puts on the server."""
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--followers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="gunicorn sync workers, for every target")
    parser.add_argument("--requests", type=int, default=None,
                        help="unique pushes to prepare (default: 20,000 a second of --duration)")


def pushes_to_prepare(args: argparse.Namespace) -> int:
    """Enough unique pushes that wrk cannot run out on a fast machine."""
    return int(args.requests or args.duration * PUSHES_PER_SECOND)


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("the inbound benchmarks need wrk: apt-get install wrk")


#: PostgreSQL's variants, each a row of its own after the target as deployed
#: (``--usual-path``, ``--no-flush``): (label, app, extra environment).
VARIANTS = {
    "usual_path": ("usual path", "bench.usual_path_app:app", {}),
    # Not acceptable (an acknowledged push could be lost): a bound, to show what
    # the commit's WAL flush costs.
    "no_flush": ("no flush: a bound", "bot.wsgi:app",
                 {"PGOPTIONS": "-c synchronous_commit=off"}),
}


class Target(NamedTuple):
    name: str
    app: str
    engine: str
    mode: str
    extra: dict[str, str]
    floor: bool = False  # bench/floor_app.py, not wxops
    root: Path = ROOT  # the code it runs (--before: an earlier revision's)


def targets(args: argparse.Namespace) -> list[Target]:
    """Each target, in the order they run."""
    chosen = [VARIANTS[v] for v in ("usual_path", "no_flush") if getattr(args, v)]
    found: list[Target] = []
    for engine in args.engines.split(","):
        for mode in ("plain", "safe"):
            found.append(Target(f"wxops {engine} ({mode})", "bot.wsgi:app", engine, mode, {}))
            if engine != "postgresql":
                continue
            found += [Target(f"wxops {engine} ({mode}, {label})", app, engine, mode, extra)
                      for label, app, extra in chosen]
            if args.before:
                found.append(Target(f"wxops {engine} ({mode}, before)", "bot.wsgi:app", engine,
                                    mode, {}, root=Path(args.before).resolve()))
            if args.floor:
                found.append(Target(f"floor {engine} ({mode})", "bench.floor_app:app", engine,
                                    mode, {}, floor=True))
    return found


def one_round(args: argparse.Namespace, workdir: Path) -> list[Result]:
    """Echo, then each target followed by the echo again; returns the runs in order."""
    env = {**os.environ, "WXOPS_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    runs = [measure(ECHO, "bench.echo_app:app", env, "plain", args, workdir, 1)]
    for i, t in enumerate(targets(args)):
        url = database(t.engine, workdir / f"{t.engine}-{i}", f"inbound_{t.mode}_{i}")
        made = floor_env(url, t.mode) if t.floor else wxops_env(url, t.mode, t.root)
        target = measure(t.name, t.app, {**made, **t.extra}, t.mode, args, workdir, 10 + i,
                         table("floor_pushes") if t.floor else InboundMessage, t.root)
        echo = measure(ECHO, "bench.echo_app:app", env, "plain", args, workdir, 2)
        target.baseline_rps = (runs[-1].rps + echo.rps) / 2
        runs += [target, echo]
    return runs


def summarise(rounds: list[list[Result]]) -> None:
    print(f"\nover {len(rounds)} rounds: median ratio (lowest-highest)")
    targets = [r.name for r in rounds[0] if r.baseline_rps]
    for name in targets:
        ratios = sorted(r.ratio for runs in rounds for r in runs if r.name == name)
        print(f"{name:<28}{statistics.median(ratios):>6.2f}"
              f"  ({ratios[0]:.2f}-{ratios[-1]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_options(parser)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--usual-path", action="store_true",
                        help="PostgreSQL: also each mode with the one-statement push off")
    parser.add_argument("--no-flush", action="store_true",
                        help="PostgreSQL: also each mode with synchronous_commit off (a bound)")
    parser.add_argument("--floor", action="store_true",
                        help="PostgreSQL: also each mode's floor, the echo plus one durable "
                             "INSERT (bench/floor_app.py)")
    parser.add_argument("--before", metavar="DIR",
                        help="PostgreSQL: also each mode as the wxops code in DIR has it")
    args = parser.parse_args()
    require_wrk()
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            runs = one_round(args, Path(tmp))
        report(runs)
        rounds.append(runs)
    if args.rounds > 1:
        summarise(rounds)


if __name__ == "__main__":
    main()
