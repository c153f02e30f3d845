"""The directory a web server's processes sum their counts through: fresh for each
server, emptied when named, and a dead server's removed by the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from bot import metrics_dir
from bot.metrics import MULTIPROC_ENV


def test_each_server_gets_a_fresh_directory_and_a_dead_ones_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    abandoned = tmp_path / f"{metrics_dir.PREFIX}old"
    abandoned.mkdir()
    (abandoned / metrics_dir.OWNER).write_text(dead)
    (abandoned / "counter_1.db").write_bytes(b"")
    alive = tmp_path / f"{metrics_dir.PREFIX}running"
    alive.mkdir()
    (alive / metrics_dir.OWNER).write_text(str(os.getppid()))

    made = metrics_dir.prepare()
    try:
        assert os.environ[MULTIPROC_ENV] == str(made) and made.parent == tmp_path
        assert not abandoned.exists() and alive.exists()
        assert (made / metrics_dir.OWNER).read_text() == str(os.getpid())
    finally:
        metrics_dir.remove()
    assert not made.exists()


def test_a_named_directory_is_emptied_of_a_former_servers_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "counter_12.db").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept")
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    assert metrics_dir.prepare() == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    metrics_dir.remove()  # not made by wxops: left alone
    assert tmp_path.exists()


COUNTING = """
import sys
from prometheus_client import Counter, Histogram
pushes = Counter("wxops_test_pushes", "pushes", ["outcome"])
seconds = Histogram("wxops_test_seconds", "seconds", buckets=(0.1, 1.0))
for value in map(float, sys.argv[1:]):
    pushes.labels("ok").inc()
    seconds.observe(value)
pushes.labels("refused").inc(2)
"""


def counted(directory: Path, *values: float) -> int:
    """A process that counts into ``directory`` and exits: its pid."""
    subprocess.run([sys.executable, "-c", COUNTING, *map(str, values)], check=True,
                   env={**os.environ, MULTIPROC_ENV: str(directory)})
    [pid] = {int(p.stem.split("_")[1]) for p in directory.glob("*_*.db")
             if p.stem.split("_")[1].isdigit()}  # the archive's files are not a process's
    return pid


def sums(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    merged = MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
        [str(p) for p in directory.glob("*.db")])
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for m in merged for s in m.samples}


def test_an_exited_workers_counts_go_into_the_archive_and_its_files_go(tmp_path: Path) -> None:
    """Workers replaced again and again (gunicorn's max_requests, reloads) leave
    one archive file a type, not files a worker, and the sums do not move."""
    expected: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for values in ((0.05, 0.5), (2.0,), (0.05, 0.05, 3.0)):
        pid = counted(tmp_path, *values)
        before = sums(tmp_path)
        metrics_dir.archive(tmp_path, pid)
        assert sums(tmp_path) == before  # a scrape before and after sees the same
        expected = before
        assert sorted(p.name for p in tmp_path.glob("*.db")) == [
            "counter_archive.db", "histogram_archive.db"]
    ok = (("outcome", "ok"),)
    assert expected[("wxops_test_pushes_total", ok)] == 6
    assert expected[("wxops_test_pushes_total", (("outcome", "refused"),))] == 6
    assert expected[("wxops_test_seconds_count", ())] == 6
    assert expected[("wxops_test_seconds_bucket", (("le", "0.1"),))] == 3
    assert expected[("wxops_test_seconds_bucket", (("le", "1.0"),))] == 4
    assert expected[("wxops_test_seconds_sum", ())] == pytest.approx(5.65)
    metrics_dir.archive(tmp_path, 999_999_999)  # a process that counted nothing: no change
    assert sums(tmp_path) == expected


def test_an_archive_that_fails_leaves_the_files_and_the_server_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """child_exit runs in gunicorn's signal handler: an error there would stop the
    server. The worker's files stay, so the sums are still right."""
    pid = counted(tmp_path, 0.5)
    before = sums(tmp_path)
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))

    def full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("prometheus_client.mmap_dict.MmapedDict.write_value", full)
    metrics_dir.worker_exited(None, type("Worker", (), {"pid": pid})())
    assert sums(tmp_path) == before
    assert (tmp_path / f"counter_{pid}.db").exists()
    assert not list(tmp_path.glob("*_archive.db*"))
    assert any("could not be archived" in r.getMessage() for r in caplog.records)
