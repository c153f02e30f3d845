"""The platform's figures in, on both engines, against the emulator over real
sockets with its clock moved: the daily pull with a late day and a delayed day,
the backfill in span-sized steps with its quota check and a resume after an
interruption, and an item's own numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, insert, select, update

from bot import analytics
from bot.emulator.clock import CHINA
from bot.emulator.datacube_news import running_totals
from bot.worker import Jobs, make_gateway
from storage import analytics as store
from storage import capabilities as learnt_capabilities
from storage import tokens
from storage.models import (
    AnalyticsDay,
    ArticleMetric,
    CommentThreadRow,
    ContentItemRow,
    FollowerMetric,
)
from storage.uow import SqlUnitOfWork
from tests.integration.clirun import Wxops
from tests.integration.commanding import make_team
from tests.integration.conftest import APP_ID, TOKEN
from tests.integration.test_draft_box_sync import start
from tests.integration.test_publish_cycle import Desk, published
from tests.integration.test_publish_cycle import desk as desk  # the fixture
from tests.integration.test_publish_cycle import wechat as wechat  # the fixture
from workflow import usecases
from workflow.analytics import PULLED, SPANS
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, Capability
from workflow.model import Context
from workflow.states import State


@pytest.fixture(autouse=True)
def no_kept_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests move the emulator's clock by hours, past its tokens' two hours,
    while wxops' own clock stands still: a token kept in memory for a minute
    (``tokens.MEMO``) would outlive two platform tokens in a second of real time."""
    monkeypatch.setattr(tokens, "MEMO", timedelta(0))


def control(desk: Desk, path: str, body: dict[str, Any]) -> Any:
    answer = requests.post(f"{desk.wechat}/_emulator/{path}", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()


def beijing(desk: Desk, days: int, hour: float) -> date:
    """Move the emulator to ``hour`` Beijing time ``days`` days after today's;
    returns that day's yesterday."""
    now = control(desk, "clock", {"advance_seconds": 0})["now"]
    today = datetime.fromtimestamp(now, UTC).astimezone(CHINA).date() + timedelta(days=days)
    target = datetime.combine(today, datetime.min.time(), CHINA) + timedelta(hours=hour)
    control(desk, "clock", {"advance_seconds": target.timestamp() - now})
    return today - timedelta(days=1)


def datacube_calls(desk: Desk) -> list[tuple[str, str, str]]:
    calls = requests.get(f"{desk.wechat}/_emulator/calls", timeout=5).json()
    return [(c["path"].rsplit("/", 1)[-1], c["body"]["begin_date"], c["body"]["end_date"])
            for c in calls if c["path"].startswith("/datacube/")]


def statuses(engine: Engine, day: date) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(AnalyticsDay.endpoint, AnalyticsDay.status)
                            .where(AnalyticsDay.day == day))
        return {r.endpoint: r.status for r in rows}


@pytest.fixture
def item(desk: Desk) -> Iterator[int]:
    yield published(desk, "冬季助学")


def test_a_late_day_is_asked_again_until_the_platform_has_it(desk: Desk, item: int) -> None:
    app = desk.team.account.app
    yesterday = beijing(desk, 3, 7.5)
    control(desk, "datacube/timing", {"ready_hour": 8, "delay_hours": 1.5})
    requests.delete(f"{desk.wechat}/_emulator/calls", timeout=5)
    early = analytics.daily(app, make_gateway(app), yesterday)
    assert not early.ready and early.calls == 1  # only the anchor was asked
    assert statuses(desk.engine, yesterday) == {}
    beijing(desk, 0, 9)  # 08:00 passed, the delay not: still nothing
    assert not analytics.daily(app, make_gateway(app), yesterday).ready
    beijing(desk, 0, 10)
    desk.worker.pull_analytics(yesterday)  # the hourly job, as the leader
    assert set(statuses(desk.engine, yesterday).values()) <= {"complete", "open"}
    assert set(statuses(desk.engine, yesterday)) == set(PULLED)
    with desk.engine.connect() as conn:
        followers = conn.execute(select(FollowerMetric).where(
            FollowerMetric.day == yesterday)).one()
        assert followers.new_users > 0 and followers.cumulate_users > 0
    again = analytics.daily(app, make_gateway(app), yesterday)
    assert again.ready and again.calls == 0  # complete: nothing asked twice
    for name, begin, end in datacube_calls(desk):
        assert (date.fromisoformat(end) - date.fromisoformat(begin)).days < SPANS[name]


def test_a_delayed_day_is_asked_again_until_it_is_final(desk: Desk, item: int) -> None:
    app = desk.team.account.app
    yesterday = beijing(desk, 2, 11)
    control(desk, "datacube/timing", {"delayed": [yesterday.isoformat()]})
    first = analytics.daily(app, make_gateway(app), yesterday)
    assert first.ready and "getbizsummary" in first.delayed
    assert statuses(desk.engine, yesterday)["getarticleread"] == "delayed"
    still = analytics.daily(app, make_gateway(app), yesterday)
    assert "getarticleread" in still.delayed and still.calls > 0
    control(desk, "datacube/timing", {"delayed": []})
    final = analytics.daily(app, make_gateway(app), yesterday)
    assert not final.delayed
    assert statuses(desk.engine, yesterday)["getarticleread"] == "complete"
    assert analytics.daily(app, make_gateway(app), yesterday).calls == 0


def cli(desk: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Wxops:
    url = desk.engine.url.render_as_string(hide_password=False)
    return Wxops(monkeypatch, capsys, None, WXOPS_DATABASE_URL=url,
                 WXOPS_WECHAT_API_BASE=desk.wechat, WXOPS_APP_ID=APP_ID,
                 WXOPS_APP_SECRET="secret", WXOPS_TOKEN=TOKEN)


def test_backfill_refuses_when_the_quota_left_is_too_low(
        desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    yesterday = beijing(desk, 9, 12)
    control(desk, "quota", {"path": "/datacube/getarticleread", "per_day": 3})
    requests.delete(f"{desk.wechat}/_emulator/calls", timeout=5)
    since = (yesterday - timedelta(days=9)).isoformat()
    ran = cli(desk, monkeypatch, capsys)("analytics", "backfill", "--since", since,
                                         "--until", yesterday.isoformat())
    assert ran.status == 1 and ran.code == "analytics_quota_low"
    assert [(s.endpoint, s.needed, s.remaining) for s in ran.data["short"]] == [
        ("getarticleread", 10, 3)]
    assert datacube_calls(desk) == []  # refused before anything was fetched


def test_backfill_steps_by_span_and_resumes_after_an_interruption(
        desk: Desk, item: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = desk.team.account.app
    yesterday = beijing(desk, 9, 12)
    since = yesterday - timedelta(days=11)
    make_gateway(app).quota_get("/datacube/getbizsummary")  # a fresh token after the travel
    requests.delete(f"{desk.wechat}/_emulator/calls", timeout=5)
    ticks: list[int] = []

    def interrupted(days: int) -> None:
        ticks.append(days)
        if len(ticks) == 15:
            raise KeyboardInterrupt  # the process stopped mid-way

    with pytest.raises(KeyboardInterrupt):
        analytics.backfill(app, make_gateway(app), since, yesterday, 0.0, interrupted)
    ran = cli(desk, monkeypatch, capsys)("analytics", "backfill", "--since", since.isoformat(),
                                         "--until", yesterday.isoformat(), "--pause", "0")
    assert ran.status == 0, ran.err
    asked = Counter(datacube_calls(desk))
    assert [call for call, n in asked.items() if n > 1] == []  # no day fetched twice
    for name in PULLED:  # nothing missing
        days = {d for d in statuses_of(desk.engine, name)}
        assert days >= {since + timedelta(days=n) for n in range(12)}, name
    summary = [c for c in asked if c[0] == "getusersummary"]
    assert len(summary) == 2  # 12 days in steps of at most 7
    with desk.engine.connect() as conn:
        mine = conn.execute(select(ArticleMetric).where(ArticleMetric.item_id == item)
                            .order_by(ArticleMetric.day)).all()
    assert len(mine) >= 7  # the item's running totals were mapped to it
    expected = running_totals(mine[0].published_on, mine[0].msgid, yesterday)
    shown = desk.ask("admin", f"查看 {item}")
    numbers = shown.context["numbers"]
    assert (numbers.reads_day1, numbers.reads_day7, numbers.reads_day30) == (
        expected[0]["read_user"], expected[6]["read_user"], None)
    assert numbers.likes == expected[-1]["like_user"] and numbers.compared == 0
    assert "数据：首日阅读" in shown.render()
    printed = cli(desk, monkeypatch, capsys)("item", "show", str(item))
    assert f"首日阅读 {numbers.reads_day1}" in printed.out


def statuses_of(engine: Engine, endpoint: str) -> set[date]:
    with engine.connect() as conn:
        return set(conn.scalars(select(AnalyticsDay.day).where(
            AnalyticsDay.endpoint == endpoint)))


def test_the_hourly_pull_is_skipped_without_datacube(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    for small in start(engine, monkeypatch, UNVERIFIED_SUBSCRIPTION):
        small.worker.pull_analytics(date(2026, 3, 1))
        assert datacube_calls(small) == []  # the account has no datacube: not asked


def test_backfill_pull_and_stats_without_datacube_say_where_the_figures_are(
        desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's "skipped": nothing is asked, and the person reads why and
    where the figures are instead, not a failed call with an English tail; 统计
    does not send them to a backfill that can never bring anything."""
    url = desk.engine.url.render_as_string(hide_password=False)
    small = Wxops(monkeypatch, capsys, None, WXOPS_DATABASE_URL=url,
                  WXOPS_WECHAT_API_BASE=desk.wechat, WXOPS_APP_ID=APP_ID,
                  WXOPS_APP_SECRET="secret", WXOPS_TOKEN=TOKEN,
                  WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="0")
    requests.delete(f"{desk.wechat}/_emulator/calls", timeout=5)
    # The worker's probe records the 48001 such an account meets: still the kind's
    # lack, not a refusal a reset would mend.
    with desk.engine.begin() as conn:
        learnt_capabilities.learn(conn, Capability.DATACUBE, datetime.now(UTC), 48001,
                                  "getusersummary")
    for argv in (("analytics", "backfill", "--since", "2026-01-01"), ("analytics", "pull")):
        ran = small(*argv)
        assert (ran.status, ran.err) == (0, ""), argv
        assert ran.out.startswith("跳过：本公众号（未认证的订阅号）没有「数据统计」接口的权限")
        assert "公众号后台「数据分析」" in ran.out
    assert datacube_calls(desk) == []
    stats = small("stats", "--days", "30")
    assert "公众号后台「数据分析」" in stats.out and "analytics backfill" not in stats.out
    assert "capabilities reset" not in ran.out
    # An account whose kind has datacube but that WeChat refused it: how to undo.
    full = cli(desk, monkeypatch, capsys)
    refused = full("analytics", "pull")
    assert refused.status == 0
    assert refused.out.startswith("跳过：微信曾拒绝「数据统计」接口（48001）")
    assert "wxops capabilities reset datacube" in refused.out
    with desk.engine.begin() as conn:
        learnt_capabilities.forget(conn, Capability.DATACUBE)
    # An account with datacube is still told how to fill its figures.
    assert "wxops analytics backfill" in full("stats").out


def test_the_hourly_pull_is_the_leaders(desk: Desk) -> None:
    other = Jobs(desk.team.account.app, "second-worker")
    assert desk.worker.leader.try_acquire()  # the first worker leads
    other.pull_analytics(beijing(desk, 2, 12))
    assert datacube_calls(desk) == []  # not the leader: nothing asked
    desk.worker.leader.release()
    other.pull_analytics(beijing(desk, 0, 12))
    assert datacube_calls(desk) != []
    other.leader.release()


def test_the_articles_mapped_from_their_address_are_read_for_the_match(engine: Engine) -> None:
    """storage.analytics.mapped_articles: what the comments' mapping stored from
    an item's address; nothing for an item whose address could not be mapped, nor
    for one mapped from the data's msgid (the matching must not vouch for itself)."""
    team = make_team(engine)
    ctx = Context(now=datetime.now(UTC), command="test")
    mapped, unmapped, bridged = (usecases.plan(SqlUnitOfWork(engine), team.wang, title, ctx).id
                                 for title in ("冬衣", "春游", "夏令营"))
    with engine.begin() as conn:
        for item_id, url in ((mapped, "https://mp.weixin.qq.com/s?__biz=MzI0NQ==&mid=2247490098"
                                      "&idx=2&sn=ab#rd"),
                             (bridged, "https://mp.weixin.qq.com/s/Ao0ZJ3FZ_lJ9xQz1mTq2Sg")):
            conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                         .values(url=url))
        conn.execute(insert(CommentThreadRow), [
            {"item_id": mapped, "msg_data_id": "2247490098", "article_index": 1},
            {"item_id": unmapped, "msg_data_id": None, "article_index": None,
             "unmapped": "no_mid"},
            {"item_id": bridged, "msg_data_id": "2247490111", "article_index": 0}])
    with engine.connect() as conn:
        assert store.mapped_articles(conn) == {("2247490098", 1): mapped}


# --- the older interfaces: mass-sent articles ------------------------------------------------


def as_published(desk: Desk, title: str) -> int:
    """An item recorded as published now (how it went out is not the point here)."""
    desk.team.say("creator", f"选题 {title}")
    with desk.engine.begin() as conn:
        item_id = int(conn.scalar(select(ContentItemRow.id).where(
            ContentItemRow.title == title)) or 0)
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id).values(
            state=State.PUBLISHED.value, published_at=datetime.now(UTC)))
    return item_id


def mass_sent(desk: Desk, title: str) -> str:
    """A draft written in the editor and mass-sent; answers its article's msgid."""
    media_id = control(desk, "drafts", {"title": title, "content": "<p>正文</p>"})["media_id"]
    sent = make_gateway(desk.team.account.app).sendall(media_id, f"test-{title}")
    return f"{sent['msg_data_id']}_1"


def metrics(desk: Desk, msgid: str) -> list[Any]:
    with desk.engine.connect() as conn:
        return list(conn.execute(select(ArticleMetric).where(ArticleMetric.msgid == msgid)
                                 .order_by(ArticleMetric.day)))


def test_a_mass_sent_article_both_interfaces_give_is_stored_once_from_the_current(
        desk: Desk) -> None:
    item = as_published(desk, "冬衣募捐")
    msgid = mass_sent(desk, "冬衣募捐")
    sent_on = beijing(desk, 0, 12) + timedelta(days=1)
    yesterday = beijing(desk, 2, 12)
    app = desk.team.account.app
    puller = analytics.Puller(app, make_gateway(app))
    older = puller.step("getarticletotal", sent_on, sent_on)  # the older one first
    assert [r["msgid"] for r in older] == [msgid] and len(older[0]["details"]) == 2
    from_older = metrics(desk, msgid)
    assert [m.total_reads for m in from_older] == [
        d["int_page_read_user"] for d in older[0]["details"]]
    assert {m.item_id for m in from_older} == {item}  # by its title, the day's only one
    assert sum(m.favorites for m in from_older) == older[0]["details"][-1]["add_to_fav_user"]
    puller.step("getarticletotaldetail", sent_on, sent_on)
    expected = running_totals(sent_on, msgid, yesterday)
    stored = metrics(desk, msgid)
    assert [(m.day, m.total_reads, m.likes) for m in stored] == [
        (date.fromisoformat(str(e["stat_date"])), e["read_user"], e["like_user"])
        for e in expected]  # the current interface's, in place of the older's
    assert {m.item_id for m in stored} == {item}
    puller.step("getarticletotal", sent_on, sent_on)  # the older one again: left alone
    assert [m.total_reads for m in metrics(desk, msgid)] == [m.total_reads for m in stored]
    assert statuses(desk.engine, sent_on)["getarticletotal"] == "open"  # 2 of 7 stat dates


def older_row(ref: date, msgid: str, title: str, reads: list[int]) -> dict[str, Any]:
    return {"ref_date": ref.isoformat(), "msgid": msgid, "title": title, "details": [
        {"stat_date": (ref + timedelta(days=n)).isoformat(), "target_user": 900,
         "int_page_read_user": r, "int_page_read_count": r + 3, "share_user": r // 10,
         "share_count": r // 10, "add_to_fav_user": r // 20, "add_to_fav_count": r // 20}
        for n, r in enumerate(reads)]}


def test_an_article_only_the_older_interface_gives_gets_its_figures_from_it(
        desk: Desk) -> None:
    first = published(desk, "冬季助学")  # published: the current interface has it
    second = as_published(desk, "春季招募")  # mass-sent some other way: only the older
    sent_on = beijing(desk, 0, 12) + timedelta(days=1)
    yesterday = beijing(desk, 3, 12)
    with desk.engine.connect() as conn:
        current = conn.scalar(select(AnalyticsDay.rows).where(AnalyticsDay.day == sent_on))
    assert current is None  # nothing pulled yet
    app = desk.team.account.app
    puller = analytics.Puller(app, make_gateway(app))
    published_msgid = puller.step("getarticletotaldetail", sent_on, sent_on)[0]["msgid"]
    control(desk, "datacube", {"endpoint": "getarticletotal", "rows": [
        older_row(sent_on, published_msgid, "冬季助学", [1, 2, 3]),
        older_row(sent_on, "2247400001_1", "春季招募", [100, 160, 190])]})
    puller.step("getarticletotal", sent_on, sent_on)
    only = metrics(desk, "2247400001_1")
    assert [(m.reads, m.total_reads, m.shares, m.favorites, m.age, m.item_id) for m in only] == [
        (100, 100, 10, 5, 1, second), (60, 160, 6, 3, 2, second), (30, 190, 3, 1, 3, second)]
    both = metrics(desk, published_msgid)  # the current interface's, not the seeded 1, 2, 3
    assert [m.total_reads for m in both] == [
        e["read_user"] for e in running_totals(sent_on, published_msgid, yesterday)]
    assert {m.item_id for m in both} == {first}  # by the older row's title
    control(desk, "datacube", {"endpoint": "getarticletotal", "rows": [
        older_row(sent_on, "2247400001_1", "春季招募", [100, 170])]})
    puller.step("getarticletotal", sent_on, sent_on)  # the day again: replaced
    assert [m.total_reads for m in metrics(desk, "2247400001_1")] == [100, 170]
    shown = desk.ask("admin", f"查看 {second}").context["numbers"]
    assert (shown.reads_day1, shown.likes) == (100, 0)
