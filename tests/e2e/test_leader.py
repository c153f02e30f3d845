"""The scheduler leader among workers started as processes, with faults injected.

Three `wxops worker` processes share a database. The fault is the leader's lock
taken from under it: on PostgreSQL its advisory-lock session terminated
(pg_terminate_backend, as a restart or a failover would end it), on SQLite its
lock file removed. Then the leader is killed outright. Each worker logs every
leader-only job it runs (a debug line of wxops.worker, switched on for these
processes), so the logs say who ran leader jobs when: between two faults
exactly one process may, and one must again within a minute of each.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.leader import LeaderLock
from tests.e2e.conftest import migrate_database, process_env

WITHIN = 60.0  # seconds: the longest a loss may leave the account without a leader
DUE_EVERY = 5.0  # the timed-publish job's interval, the most frequent leader-only job
# Runs logged this soon after a fault began before it (the log line follows the check).
GRACE = 0.5
# `wxops worker`, with the one debug line that says a leader-only job runs.
WORKER = ("import logging; logging.getLogger('wxops.worker').setLevel(logging.DEBUG); "
          "from bot.cli import main; main()")
RUN = re.compile(r"^(\S+ \S+) DEBUG wxops\.worker (\w+) runs as the scheduler leader$", re.M)
# The leader's lock only: a worker refreshing the access token holds another
# advisory lock for a moment (storage/tokens.py), which is no leader.
HOLDERS = text("""
    SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
      AND l.classid::bigint = :key >> 32 AND l.objid::bigint = :key & 4294967295
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())""")


@dataclass
class Fleet:
    database_url: str
    env: dict[str, str]
    workdir: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        log = (self.workdir / f"worker-{name}.log").open("wb")
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-c", WORKER, "worker", "--name", name], env=self.env,
            cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.workdir / f"worker-{name}.log").read_text()

    def runs(self, since: float = 0.0) -> list[tuple[float, str]]:
        """(when, worker) of every leader-only job run logged after ``since``."""
        found = [(_when(stamp), name) for name in self.workers
                 for stamp, _job in RUN.findall(self.log(name))]
        return sorted(r for r in found if r[0] > since)

    def postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def holders(self) -> list[tuple[int, str]]:
        engine = make_engine(self.database_url)
        with engine.connect() as conn:
            key = LeaderLock(engine).key
            rows = [(int(pid), str(name)) for pid, name in conn.execute(HOLDERS, {"key": key})]
        engine.dispose()
        return rows


def _when(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()  # local, as logged


@pytest.fixture
def fleet(database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    env = process_env(database_url, WXOPS_WECHAT_API_BASE="http://127.0.0.1:9")  # never WeChat
    migrate_database(database_url)
    fleet = Fleet(database_url, env, tmp_path)
    try:
        yield fleet
    finally:
        for process in fleet.workers.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=15)


def cut(fleet: Fleet) -> float:
    """Take the lock away from under its holder; returns when it was gone."""
    if not fleet.postgres():
        os.remove(f"{fleet.database_url.removeprefix('sqlite:///')}.wxops-scheduler.lock")
        return time.time()
    pids = [pid for pid, _name in fleet.holders()]
    assert len(pids) == 1, pids
    engine = make_engine(fleet.database_url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pids[0]})
    engine.dispose()
    return time.time()


def next_leader(fleet: Fleet, since: float) -> tuple[str, float]:
    """Who runs leader jobs after ``since``, and how long after it the first ran.
    Waits one more interval of the busiest job, in which a second process that
    still believed it led would have run one too: exactly one may."""
    deadline = since + WITHIN
    while not fleet.runs(since + GRACE):
        assert time.time() < deadline, f"no leader job ran within {WITHIN:.0f} s"
        time.sleep(0.2)
    first = fleet.runs(since + GRACE)[0][0]
    time.sleep(max(0.0, first + DUE_EVERY + 1.5 - time.time()))
    runners = {name for _when, name in fleet.runs(since + GRACE)}
    assert len(runners) == 1, f"leader jobs ran in several workers at once: {runners}"
    leader = runners.pop()
    if fleet.postgres():  # and it is the one whose session holds the lock
        assert [name for _pid, name in fleet.holders()] == [f"wxops-leader {leader}"]
    return leader, first - since


def stops_cleanly(fleet: Fleet, name: str) -> None:
    fleet.workers[name].send_signal(signal.SIGTERM)
    code = fleet.workers[name].wait(timeout=20)
    log = fleet.log(name)
    assert code == 0 and "Traceback" not in log, f"{name} exited {code}:\n{log[-3000:]}"


def test_one_leader_at_a_time_through_a_lost_lock_and_a_killed_leader(fleet: Fleet) -> None:
    for name in ("w1", "w2", "w3"):
        fleet.start(name)
    deadline = time.time() + WITHIN
    while not fleet.runs():
        assert time.time() < deadline, "no worker became the leader"
        time.sleep(0.2)
    leader, after_cut = next_leader(fleet, cut(fleet))  # the old leader again, or another
    fleet.workers[leader].send_signal(signal.SIGKILL)
    fleet.workers[leader].wait(timeout=15)
    leader, after_kill = next_leader(fleet, time.time())  # a survivor
    cut(fleet)
    stops_cleanly(fleet, leader)  # stopped before it could notice: its session is gone
    for name, process in fleet.workers.items():
        if process.returncode is None:
            stops_cleanly(fleet, name)
    print(f"leader jobs ran again {after_cut:.1f} s after the cut, "
          f"{after_kill:.1f} s after the kill")
