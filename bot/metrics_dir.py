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
of a worker does not make the totals drop): its files are added into one
archive file of each type and removed, so the directory holds the live
workers' files and the archive however often workers are replaced
(``max_requests``, reloads). The scrape (``held``) and that compaction take the
directory's lock in turn: a scrape never sees a worker counted twice or not at
all, nor a file vanish under it.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.metrics import MULTIPROC_ENV

log = logging.getLogger("wxops.metrics")

PREFIX = "wxops-metrics-"
OWNER = "owner.pid"
LOCK = "scrape.lock"
#: The file types whose values outlive their process (prometheus_client names
#: each file ``TYPE_PID.db``); a live gauge's go with it (``mark_process_dead``).
KEPT = ("counter", "histogram")
ARCHIVE = "archive"

_made: list[Path] = []  # the directory this process made, to remove at exit
#: Exited workers whose counts are still to be archived, and whether this process
#: is archiving now: gunicorn calls ``child_exit`` from its SIGCHLD handler, which
#: runs again, nested, when another worker exits meanwhile (a reload's four at once).
_exited: list[int] = []
_archiving: list[bool] = []


def prepare() -> Path:
    """The server's directory, empty, named in the environment; and the module
    ``worker_exited`` calls, imported now. gunicorn runs ``child_exit`` inside
    its SIGCHLD handler: imported there first, on a reload's four exits at once,
    the next exit found it half made and the error stopped gunicorn."""
    path = _directory()
    for module in ("prometheus_client.multiprocess", "prometheus_client.mmap_dict"):
        importlib.import_module(module)
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
    """gunicorn's ``child_exit``: a worker's live gauges go with it, its counters
    and histograms into the archive."""
    from prometheus_client import multiprocess

    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
    _exited.append(worker.pid)
    if _archiving:  # nested in the handler that is archiving: it takes this one too
        return
    _archiving.append(True)
    try:
        while _exited:
            _archived(Path(directory), _exited.pop())
    finally:
        _archiving.clear()


def _archived(directory: Path, pid: int) -> None:
    """``archive``, never raising into gunicorn's signal handler (an error there
    would stop the server): a process whose files could not be archived keeps
    them, and the sums stay right."""
    try:
        archive(directory, pid)
    except Exception:
        log.exception("the counts of exited worker %s could not be archived; its files "
                      "stay in %s", pid, directory)


@contextmanager
def held(directory: Path) -> Iterator[None]:
    """The directory's lock, for a scrape or a compaction."""
    with (directory / LOCK).open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def archive(directory: Path, pid: int) -> None:
    """The exited process's counts added into the archive of their type (written
    aside, then put in place), and its own files removed."""
    from prometheus_client.multiprocess import MultiProcessCollector

    with held(directory):
        for kind in KEPT:
            gone = directory / f"{kind}_{pid}.db"
            if not gone.exists():
                continue
            kept = directory / f"{kind}_{ARCHIVE}.db"
            files = [str(f) for f in (kept, gone) if f.exists()]
            merged = MultiProcessCollector.merge(files, accumulate=False)  # type: ignore[no-untyped-call]
            fresh = directory / f"{kind}_{ARCHIVE}.db.new"  # not read by a scrape: not *.db
            fresh.unlink(missing_ok=True)  # an opened file's values would be kept, not replaced
            try:
                _write(fresh, merged)
            except BaseException:
                fresh.unlink(missing_ok=True)
                raise
            fresh.replace(kept)
            gone.unlink()


def _write(path: Path, metrics: Any) -> None:
    """Merged metrics (not accumulated) into a new file of prometheus_client's format."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    store = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    try:
        for metric in metrics:
            for sample in metric.samples:
                key = mmap_key(metric.name, sample.name, list(sample.labels),
                               list(sample.labels.values()), metric.documentation)
                store.write_value(key, sample.value, 0.0)  # type: ignore[no-untyped-call]
    finally:
        store.close()  # type: ignore[no-untyped-call]


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
