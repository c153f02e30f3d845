"""Shared by the benchmarks: a throwaway PostgreSQL database, or a SQLite file;
the CPU a server spends during a run."""

from __future__ import annotations

import atexit
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("WXOPS_TEST_DATABASE_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def libpq_url(url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg://`` URL as libpq (plain psycopg) takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def database(kind: str, workdir: Path, name: str) -> str:
    """A fresh database URL: a file under ``workdir``, or a new PostgreSQL database."""
    if kind == "sqlite":
        workdir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{workdir / f'{name}.db'}"
    db_name = f"wxops_bench_{name}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    atexit.register(_drop, db_name)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}"


def _drop(db_name: str) -> None:
    """Benchmark databases go when the run ends (FORCE: a server may still be closing)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc's unit of CPU time


@dataclass(frozen=True)
class CpuClock:
    """CPU seconds so far of a server's processes (its master and workers) and
    the machine's idle time, from /proc: what a load run costs per request, and
    how much of the machine sat unused while it ran."""

    processes: dict[int, float]
    idle: float

    @classmethod
    def read(cls, master_pid: int) -> CpuClock | None:
        try:
            processes = {pid: process_cpu(pid) for pid in _server_pids(master_pid)}
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except (OSError, ValueError):
            return None  # not Linux, or a worker came and went: no figure
        idle = int(fields[3]) + int(fields[4])  # idle + iowait, in clock ticks
        return cls(processes, idle / _TICKS)

    def server_since(self, earlier: CpuClock) -> float:
        """CPU seconds the server spent since ``earlier``; a process that was not
        there then (a worker restarted) counts from its start."""
        return sum(cpu - earlier.processes.get(pid, 0.0) for pid, cpu in self.processes.items())


def settled(master_pid: int, workers: int, timeout: float = 30.0) -> None:
    """Wait until the server has its workers and they have finished booting
    (their CPU stops climbing), so a run does not count their start-up."""
    deadline = time.monotonic() + timeout
    previous: dict[int, float] = {}
    while time.monotonic() < deadline:
        try:
            current = {pid: process_cpu(pid) for pid in _server_pids(master_pid)}
        except (OSError, ValueError):
            return
        if len(current) == workers + 1 and current == previous:
            return
        previous = current
        time.sleep(0.3)


def _server_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    return [master_pid, *map(int, children.split())]


def process_cpu(pid: int) -> float:
    """User + system seconds of one process (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / _TICKS

