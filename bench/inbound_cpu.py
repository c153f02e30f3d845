"""CPU per push in one process: the wxops pipeline against the bare WeRoBot echo.

The HTTP benchmark (``bench/inbound.py``) is the one that counts, but on a
shared machine its figures drift by 10-20 % within minutes. This one calls
the WSGI apps directly, one process per target, with no server, no second
worker and no load generator, and counts CPU time (``time.process_time``),
so it shows the app's own cost with less noise. Targets alternate, each
round runs every target once, and the summary gives each one's lowest cost.

    .venv/bin/python bench/inbound_cpu.py [--pushes 5000] [--rounds 3] [--engine sqlite]

Each push is a text message with a unique MsgId from one of 300 followers,
on a fresh database, as in ``bench/inbound.py``. With ``--engine postgresql``
the targets are wxops (plain, safe) and the floor (``bench/floor_app.py``)
against the echo, and each row also gives the CPU PostgreSQL's backends
spent a push (from /proc, the server being on this machine).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import PG_ADMIN, database  # noqa: E402
from bench.inbound import AES_KEY, APP_ID, TOKEN, floor_env, wxops_env  # noqa: E402

TARGETS = {"werobot echo (plain)": ("echo", "plain"),
           "wxops sqlite (plain)": ("wxops", "plain"),
           "wxops sqlite (safe)": ("wxops", "safe"),
           # The push's metrics (bot/metrics.py): off, and in the shared directory's
           # files as under gunicorn; the plain target keeps them in memory.
           "wxops, no metrics": ("wxops", "plain"),
           "wxops, metrics in files": ("wxops", "plain")}
PG_TARGETS = {"werobot echo (plain)": ("echo", "plain"),
              "wxops postgresql (plain)": ("wxops", "plain"),
              "wxops postgresql (safe)": ("wxops", "safe"),
              "floor postgresql (plain)": ("floor", "plain"),
              "floor postgresql (safe)": ("floor", "safe")}
WARM_UP = 300

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def signed_pushes(count: int, mode: str) -> list[tuple[str, bytes]]:
    from tests.harness import wechat as wx
    from tests.harness.wechat import WeChatSigner

    signer = WeChatSigner(TOKEN, APP_ID, AES_KEY)
    pushes = []
    for i in range(count):
        sender = f"o_bench_follower_{i % 300:04d}"
        message = wx.text(f"第 {i} 条留言：请问活动时间？", sender=sender, msg_id=10_000_000 + i)
        query, body = signer.build(message, mode)  # type: ignore[arg-type]
        pushes.append((urlencode(query), body))
    return pushes


def load_app(kind: str, mode: str, url: str) -> WsgiApp:
    import logging

    logging.disable(logging.WARNING)
    if kind == "echo":
        os.environ["WXOPS_TOKEN"] = TOKEN
        from bench.echo_app import app as echo

        return echo  # type: ignore[no-any-return]
    if kind == "floor":
        os.environ.update(floor_env(url, mode))
        from bench.floor_app import app as floor

        return floor  # type: ignore[no-any-return]
    os.environ.update(wxops_env(url, mode))
    from bot.wsgi import app as wxops

    return wxops


def cpu_per_push(app: WsgiApp, pushes: list[tuple[str, bytes]], path: str,
                 url: str = "") -> tuple[float, float]:
    """(this process's, PostgreSQL's backends') CPU µs a push, after a warm-up."""
    def call(query: str, body: bytes) -> None:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query,
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
                   "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "bench", "SERVER_PORT": "80",
                   "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr}
        statuses: list[str] = []
        reply = app(environ, lambda status, headers, *_: statuses.append(status))
        b"".join(reply)
        if hasattr(reply, "close"):  # as a server does: wxops checkpoints SQLite then
            reply.close()
        if not statuses or not statuses[0].startswith("200"):
            raise SystemExit(f"push answered {statuses}")

    for query, body in pushes[:WARM_UP]:
        call(query, body)
    started, backends = time.process_time(), backend_cpu(url)
    for query, body in pushes[WARM_UP:]:
        call(query, body)
    count = len(pushes) - WARM_UP
    return ((time.process_time() - started) / count * 1e6,
            (backend_cpu(url) - backends) / count * 1e6)


def backend_cpu(url: str) -> float:
    """CPU seconds so far of the PostgreSQL backends connected to ``url``'s database
    (the app's), read from /proc; 0 for SQLite or no app database."""
    if not url.startswith("postgresql"):
        return 0.0
    from sqlalchemy import create_engine, text

    from bench._common import process_cpu

    admin = create_engine(PG_ADMIN)
    with admin.connect() as conn:
        pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :db"),
                            {"db": url.rsplit("/", 1)[1]}).all()
    admin.dispose()
    return sum(process_cpu(pid) for pid in pids)


def child(target: str, pushes: int) -> None:
    kind, mode = {**TARGETS, **PG_TARGETS}[target]
    with tempfile.TemporaryDirectory() as tmp:
        _metrics(target, Path(tmp))
        url = ("" if kind == "echo" else
               database("postgresql", Path(tmp), f"cpu_{kind}_{mode}") if "postgresql" in target
               else f"sqlite:///{Path(tmp) / 'cpu.db'}")
        app = load_app(kind, mode, url)
        print(json.dumps(cpu_per_push(app, signed_pushes(pushes, mode), "/wechat", url)))


def _metrics(target: str, workdir: Path) -> None:
    if target == "wxops, no metrics":
        from bot.metrics import PushMeter

        PushMeter.__call__ = lambda self, outcome, reason, seconds: None  # type: ignore[method-assign]
    elif target == "wxops, metrics in files":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(workdir)


def measure(target: str, pushes: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--child", target, "--pushes", str(pushes)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    client, backends = json.loads(out.strip().splitlines()[-1])
    return float(client), float(backends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--child", choices=sorted({**TARGETS, **PG_TARGETS}),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pushes <= WARM_UP:
        parser.error(f"--pushes must be more than the {WARM_UP} warm-up pushes")
    if args.child:
        child(args.child, args.pushes)
        return
    chosen = PG_TARGETS if args.engine == "postgresql" else TARGETS
    costs: dict[str, list[tuple[float, float]]] = {target: [] for target in chosen}
    for round_number in range(1, args.rounds + 1):
        for target in chosen:
            costs[target].append(measure(target, args.pushes))
        print(f"round {round_number}: " + ", ".join(
            f"{target} {values[-1][0]:.0f}+{values[-1][1]:.0f} us"
            for target, values in costs.items()))
    summarise(costs)


def summarise(costs: dict[str, list[tuple[float, float]]]) -> None:
    """Each target's lowest cost (client, and the database's backends)."""
    echo = min(c for c, _ in costs["werobot echo (plain)"])
    print(f"\n{'target':<26}{'CPU us/push (lowest)':>22}{'x echo':>9}{'backend us':>12}")
    for target, values in costs.items():
        client = min(c for c, _ in values)
        print(f"{target:<26}{client:>22.0f}{client / echo:>9.2f}"
              f"{min(b for _, b in values):>12.0f}")


if __name__ == "__main__":
    main()
