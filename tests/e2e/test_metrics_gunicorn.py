"""The production web server (``gunicorn -c python:bot.gunicorn_conf bot.wsgi:app``,
two sync workers): /metrics sums the pushes of both workers whichever answers,
keeps a killed worker's counts, and every log line is JSON under
WXOPS_LOG_FORMAT=json."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.e2e.conftest import (
    AES_KEY,
    APP_ID,
    SQLITE_ONLY,
    TOKEN,
    free_port,
    migrate_database,
    process_env,
    wait_healthy,
)
from tests.harness import wechat as wx
from tests.harness.wechat import WeChatSigner
from tests.integration.test_metrics import parse

SCRAPE_TOKEN = "e2e-scrape-token-0123456789"
ROUND = 12


def push(url: str, signer: WeChatSigner, n: int) -> int:
    query, body = signer.build(wx.text(f"第 {n} 条", sender=f"o-metrics-{n % 4}",
                                       msg_id=7_000 + n), "safe")
    request = urllib.request.Request(f"{url}/wechat?{urlencode(query)}", data=body,
                                     headers={"Content-Type": "text/xml"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def scraped_pushes(url: str) -> float:
    request = urllib.request.Request(f"{url}/metrics",
                                     headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        samples = parse(response.read().decode())
    return sum(v for (name, _), v in samples.items() if name == "wxops_pushes_total")


def pushes_by_process(directory: Path) -> dict[int, float]:
    counts = {}
    for path in directory.glob("counter_[0-9]*.db"):  # not the exited workers' archive
        merged = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        counts[int(path.stem.split("_")[1])] = sum(
            s.value for m in merged for s in m.samples if s.name == "wxops_pushes_total")
    return counts


def start_gunicorn(database_url: str, tmp_path: Path, workers: int, **settings: str
                   ) -> tuple[str, Path, subprocess.Popen[bytes]]:
    """The production web server on a migrated database: its URL, its log, its process."""
    migrate_database(database_url)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "bot.wsgi:app"],
            env=process_env(database_url, TMPDIR=str(tmp_path), **settings), cwd=tmp_path,
            stdout=out, stderr=subprocess.STDOUT)
    return f"http://127.0.0.1:{port}", log, server


@SQLITE_ONLY
def test_two_workers_counts_add_up(database_url: str, tmp_path: Path) -> None:
    url, log, server = start_gunicorn(database_url, tmp_path, 2,
                                      WXOPS_METRICS_TOKEN=SCRAPE_TOKEN, WXOPS_LOG_FORMAT="json")
    try:
        wait_healthy(url, server)
        [directory] = tmp_path.glob("wxops-metrics-*")
        signer = WeChatSigner(TOKEN, APP_ID, AES_KEY)
        sent, deadline = 0, time.monotonic() + 20
        with ThreadPoolExecutor(6) as pool:  # both sync workers busy at once
            # Rounds until both workers have counted some (the second may still be
            # loading the app when the first answers).
            while len([n for n in pushes_by_process(directory).values() if n]) < 2:
                assert time.monotonic() < deadline, "one worker took every push"
                batch = range(sent, sent + ROUND)
                assert set(pool.map(lambda n: push(url, signer, n), batch)) == {200}
                sent += ROUND

        by_process = pushes_by_process(directory)
        assert sum(by_process.values()) == sent
        assert {scraped_pushes(url) for _ in range(6)} == {sent}  # whichever answers

        killed = max(by_process, key=lambda pid: by_process[pid])
        os.kill(killed, signal.SIGKILL)  # gunicorn starts another; the counts stay
        _wait_for_replacement(url, server)
        assert push(url, signer, sent) == 200
        assert scraped_pushes(url) == sent + 1
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert not directory.exists()  # on_exit removes the server's directory
    _every_line_is_json(log)


def _wait_for_replacement(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        if children.exists() and len(children.read_text().split()) == 2:
            wait_healthy(url, server)
            return
        time.sleep(0.2)
    pytest.fail("gunicorn did not replace the killed worker")


def _every_line_is_json(log: Path) -> None:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    loggers = {r["logger"] for r in records}
    assert "gunicorn.error" in loggers  # gunicorn's own lines too


@SQLITE_ONLY
def test_reloads_keep_the_server_up(database_url: str, tmp_path: Path) -> None:
    """`systemctl reload` / `docker compose kill -s HUP`: four workers exit at once
    and each exit runs the metrics hook in gunicorn's signal handler. The hook's
    module was once first imported there; a second exit arriving mid-import found
    it half made, and the AttributeError took gunicorn down (found by the podman
    drill of deploy/compose.yaml). The exited workers' counts stay in the sums,
    and their files do not pile up: one archive a type beside the live workers'."""
    url, log, server = start_gunicorn(database_url, tmp_path, 4,
                                      WXOPS_METRICS_TOKEN=SCRAPE_TOKEN)
    signer = WeChatSigner(TOKEN, APP_ID, AES_KEY)
    try:
        wait_healthy(url, server)
        [directory] = tmp_path.glob("wxops-metrics-*")
        for reload in range(5):  # the race is lost about one reload in ten
            assert push(url, signer, reload) == 200
            server.send_signal(signal.SIGHUP)
            time.sleep(1.5)  # the old workers exit within gunicorn's graceful timeout
            assert server.poll() is None, log.read_text()[-2000:]
            wait_healthy(url, server)
        assert scraped_pushes(url) == 5
        assert len(list(directory.glob("counter_*.db"))) <= 4 + 1
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "Traceback" not in log.read_text()
