"""An item's own numbers end to end on SQLite: an item published nine days ago
(its article on the platform then), the platform's figures since filled in by
``wxops analytics backfill`` as a process (each call within its interface's
span, the quota asked first, the article matched to the item), and ``查看`` in
chat answering with the day-1 and day-7 reads the database holds for it. And
a backfill the quota cannot cover refused before it asks for any figure.
Both engines: tests/integration/test_platform_data.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bot.emulator.clock import CHINA
from storage.db import make_engine
from storage.models import ArticleMetric, ContentItemRow
from storage.staff import add_staff
from tests.e2e.conftest import SQLITE_ONLY, Stack
from tests.e2e.test_analytics_daily import published_days_ago
from tests.e2e.test_outbound import control, says
from workflow.analytics import SPANS
from workflow.roles import Role


def emulator_today(stack: Stack) -> date:
    now = float(control(stack, "clock", {"advance_seconds": 0})["now"])
    return datetime.fromtimestamp(now, CHINA).date()


def reads_by_age(engine: Engine, item_id: int) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(ArticleMetric.age, ArticleMetric.total_reads).where(
            ArticleMetric.item_id == item_id, ArticleMetric.age.is_not(None)))
        return {int(r.age): int(r.total_reads) for r in rows}


def datacube_calls(stack: Stack) -> list[tuple[str, date, date]]:
    return [(c["path"].rsplit("/", 1)[-1], date.fromisoformat(c["body"]["begin_date"]),
             date.fromisoformat(c["body"]["end_date"]))
            for c in control(stack, "calls") if c["path"].startswith("/datacube/")]


def paths(stack: Stack) -> list[str]:
    return [str(c["path"]) for c in control(stack, "calls")]


def item_published_days_ago(stack: Stack, engine: Engine, days: int) -> int:
    """An item whose article went out ``days`` days ago (as one published by hand
    then, and recorded with 已发布): its id."""
    title = "寒假支教志愿者招募"
    published_days_ago(stack, days, title)
    at = datetime.now(UTC) - timedelta(days=days)
    with engine.begin() as conn:
        session = Session(bind=conn)
        author = add_staff(session, "creator", frozenset({Role.CREATOR}), at, "o_creator").id
        add_staff(session, "admin", frozenset({Role.ADMIN}), at, "o_admin")
        session.flush()
        return int(conn.execute(insert(ContentItemRow).values(
            title=title, author_id=author, state="published", published_at=at,
            created_at=at, updated_at=at).returning(ContentItemRow.id)).scalar_one())


@SQLITE_ONLY
def test_a_published_items_numbers_come_from_the_pulled_days(stack: Stack) -> None:
    control(stack, "datacube/timing", {"ready_hour": 0})
    engine = make_engine(stack.database_url)
    item_id = item_published_days_ago(stack, engine, 9)
    since = (emulator_today(stack) - timedelta(days=9)).isoformat()
    pulled = stack.wxops("analytics", "backfill", "--since", since, "--pause", "0")
    assert pulled.returncode == 0, pulled.stderr
    called = paths(stack)
    first_figure = next(i for i, p in enumerate(called) if p.startswith("/datacube/"))
    assert any("quota/get" in p for p in called[:first_figure])  # the quota first
    spans = datacube_calls(stack)
    assert all((last - first).days + 1 <= SPANS[name] for name, first, last in spans)
    assert any((last - first).days + 1 == 7 for name, first, last in spans
               if name == "getusersummary")  # a 7-day interface asked 7 days a call
    reads = reads_by_age(engine, item_id)
    assert {1, 7} <= set(reads) and reads[7] >= reads[1] > 0
    reply = ElementTree.fromstring(says(stack, "o_admin", f"查看 {item_id}"))
    shown = {int(n) for n in re.findall(r"\d+", reply.findtext("Content") or "")}
    assert {reads[1], reads[7]} <= shown
    engine.dispose()


@SQLITE_ONLY
def test_a_backfill_the_quota_cannot_cover_asks_for_no_figure(stack: Stack) -> None:
    control(stack, "quota", {"path": "/datacube/getarticleread", "per_day": 2})
    since = (emulator_today(stack) - timedelta(days=10)).isoformat()
    refused = stack.wxops("analytics", "backfill", "--since", since, "--pause", "0")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert datacube_calls(stack) == []
