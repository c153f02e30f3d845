"""统计 in chat, end to end on SQLite: the platform's figures pulled from the
emulator (`wxops analytics backfill`, a real process), a staff member
says 统计 7天 and 统计 30天 through the platform (signed and encrypted, as the
emulator relays it) and gets one message whose numbers are the database's:
reads and shares summed over the period, new, cancelled and net followers. A
follower who is not staff gets none of them. The numbers are checked, not the
words (tests/integration/test_platform_data.py covers both engines)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import Engine, func, select

from storage.db import make_engine
from storage.models import ArticleMetric, FollowerMetric, ReplyTicket
from storage.staff import add_staff
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import Stack, start_stack
from tests.e2e.test_analytics_daily import published_days_ago, yesterday
from tests.e2e.test_outbound import control, says
from workflow.roles import Role

#: Days of history pulled: the 30-day period holds more of them than the 7-day one.
HISTORY = 10


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(f"sqlite:///{tmp_path / 'e2e.db'}", tmp_path)


@dataclass(frozen=True)
class Expected:
    reads: int
    shares: int
    new: int
    lost: int

    @property
    def numbers(self) -> set[int]:
        return {self.reads, self.shares, self.new, self.lost, self.new - self.lost}


def held(engine: Engine, first: date, last: date) -> Expected:
    """What the database holds of the local days ``first``..``last``."""
    with engine.connect() as conn:
        reads, shares = conn.execute(
            select(func.coalesce(func.sum(ArticleMetric.reads), 0),
                   func.coalesce(func.sum(ArticleMetric.shares), 0))
            .where(ArticleMetric.day.between(first, last))).one()
        new, lost = conn.execute(
            select(func.coalesce(func.sum(FollowerMetric.new_users), 0),
                   func.coalesce(func.sum(FollowerMetric.cancel_users), 0))
            .where(FollowerMetric.day.between(first, last))).one()
    return Expected(int(reads), int(shares), int(new), int(lost))


def content(reply: str, openid: str) -> str:
    """The text of a passive reply (one message: the XML the server answered)."""
    xml = ElementTree.fromstring(reply)
    assert (xml.findtext("ToUserName"), xml.findtext("MsgType")) == (openid, "text")
    return xml.findtext("Content") or ""


def numbers_in(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"-?\d+", text)}


def custom_messages(stack: Stack, openid: str) -> list[object]:
    return [m for m in control(stack, f"inbox/{openid}") if m["kind"] == "custom"]


def test_stats_in_chat_carry_the_pulled_figures_to_staff_only(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    msgid = published_days_ago(stack, 3, "冬季助学计划")
    control(stack, "datacube/timing", {"ready_hour": 0, "delay_hours": 0})
    since = (yesterday() - timedelta(days=HISTORY - 1)).isoformat()
    backfilled = stack.wxops("analytics", "backfill", "--since", since, "--pause", "0")
    assert backfilled.returncode == 0, backfilled.stderr
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ArticleMetric)
                           .where(ArticleMetric.msgid == msgid)) == 3
    with SqlUnitOfWork(engine) as uow:  # what `wxops staff add` does (a process less)
        add_staff(uow.session, "admin", frozenset({Role.ADMIN}), datetime.now(UTC), "o_admin")
        uow.commit()
    today = yesterday() + timedelta(days=1)

    found: dict[int, Expected] = {}
    for days in (7, 30):
        answer = content(says(stack, "o_admin", f"统计 {days}天"), "o_admin")
        expected = held(engine, today - timedelta(days=days - 1), today)
        print(answer, expected)
        assert expected.reads > 0 and expected.new > 0  # there is something to show
        assert expected.numbers <= numbers_in(answer), (expected, answer)
        found[days] = expected
    assert found[7].new < found[30].new  # the longer period holds more days
    assert custom_messages(stack, "o_admin") == []  # the answer was the one message

    answer = content(says(stack, "o_fan", "统计 7天"), "o_fan")
    print(answer)
    assert not {found[7].reads, found[7].shares} <= numbers_in(answer)
    with engine.connect() as conn:  # a follower's message: a ticket, as any other
        assert conn.scalar(select(func.count()).select_from(ReplyTicket)) == 1
    assert custom_messages(stack, "o_fan") == []
    engine.dispose()
