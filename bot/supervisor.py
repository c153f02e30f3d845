"""Run several wxops processes as one: started together, stopped together.

`make run` uses it for the demo (emulator, server, worker). If one process
dies, the others are stopped and the exit status says so; Ctrl-C stops all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click

from bot.cli_text import echo


@dataclass(frozen=True)
class Child:
    name: str
    args: Sequence[str]


def wxops_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from bot.cli import main; main()", *args]


def supervise(children: Sequence[Child], env: dict[str, str]) -> int:
    running: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(_signum: int = 0, _frame: object = None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for child in children:
            running[child.name] = subprocess.Popen(list(child.args), env=env)
            time.sleep(0.3)  # the emulator should listen before the server pushes to it
        return _watch(running, lambda: stopping)
    finally:
        _stop_all(running)


def _watch(running: dict[str, subprocess.Popen[bytes]], stopping: Callable[[], bool]) -> int:
    while not stopping():
        for name, process in running.items():
            code = process.poll()
            if code is not None:
                echo("run", "child_exited", name=name, status=code, err=True)
                return code or 1
        time.sleep(0.2)
    click.echo()
    echo("run", "stopping")
    return 0


def _stop_all(running: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in running.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in running.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
