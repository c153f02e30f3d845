"""CPU per push in one process: the wxops pipeline against the bare WeRoBot echo.

The HTTP benchmark (``bench/inbound.py``) is the one that counts, but on a
shared machine its figures drift by 10-20 % within minutes. This one calls
the WSGI apps directly, one process per target, with no server, no second
worker and no load generator, and counts CPU time (``time.process_time``),
so it shows the app's own cost with less noise. Targets alternate, each
round runs every target once, and the summary gives each one's lowest cost.

    .venv/bin/python bench/inbound_cpu.py [--pushes 5000] [--rounds 3]

Each push is a text message with a unique MsgId from one of 300 followers,
on a fresh SQLite database, as in ``bench/inbound.py``.
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

from bench.inbound import AES_KEY, APP_ID, TOKEN, wxops_env  # noqa: E402

TARGETS = {"werobot echo (plain)": ("echo", "plain"),
           "wxops sqlite (plain)": ("wxops", "plain"),
           "wxops sqlite (safe)": ("wxops", "safe"),
           # The push's metrics (bot/metrics.py): off, and in the shared directory's
           # files as under gunicorn; the plain target keeps them in memory.
           "wxops, no metrics": ("wxops", "plain"),
           "wxops, metrics in files": ("wxops", "plain")}
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


def load_app(kind: str, mode: str, workdir: Path) -> WsgiApp:
    import logging

    logging.disable(logging.WARNING)
    if kind == "echo":
        os.environ["WXOPS_TOKEN"] = TOKEN
        from bench.echo_app import app as echo

        return echo  # type: ignore[no-any-return]
    os.environ.update(wxops_env(f"sqlite:///{workdir / 'cpu.db'}", mode))
    from bot.wsgi import app as wxops

    return wxops


def cpu_per_push(app: WsgiApp, pushes: list[tuple[str, bytes]], path: str) -> float:
    def call(query: str, body: bytes) -> None:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query,
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
                   "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "bench", "SERVER_PORT": "80",
                   "wsgi.url_scheme": "http"}
        statuses: list[str] = []
        reply = app(environ, lambda status, headers, *_: statuses.append(status))
        b"".join(reply)
        if hasattr(reply, "close"):  # as a server does: wxops checkpoints SQLite then
            reply.close()
        if not statuses or not statuses[0].startswith("200"):
            raise SystemExit(f"push answered {statuses}")

    for query, body in pushes[:WARM_UP]:
        call(query, body)
    started = time.process_time()
    for query, body in pushes[WARM_UP:]:
        call(query, body)
    return (time.process_time() - started) / (len(pushes) - WARM_UP) * 1e6


def child(target: str, pushes: int) -> None:
    kind, mode = TARGETS[target]
    with tempfile.TemporaryDirectory() as tmp:
        _metrics(target, Path(tmp))
        app = load_app(kind, mode, Path(tmp))
        print(json.dumps(cpu_per_push(app, signed_pushes(pushes, mode), "/wechat")))


def _metrics(target: str, workdir: Path) -> None:
    if target == "wxops, no metrics":
        from bot.metrics import PushMeter

        PushMeter.__call__ = lambda self, outcome, reason, seconds: None  # type: ignore[method-assign]
    elif target == "wxops, metrics in files":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(workdir)


def measure(target: str, pushes: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", target, "--pushes", str(pushes)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pushes <= WARM_UP:
        parser.error(f"--pushes must be more than the {WARM_UP} warm-up pushes")
    if args.child:
        child(args.child, args.pushes)
        return
    costs: dict[str, list[float]] = {target: [] for target in TARGETS}
    for round_number in range(1, args.rounds + 1):
        for target in TARGETS:
            costs[target].append(measure(target, args.pushes))
        print(f"round {round_number}: " + ", ".join(
            f"{target} {values[-1]:.0f} us" for target, values in costs.items()))
    echo = min(costs["werobot echo (plain)"])
    print(f"\n{'target':<26}{'CPU us/push (lowest)':>22}{'x echo':>9}")
    for target, values in costs.items():
        print(f"{target:<26}{min(values):>22.0f}{min(values) / echo:>9.2f}")


if __name__ == "__main__":
    main()
