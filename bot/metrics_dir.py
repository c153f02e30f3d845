"""The directory a web server's processes share their counts through
(prometheus_client's multiprocess mode).

gunicorn runs several worker processes and a scrape reaches one of them: each
process writes its counters to files of its own in one directory, and
``/metrics`` sums them all. The directory belongs to one server: ``prepare``
runs in gunicorn's first process, before any worker starts and before
prometheus_client is imported, makes a fresh one (or empties the one
``PROMETHEUS_MULTIPROC_DIR`` names) and sets the variable its workers inherit;
``worker_exited`` is gunicorn's ``child_exit``; ``remove`` its ``on_exit``.
Counters of a worker that exited stay in the sums, as a counter must (a restart
of a worker does not make the totals drop).
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.metrics import MULTIPROC_ENV

log = logging.getLogger("wxops.metrics")

PREFIX = "wxops-metrics-"
OWNER = "owner.pid"

_made: list[Path] = []  # the directory this process made, to remove at exit


def prepare() -> Path:
    """The server's directory, empty, named in the environment; and the module
    ``worker_exited`` calls, imported now. gunicorn runs ``child_exit`` inside
    its SIGCHLD handler: imported there first, on a reload's four exits at once,
    the next exit found it half made and the error stopped gunicorn."""
    path = _directory()
    importlib.import_module("prometheus_client.multiprocess")
    return path


def _directory() -> Path:
    if "prometheus_client" in sys.modules and not os.environ.get(MULTIPROC_ENV):
        log.warning("prometheus_client was imported before the metrics directory was set "
                    "up: this server's processes will each count for themselves")
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # the files of a server that ran before
            stale.unlink()
        return path
    _prune_abandoned(Path(tempfile.gettempdir()))
    path = Path(tempfile.mkdtemp(prefix=PREFIX))
    (path / OWNER).write_text(str(os.getpid()))
    os.environ[MULTIPROC_ENV] = str(path)
    _made.append(path)
    return path


def worker_exited(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit``: a worker's live gauges go with it (its counters stay)."""
    from prometheus_client import multiprocess

    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def remove(server: Any = None) -> None:
    """gunicorn's ``on_exit``: the directory this server made goes."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)


def _prune_abandoned(base: Path) -> None:
    """Directories of servers that died without removing theirs (SIGKILL)."""
    for path in base.glob(f"{PREFIX}*"):
        try:
            owner = int((path / OWNER).read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):  # not ours to judge (another user's, half made)
            continue
