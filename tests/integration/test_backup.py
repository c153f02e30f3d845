"""`wxops backup` / `wxops restore` on both engines: a round trip gives back the
same rows and files, a SQLite backup taken under writes is a consistent
snapshot, and a backup that is tampered with, of the other engine or of a newer
schema, or a database that holds data, is refused before anything is touched."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, inspect, select

from bot.timefmt import utcnow
from storage import heartbeats
from storage.backup import sha256
from storage.db import make_engine
from storage.models import Base
from tests.conftest import PgServer
from tests.integration.clirun import Wxops


@pytest.fixture
def target_url(engine_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same engine as ``engine_url``."""
    if engine_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'wxops.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    yield from server.lend()


@pytest.fixture
def source(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` on a migrated database holding a few rows, and a report and a
    survey on disk."""
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert cli("db", "upgrade").status == 0
    assert cli("staff", "invite", "--role", "admin").status == 0
    assert cli("rules", "add", "--contains", "donate", "--reply", "thanks").status == 0
    (tmp_path / "var" / "reports").mkdir(parents=True)
    (tmp_path / "var" / "reports" / "2026-W49.html").write_text("<p>week</p>")
    (tmp_path / "var" / "surveys").mkdir(parents=True)
    (tmp_path / "var" / "surveys" / "reader.toml").write_text("title = 'x'\n")
    return cli


def rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every wxops table, in a stable order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
                    for t in Base.metadata.sorted_tables if t.name in present}
    finally:
        engine.dispose()


def test_round_trip_gives_back_the_same_rows_and_files(
        source: Wxops, engine_url: str, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    taken = source("backup", "--out", str(tmp_path / "backup"))
    assert taken.status == 0, taken.err
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["engine"] == engine_url.split(":")[0].split("+")[0]
    assert manifest["revision"] and "files/reports/2026-W49.html" in manifest["files"]
    shutil.rmtree(tmp_path / "var")

    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)
    restored = source("restore", str(tmp_path / "backup"))
    assert restored.status == 0, restored.err
    before, after = rows(engine_url), rows(target_url)
    assert before == after and before["staff_invites"] and before["auto_reply_rules"]
    assert (tmp_path / "var" / "reports" / "2026-W49.html").read_text() == "<p>week</p>"
    assert (tmp_path / "var" / "surveys" / "reader.toml").is_file()
    assert source("db", "current").status == 0

    again = source("restore", str(tmp_path / "backup"))
    assert (again.status, again.code) == (1, "restore_not_empty")
    assert source("restore", "--force", str(tmp_path / "backup")).status == 0
    assert rows(target_url) == before


def test_a_backup_tampered_with_or_not_for_this_database_is_refused(
        source: Wxops, engine_url: str, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    backup = tmp_path / "backup"
    assert source("backup", "--out", str(backup)).status == 0
    assert source("backup", "--out", str(backup)).code == "backup_out_not_empty"
    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)

    database = next(p for p in backup.iterdir() if p.name.startswith("database."))
    good = database.read_bytes()
    database.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    refused = source("restore", str(backup))
    assert (refused.status, refused.code) == (1, "backup_tampered")
    assert refused.data == {"path": database.name, "why": "changed"}
    database.write_bytes(good)

    (backup / "files" / "reports" / "planted.html").write_text("x")
    assert source("restore", str(backup)).data["why"] == "extra"
    (backup / "files" / "reports" / "planted.html").unlink()

    manifest = json.loads((backup / "manifest.json").read_text())
    (backup / "manifest.json").write_text(json.dumps({**manifest, "revision": "9999"}))
    assert source("restore", str(backup)).code == "restore_newer_schema"
    other = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
    (backup / "manifest.json").write_text(json.dumps({**manifest, "engine": other}))
    assert source("restore", str(backup)).code == "restore_wrong_engine"
    (backup / "manifest.json").unlink()
    assert source("restore", str(backup)).code == "backup_no_manifest"
    assert rows(target_url) == {}  # nothing was restored by any of them


def test_a_restore_while_a_worker_runs_on_the_database_is_refused(
        source: Wxops, engine_url: str, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/README.md says to stop the web and the worker before restoring: a
    worker that beat in the last 90 s refuses the restore, --force or not (it
    would go on writing over the restored rows and send again what the backup
    has as unsent); one that stopped beating long ago does not."""
    backup = tmp_path / "backup"
    assert source("backup", "--out", str(backup)).status == 0
    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)
    assert source("db", "upgrade").status == 0
    target = make_engine(target_url)
    try:
        with target.begin() as conn:
            heartbeats.beat(conn, "web1:4242", utcnow() - timedelta(seconds=20), False)
        for args in (("restore",), ("restore", "--force")):
            refused = source(*args, str(backup))
            assert (refused.status, refused.code) == (1, "restore_worker_running"), refused.err
            assert refused.data["worker"] == "web1:4242" and len(refused.err.splitlines()) == 1
        assert rows(target_url)["auto_reply_rules"] == []  # nothing restored
        with target.begin() as conn:
            conn.execute(delete(heartbeats.TABLE))
            heartbeats.beat(conn, "web1:4242", utcnow() - timedelta(minutes=10), False)
    finally:
        target.dispose()
    restored = source("restore", "--force", str(backup))
    assert restored.status == 0, restored.err


def test_a_backup_of_a_running_system_brings_no_running_worker(
        source: Wxops, engine_url: str, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The timer's backup is taken while the worker runs, with its last beat: once
    restored, that beat made doctor, db copy and a second restore take a worker
    of the old system for one running on this database."""
    running = make_engine(engine_url)
    try:
        with running.begin() as conn:
            heartbeats.beat(conn, "old-host:4242", utcnow(), True)
    finally:
        running.dispose()
    backup = tmp_path / "backup"
    assert source("backup", "--out", str(backup)).status == 0
    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)
    assert source("restore", str(backup)).status == 0
    restored = make_engine(target_url)
    try:
        with restored.connect() as conn:
            assert heartbeats.latest(conn) is None
    finally:
        restored.dispose()
    again = source("restore", "--force", str(backup))
    assert again.status == 0, again.err


def test_files_that_cannot_be_put_back_are_said_in_one_line(
        source: Wxops, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """WXOPS_REPORTS_DIR that cannot be written (here a file stands there): one
    line saying the database is back and the files are not (a traceback before)."""
    backup = tmp_path / "backup"
    assert source("backup", "--out", str(backup)).status == 0
    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)
    blocker = tmp_path / "reports-here"
    blocker.write_text("not a folder")
    monkeypatch.setenv("WXOPS_REPORTS_DIR", str(blocker))
    failed = source("restore", str(backup))
    assert (failed.status, failed.code) == (1, "restore_files_failed"), failed.err
    assert failed.data["path"] == str(blocker) and len(failed.err.splitlines()) == 1
    assert failed.err.startswith("wxops: 数据库已恢复，但文件没能复制到")
    assert rows(target_url)["auto_reply_rules"]


def test_a_restore_that_fails_halfway_leaves_the_database_as_it_was(
        source: Wxops, engine_url: str, target_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged dump whose manifest was made to match it (the checksums cannot
    tell): the restore fails, with --force too, and the database keeps its rows."""
    backup = tmp_path / "backup"
    assert source("backup", "--out", str(backup)).status == 0
    monkeypatch.setenv("WXOPS_DATABASE_URL", target_url)
    assert source("restore", str(backup)).status == 0
    kept = rows(target_url)
    database = next(p for p in backup.iterdir() if p.name.startswith("database."))
    database.write_bytes(database.read_bytes()[: database.stat().st_size * 2 // 3])
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"][database.name] = sha256(database)
    (backup / "manifest.json").write_text(json.dumps(manifest))
    failed = source("restore", "--force", str(backup))
    assert failed.status == 1 and failed.code in ("backup_damaged", "backup_sqlite_failed",
                                                  "backup_tool_failed"), failed.err
    assert rows(target_url) == kept and kept["staff_invites"]


def test_without_pg_dump_the_backup_says_so(
        pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for url in pg_server.lend():
        cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url)
        assert cli("db", "upgrade").status == 0
        monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
        failed = cli("backup", "--out", str(tmp_path / "backup"))
        assert (failed.status, failed.code, failed.data) == (1, "backup_tool_missing",
                                                             {"tool": "pg_dump"})
        assert not any((tmp_path / "backup").iterdir())  # no half backup left behind


def test_a_sqlite_backup_taken_while_another_connection_writes_is_consistent(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    from bot.timefmt import utcnow
    from storage.backup import Folders, take

    path = Path(str(sqlite_engine.url.database))
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE scratch (batch INTEGER, n INTEGER)")
    setup.commit()
    setup.close()
    stop, errors, batches = threading.Event(), [], [0]

    def write() -> None:  # batches of 50 rows, each its own transaction
        conn = sqlite3.connect(path, timeout=5)
        try:
            while not stop.is_set():
                with conn:
                    conn.executemany("INSERT INTO scratch VALUES (?, ?)",
                                     [(batches[0], n) for n in range(50)])
                batches[0] += 1
        except sqlite3.Error as exc:
            errors.append(exc)
        finally:
            conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = []
        for attempt in range(3):
            time.sleep(0.05)
            out = tmp_path / f"backup{attempt}"
            manifest = take(str(sqlite_engine.url), sqlite_engine,
                            Folders.of(str(tmp_path / "none"), str(tmp_path / "none")),
                            out, utcnow())
            assert manifest.files["database.sqlite3"] == sha256(out / "database.sqlite3")
            snapshot = sqlite3.connect(out / "database.sqlite3")
            assert snapshot.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counts.append(snapshot.execute("SELECT count(*) FROM scratch").fetchone()[0])
            snapshot.close()
    finally:
        stop.set()
        writer.join(10)
    assert not errors, errors  # the writer was never locked out
    assert all(count % 50 == 0 for count in counts), counts  # whole transactions only
    assert counts == sorted(counts) and batches[0] * 50 > counts[0]
