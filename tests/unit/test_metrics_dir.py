"""The directory a web server's processes sum their counts through: fresh for each
server, emptied when named, and a dead server's removed by the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
