"""The worker's hourly pull of yesterday's platform figures, as real processes on
SQLite (the integration tests cover both engines: tests/integration/
test_platform_data.py). The job runs every WXOPS_ANALYTICS_PULL_MINUTES, here a
fraction of a second, so each run is one more ask of the emulator:

- a late day (the platform has not made yesterday ready) is asked of
  getbizsummary only and nothing is stored, run after run; once the emulator
  makes it ready the next run stores every endpoint's day complete, and then a
  run costs no call;
- a delayed day (``is_delay``) is stored ``delayed``, asked again on the next run,
  and replaced, one row a day, once the platform gives it final.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import ColumnElement, Engine, func, select

from bot.emulator.clock import CHINA
from bot.gateway import Gateway
from bot.tokens import fetch_stable_token
from storage.db import make_engine
from storage.models import AnalyticsDay, ArticleMetric, FollowerMetric
from tests.e2e.conftest import Stack, start_stack
from tests.e2e.test_outbound import control, eventually
from workflow.analytics import PULLED

#: The job every 0.6 s (the setting is in minutes).
FAST = {"WXOPS_ANALYTICS_PULL_MINUTES": "0.01"}
#: The interfaces that answer is_delay (the older ones do not).
CURRENT = {"getarticleread", "getarticleshare", "getbizsummary", "getarticletotaldetail"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
DAY = 86_400


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(f"sqlite:///{tmp_path / 'e2e.db'}", tmp_path)


def yesterday() -> date:
    """The platform's yesterday (Beijing), which is also the account's (its zone is
    Asia/Shanghai by default)."""
    return datetime.now(UTC).astimezone(CHINA).date() - timedelta(days=1)


class _Tokens:
    """The platform's stable token, for a test's own calls."""

    def __init__(self, stack: Stack) -> None:
        self.args = (stack.emulator, stack.env["WXOPS_APP_ID"], stack.env["WXOPS_APP_SECRET"])

    def get(self) -> str:
        return fetch_stable_token(*self.args, False)[0]

    def refresh(self, failed: str | None) -> str:
        return fetch_stable_token(*self.args, True)[0]


def published_days_ago(stack: Stack, days: int, title: str) -> str:
    """An article published on the platform ``days`` days ago (the emulator's
    clock is set back while it is published, then forward again): its msgid.
    Call it before wxops asks the platform anything (a token it holds from the
    past would be stale)."""
    control(stack, "clock", {"advance_seconds": -days * DAY})
    try:
        gateway = Gateway(stack.env["WXOPS_APP_ID"], stack.env["WXOPS_APP_SECRET"],
                          stack.emulator, _Tokens(stack))
        thumb = gateway.add_material("thumb", "cover.jpg", JPEG)["media_id"]
        media_id = gateway.draft_add([{"title": title, "content": "<p>周末辅导志愿者招募。</p>",
                                       "thumb_media_id": thumb}])["media_id"]
        published = gateway.publish_submit(media_id)
    finally:
        control(stack, "clock", {"advance_seconds": days * DAY})
    return f"{published['msg_data_id']}_1"


def asks(stack: Stack) -> Counter[tuple[str, str]]:
    """The datacube calls the emulator took: (endpoint, begin_date) → how many."""
    return Counter((c["path"].rsplit("/", 1)[-1], c["body"]["begin_date"])
                   for c in control(stack, "calls") if c["path"].startswith("/datacube/"))


def clear_calls(stack: Stack) -> None:
    requests.delete(f"{stack.emulator}/_emulator/calls", timeout=10)


def days_of(engine: Engine, day: date) -> dict[str, tuple[str, datetime]]:
    """Each endpoint's record of ``day``: (status, fetched_at)."""
    with engine.connect() as conn:
        rows = conn.execute(select(AnalyticsDay.endpoint, AnalyticsDay.status,
                                   AnalyticsDay.fetched_at).where(AnalyticsDay.day == day))
        return {r.endpoint: (r.status, r.fetched_at) for r in rows}


def count(engine: Engine, model: type[AnalyticsDay] | type[ArticleMetric] | type[FollowerMetric],
          *where: ColumnElement[bool]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_late_day_is_asked_each_run_and_stored_complete_once_ready(stack: Stack) -> None:
    day, engine = yesterday(), make_engine(stack.database_url)
    control(stack, "datacube/timing", {"ready_hour": 0, "delay_hours": 48})  # not ready
    stack.start_worker("w1", **FAST)
    eventually(lambda: asks(stack)[("getbizsummary", day.isoformat())] >= 3)
    asked = asks(stack)
    # Only the anchor is asked (getusersummary once at most: the worker's start-up
    # probe asks it), and nothing is stored of a day the platform has not ready.
    assert set(asked) <= {("getbizsummary", day.isoformat()), ("getusersummary", day.isoformat())}
    assert asked[("getusersummary", day.isoformat())] <= 1
    assert count(engine, AnalyticsDay) == 0 and count(engine, FollowerMetric) == 0

    control(stack, "datacube/timing", {"delay_hours": 0})  # the platform has it now
    eventually(lambda: set(days_of(engine, day)) == set(PULLED))
    assert {status for status, _ in days_of(engine, day).values()} == {"complete"}
    assert count(engine, FollowerMetric, FollowerMetric.day == day) == 1
    # A complete day costs no call: the next runs ask nothing.
    clear_calls(stack)
    log = stack.workdir / "worker-w1.log"
    runs_before = len(_free_runs(log, day))
    eventually(lambda: len(_free_runs(log, day)) >= runs_before + 2)
    assert not asks(stack)
    engine.dispose()


def _free_runs(log: Path, day: date) -> list[str]:
    """The worker's log lines of runs that found ``day`` complete (no call made)."""
    return re.findall(rf"figures of {day}: 0 calls, ready True", log.read_text())


def test_a_delayed_day_is_asked_again_and_replaced_when_final(stack: Stack) -> None:
    day, engine = yesterday(), make_engine(stack.database_url)
    msgid = published_days_ago(stack, 2, "冬季助学计划")
    control(stack, "datacube/timing", {"ready_hour": 0, "delay_hours": 0,
                                       "delayed": [day.isoformat()]})
    stack.start_worker("w1", **FAST)
    eventually(lambda: set(days_of(engine, day)) == set(PULLED))
    delayed = days_of(engine, day)
    assert {e for e, (status, _) in delayed.items() if status == "delayed"} == CURRENT
    # Asked again on the next runs while it stays delayed, still stored once.
    clear_calls(stack)

    def asked() -> set[str]:
        return {e for e, _ in asks(stack)}

    # Two runs since, each whole (a run's calls arrive one after another).
    eventually(lambda: asks(stack)[("getbizsummary", day.isoformat())] >= 2
               and asked() >= CURRENT)
    assert asked() == CURRENT  # the complete ones are not asked
    assert count(engine, AnalyticsDay, AnalyticsDay.day == day) == len(PULLED)

    control(stack, "datacube/timing", {"delayed": []})  # final now
    eventually(lambda: all(status == "complete" for status, _ in days_of(engine, day).values()))
    final = days_of(engine, day)
    assert all(final[e][1] > delayed[e][1] for e in CURRENT)  # replaced by the final answer
    assert all(final[e] == delayed[e] for e in set(PULLED) - CURRENT)  # untouched
    assert count(engine, AnalyticsDay, AnalyticsDay.day == day) == len(PULLED)
    # The article published the day before yesterday: one row for each of its days.
    with engine.connect() as conn:
        article_days = list(conn.scalars(select(ArticleMetric.day)
                                         .where(ArticleMetric.msgid == msgid)))
    assert sorted(article_days) == [day - timedelta(days=1), day]
    engine.dispose()
