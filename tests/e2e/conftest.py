"""Start wxops as real processes on free ports, against a database of each engine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "wxops-e2e-token"
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
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'e2e.db'}"
    return str(request.getfixturevalue("pg_server").create())


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = process_env(database_url)
    subprocess.run(wxops("db", "upgrade"), env=env, check=True, capture_output=True, timeout=60)
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
