"""``bot.wsgi:app`` with timers, for ``bench/inbound_breakdown.py`` (not for production).

Each gunicorn worker adds up the time it spends in the app (wall and CPU) and
waiting for and holding the SQLite write lock, and writes the sums to
``$WXOPS_BENCH_REPORT_DIR/<pid>.json`` when gunicorn stops it.

With ``WXOPS_BENCH_SEPARATE_DB=1`` each worker copies the database and uses
its own copy: an experiment that removes everything the two workers share
(the lock, SQLite's cache invalidation), to show what is left.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage import db

if os.environ.get("WXOPS_BENCH_SEPARATE_DB") == "1":
    _shared = os.environ["WXOPS_DATABASE_URL"].removeprefix("sqlite:///")
    shutil.copy(_shared, f"{_shared}.{os.getpid()}")
    os.environ["WXOPS_DATABASE_URL"] = f"sqlite:///{_shared}.{os.getpid()}"

from bot.wsgi import app as _app  # after the database is chosen

_sums = {"requests": 0, "app_wall": 0.0, "app_cpu": 0.0, "lock_wait": 0.0, "lock_held": 0.0,
         "lock_cpu": 0.0}


_taken = {"at": 0.0, "cpu": 0.0}  # the lock held now (a sync worker runs one push)


def _timed_enter(self: db.SqliteWriteLock) -> None:
    asked = time.perf_counter()
    fcntl.flock(self._fd(), fcntl.LOCK_EX)
    _taken.update(at=time.perf_counter(), cpu=time.thread_time())
    _sums["lock_wait"] += _taken["at"] - asked


def _timed_exit(self: db.SqliteWriteLock, *_exc: object) -> None:
    _sums["lock_cpu"] += time.thread_time() - _taken["cpu"]
    fcntl.flock(self._fd(), fcntl.LOCK_UN)
    _sums["lock_held"] += time.perf_counter() - _taken["at"]


db.SqliteWriteLock.__enter__ = _timed_enter  # type: ignore[method-assign]
db.SqliteWriteLock.__exit__ = _timed_exit  # type: ignore[method-assign]


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return _app(environ, start_response)
    finally:
        _sums["requests"] += 1
        _sums["app_wall"] += time.perf_counter() - wall
        _sums["app_cpu"] += time.thread_time() - cpu


def _report(*_: object) -> None:
    out = Path(os.environ["WXOPS_BENCH_REPORT_DIR"]) / f"{os.getpid()}.json"
    out.write_text(json.dumps(_sums), encoding="utf-8")
    os._exit(0)


signal.signal(signal.SIGTERM, _report)
