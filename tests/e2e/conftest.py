"""Start wxops as real processes on free ports, against a database of each engine."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "wxopsE2eToken"  # 3-32 letters or digits, as the WeChat console requires
APP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    env.update(WXOPS_DATABASE_URL=database_url, WXOPS_TOKEN=TOKEN, WXOPS_APP_ID=APP_ID,
               WXOPS_APP_SECRET="e2e-secret", WXOPS_ENCODING_AES_KEY=AES_KEY,
               PYTHONPATH=str(ROOT), **extra)
    return env


def wxops(*args: str) -> list[str]:
    return [sys.executable, "-c", "from bot.cli import main; main()", *args]


_TEMPLATE: list[Path] = []  # this pytest process's migrated SQLite file, made once


def migrate_database(database_url: str) -> None:
    """The schema at head, as `wxops db upgrade` leaves it (tested as a command
    elsewhere): a copy of one migrated SQLite file, or the migrations run here on
    PostgreSQL; not a process of its own per stack."""
    from storage import migrate
    from storage.db import make_engine, sqlite_file

    target = sqlite_file(database_url)
    if target is None:
        engine = make_engine(database_url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        return
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="wxops-schema-")) / "head.db"
        engine = make_engine(f"sqlite:///{template}")
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        with closing(sqlite3.connect(template)) as conn:  # all in the main file, no WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _TEMPLATE.append(template)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], target)


#: The read-only calls of the worker's start-up probe (bot/probe.py), which asks the
#: platform what the account may call: the one place a 48001 is expected.
PROBE_PATHS = {"/cgi-bin/customservice/getkflist", "/cgi-bin/template/get_all_private_template",
               "/cgi-bin/material/get_materialcount", "/cgi-bin/draft/count",
               "/cgi-bin/freepublish/batchget", "/cgi-bin/user/get",
               "/cgi-bin/get_current_selfmenu_info", "/datacube/getusersummary"}


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset, or a read timed out while the server boots
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


#: For an e2e test whose PostgreSQL half adds nothing: what it checks is the
#: processes' and the platform's part, and an integration test covers the same code
#: on PostgreSQL (each use names it).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    yield from request.getfixturevalue("pg_server").lend()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = process_env(database_url)
    migrate_database(database_url)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(wxops("serve", "--port", str(port), "--workers", "2"),
                               env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Server(url, database_url, process)
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@dataclass
class Stack:
    """Emulator, server and workers as processes, as `make run` starts them."""

    emulator: str
    server: str
    database_url: str
    env: dict[str, str]
    workdir: Path
    processes: list[subprocess.Popen[bytes]]

    def start_worker(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"worker-{name}.log").open("ab")
        process = subprocess.Popen(wxops("worker", "--name", name), env={**self.env, **extra},
                                   cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def wxops(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(wxops(*args), env=self.env, cwd=self.workdir, text=True,
                              capture_output=True, timeout=60, check=False)


def _start(args: list[str], env: dict[str, str], workdir: Path,
           name: str) -> subprocess.Popen[bytes]:
    log = (workdir / f"{name}.log").open("wb")
    return subprocess.Popen(args, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def stack(database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(database_url, tmp_path)


#: An unverified subscription account (issue 21): the settings say so, and the
#: emulator plays one (``--account-kind subscription --unverified``).
SMALL_ACCOUNT = {"WXOPS_ACCOUNT_KIND": "subscription", "WXOPS_ACCOUNT_VERIFIED": "0"}


@pytest.fixture
def small_stack(database_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The stack for an unverified subscription account."""
    yield from start_stack(database_url, tmp_path, SMALL_ACCOUNT,
                      ["--account-kind", "subscription", "--unverified"])


def start_stack(database_url: str, tmp_path: Path, account: dict[str, str] | None = None,
           emulator_args: list[str] | None = None) -> Iterator[Stack]:
    from bot.demo import environment

    emulator_port, server_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    env = process_env(database_url, WXOPS_OUTBOX_BACKOFF_SECONDS="0.3",
                      WXOPS_OUTBOX_LEASE_SECONDS="5", **(account or {}))
    env |= environment(emulator_url)
    server_url = f"http://127.0.0.1:{server_port}"
    env |= {"WXOPS_TOKEN": TOKEN, "WXOPS_PUBLIC_URL": server_url}  # as `make run` gives it
    migrate_database(database_url)
    processes = [
        _start(wxops("emulator", "--port", str(emulator_port), "--push-to",
                     f"{server_url}/wechat", "--push-delay", "0.2", *(emulator_args or [])),
               env, tmp_path, "emulator"),
        _start(wxops("serve", "--port", str(server_port), "--workers", "2"), env, tmp_path,
               "server"),
    ]
    stack = Stack(emulator_url, server_url, database_url, env, tmp_path, processes)
    try:
        wait_healthy(server_url, processes[1])
        _wait_emulator(emulator_url)
        yield stack
    finally:
        for process in stack.processes:
            if process.poll() is None:
                process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_emulator(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_emulator/health", timeout=1):
                return
        except OSError:  # refused, reset, or a read timed out while it starts
            time.sleep(0.2)
    raise RuntimeError("emulator did not start")
