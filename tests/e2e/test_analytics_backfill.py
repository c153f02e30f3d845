"""``wxops analytics backfill`` as a real process (SQLite; the integration tests
cover both engines): killed half-way (SIGKILL, nothing cleaned up), run again,
it asks no day it had stored and leaves none missing."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import AnalyticsDay
from tests.e2e.conftest import Stack, start_stack, wxops
from tests.e2e.test_outbound import control, eventually
from workflow.analytics import PULLED

DAYS = 30


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(f"sqlite:///{tmp_path / 'e2e.db'}", tmp_path)


def asked(stack: Stack) -> set[tuple[str, str]]:
    return {(c["path"].rsplit("/", 1)[-1], c["body"]["begin_date"])
            for c in control(stack, "calls") if c["path"].startswith("/datacube/")}


def test_a_killed_backfill_resumes_without_asking_a_day_twice(stack: Stack) -> None:
    control(stack, "datacube/timing", {"ready_hour": 0})  # yesterday ready at any hour
    engine = make_engine(stack.database_url)
    run = subprocess.run(wxops("analytics", "pull"), env=stack.env, cwd=stack.workdir,
                         text=True, capture_output=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    with engine.connect() as conn:
        yesterday = conn.scalar(select(func.max(AnalyticsDay.day)))
    assert isinstance(yesterday, date)
    since = (yesterday - timedelta(days=DAYS - 1)).isoformat()
    args = wxops("analytics", "backfill", "--since", since, "--pause", "0.05")
    process = subprocess.Popen(args, env=stack.env, cwd=stack.workdir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stored() -> set[tuple[str, str]]:
        with engine.connect() as conn:
            rows = conn.execute(select(AnalyticsDay.endpoint, AnalyticsDay.day))
            return {(r.endpoint, r.day.isoformat()) for r in rows}

    eventually(lambda: len(stored()) > 60)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(0.2)
    before = stored()
    assert len(before) < len(PULLED) * DAYS  # it was stopped half-way
    requests.delete(f"{stack.emulator}/_emulator/calls", timeout=10)
    again = stack.wxops("analytics", "backfill", "--since", since, "--pause", "0")
    assert again.returncode == 0, again.stderr
    second = asked(stack)
    assert second and second.isdisjoint(before)  # no stored day asked again
    days = {(yesterday - timedelta(days=n)).isoformat() for n in range(DAYS)}
    assert {(name, d) for name in PULLED for d in days} <= stored()  # nothing missing
    engine.dispose()
