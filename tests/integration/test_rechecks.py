"""Re-checks on both engines: due dates (expiry, the default, a topic's own), 复查 N
正常 moving the date, the signals that pull one forward (a complaint, a re-check
word in a comment or a message, an old article's reads spike), 复查 and 我的
listing what is due, and the worker's daily reminder: one notice per person a
day, held while the window is closed and shown with the next passive reply, and
the admins told of what is two weeks overdue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from bot.config import load_settings
from bot.wiring import App
from bot.worker import Jobs
from storage import followers, outbox, tickets
from storage.models import (
    AnalyticsDay,
    ArticleMetric,
    AuditRow,
    CommentTicketRow,
    ContentItemRow,
    OutboxMessage,
)
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.commanding import Team, ask, make_team, refusal, say
from tests.integration.conftest import make_account
from tests.integration.test_outbox import FakeGateway, make_sender
from workflow import recheck, recheck_cases
from workflow.recheck import Due, RecheckDays, SignalKind, Verdict

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
DAYS = RecheckDays(90, (("政策", 30),))
SETTINGS = {"WXOPS_APP_ID": "wx_test", "WXOPS_APP_SECRET": "s", "WXOPS_TOKEN": "recheckJobs",
            "WXOPS_RECHECK_DAYS": "90, 政策=30", "WXOPS_RECHECK_HOUR": "9"}


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def published(engine: Engine, author: int, title: str, on: date, topic: str = "",
              expires_on: date | None = None) -> int:
    at = datetime(on.year, on.month, on.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with Session(engine) as session:
        row = ContentItemRow(title=title, author_id=author, state="published", published_at=at,
                             topic=topic, expires_on=expires_on, body="<p>正文</p>",
                             created_at=at, updated_at=at)
        session.add(row)
        session.commit()
        return row.id


def schedule(engine: Engine) -> dict[int, Due]:
    return {d.item_id: d for d in recheck.schedule(SqlUnitOfWork(engine), DAYS, TZ)}


def test_due_dates_come_from_expiry_the_default_and_the_topic(engine: Engine,
                                                              team: Team) -> None:
    plain = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    policy = published(engine, team.wang, "助学政策", date(2026, 9, 1), topic="政策")
    notice = published(engine, team.wang, "义诊通知", date(2026, 9, 1),
                       expires_on=date(2026, 12, 10))
    found = schedule(engine)
    assert found[plain].due_on == date(2026, 11, 30)
    assert found[policy].due_on == date(2026, 10, 1)
    assert found[notice].due_on == date(2026, 12, 10)
    assert all(d.signal is None and d.last is None for d in found.values())


def test_recheck_ok_moves_the_date_and_is_in_the_audit_trail(engine: Engine,
                                                             team: Team) -> None:
    item = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    assert schedule(engine)[item].is_due(TODAY)
    say(engine, team.zhou, f"复查 {item} 正常 数据已核对", now=NOW)
    found = schedule(engine)[item]
    assert found.due_on == TODAY + timedelta(days=90) and not found.is_due(TODAY)
    assert found.last is not None
    assert (found.last.verdict, found.last.actor_name, found.last.note, found.last.at) == (
        Verdict.OK, "周平", "数据已核对", NOW)
    with engine.connect() as conn:  # the answer, as today, in the audit trail
        row = conn.execute(select(AuditRow.event, AuditRow.actor_name, AuditRow.comment)
                           .where(AuditRow.item_id == item)).one()
    assert tuple(row) == ("recheck_ok", "周平", "数据已核对")


def test_recheck_update_takes_the_item_off_the_schedule_until_republished(
        engine: Engine, team: Team) -> None:
    item = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    say(engine, team.zhou, f"复查 {item} 更新 人数变了", now=NOW)
    assert item not in schedule(engine)


def said(engine: Engine, openid: str, content: str, at: datetime, item: int | None = None,
         complaint: bool = False) -> int:
    """A follower's message (or, with ``item``, a comment on it) and its ticket."""
    with engine.begin() as conn:
        follower = followers.touch(conn, openid, at, "message").follower_id
        ticket = tickets.record_inbound(conn, follower, "text", content, None, at,
                                        priority=1 if complaint else 0).ticket_id
        if item is not None:
            conn.execute(insert(CommentTicketRow).values(
                ticket_id=ticket, item_id=item, msg_data_id="2247", article_index=0,
                user_comment_id=ticket))
    return ticket


def daily_reads(engine: Engine, item: int, reads: dict[date, int]) -> None:
    with Session(engine) as session:
        for day, n in reads.items():
            session.add(ArticleMetric(msgid=f"{item}_1", item_id=item, day=day, reads=n))
        session.commit()


@pytest.fixture
def signalled(engine: Engine, team: Team) -> dict[str, int]:
    """Five articles published on 1 October (due 30 December): four pulled forward
    by a signal, one with an ordinary comment."""
    ids = {name: published(engine, team.wang if n % 2 else team.admin, title,
                           date(2026, 10, 1))
           for n, (name, title) in enumerate((("complaint", "冬衣募集"), ("comment", "助学回访"),
                                              ("message", "义诊安排"), ("reads", "寒假营"),
                                              ("plain", "志愿者故事")))}
    at = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    ids["complaint_ticket"] = said(engine, "o_fan1", "骗人的吧", at, ids["complaint"],
                                   complaint=True)
    ids["comment_ticket"] = said(engine, "o_fan2", "报名链接打不开了", at + timedelta(days=1),
                                 ids["comment"])
    ids["message_ticket"] = said(engine, "o_fan3", "《义诊安排》里的电话是错误的",
                                 at + timedelta(days=2))
    said(engine, "o_fan4", "写得真好", at, ids["plain"])
    week = {date(2026, 11, 28) + timedelta(days=n): 10 for n in range(7)}
    daily_reads(engine, ids["reads"], {**week, date(2026, 12, 5): 240})
    assert recheck_cases.spot(SqlUnitOfWork(engine), TZ, NOW) == 1  # the worker's look
    return ids


def test_signals_pull_a_recheck_forward_and_say_why(engine: Engine, team: Team,
                                                    signalled: dict[str, int]) -> None:
    found = schedule(engine)
    expected = {"complaint": (SignalKind.COMPLAINT, date(2026, 12, 3)),
                "comment": (SignalKind.WORDS, date(2026, 12, 4)),
                "message": (SignalKind.WORDS, date(2026, 12, 5)),
                "reads": (SignalKind.READS, date(2026, 12, 6))}
    for name, (kind, day) in expected.items():
        due = found[signalled[name]]
        assert due.signal is not None and (due.signal.kind, due.due_on) == (kind, day), name
        assert due.planned_on == date(2026, 12, 30)
    detail = {name: found[signalled[name]].signal.detail  # type: ignore[union-attr]
              for name in expected}
    assert detail["complaint"]["ticket_id"] == signalled["complaint_ticket"]
    assert detail["comment"]["word"] == "链接打不开"
    assert detail["message"]["source"] == "message"
    assert detail["reads"] == {"day": "2026-12-05", "reads": 240, "average": 10.0}
    assert found[signalled["plain"]].signal is None
    assert found[signalled["plain"]].due_on == date(2026, 12, 30)


def read_that_day(engine: Engine, day: date, reads: dict[str, int]) -> None:
    """getarticleread's answer for ``day``: each article's readers, by msgid."""
    with engine.begin() as conn:
        conn.execute(insert(AnalyticsDay).values(
            endpoint="getarticleread", day=day, status="complete", through=day,
            fetched_at=NOW, rows=[{"ref_date": day.isoformat(), "msgid": msgid,
                                   "detail": {"read_user": n}} for msgid, n in reads.items()]))


def test_an_old_articles_reads_spike_in_the_platforms_daily_answer(
        engine: Engine, team: Team, jobs: Jobs) -> None:
    """Past its first 30 days an article has figures only in getarticleread's daily
    answer; its msgid is known from its first days' (article_metrics)."""
    item = published(engine, team.wang, "冬衣募集", date(2026, 9, 20))  # due 19 December
    daily_reads(engine, item, {date(2026, 9, 20): 500})
    with Session(engine) as session:
        session.execute(update(ArticleMetric).values(msgid="2247_1"))
        session.commit()
    for n in range(12):
        day = date(2026, 11, 24) + timedelta(days=n)
        read_that_day(engine, day, {"2247_1": 20, "9999_1": 900})
    read_that_day(engine, date(2026, 12, 6), {"2247_1": 300, "9999_1": 900})
    assert schedule(engine)[item].signal is None  # not yet spotted
    jobs.recheck_reminders(now=NOW)
    found = schedule(engine)[item]
    assert found.signal is not None and found.signal.kind is SignalKind.READS
    assert (found.due_on, found.signal.detail) == (
        TODAY, {"day": "2026-12-06", "reads": 300, "average": 20.0})
    assert recheck_cases.spot(SqlUnitOfWork(engine), TZ, NOW + timedelta(hours=1)) == 0
    assert [r["item_id"] for r in reminders(engine)[0]["context"]["mine"]] == [item]


def test_a_recheck_answers_the_signals_before_it(engine: Engine, team: Team,
                                                 signalled: dict[str, int]) -> None:
    say(engine, team.li, f"复查 {signalled['complaint']} 正常 已回复读者", now=NOW)
    found = schedule(engine)[signalled["complaint"]]
    assert found.signal is None and found.due_on == TODAY + timedelta(days=90)


def test_a_recheck_answers_a_reads_spike(engine: Engine, team: Team,
                                        signalled: dict[str, int]) -> None:
    say(engine, team.zhou, f"复查 {signalled['reads']} 正常 转发带来的", now=NOW)
    found = schedule(engine)[signalled["reads"]]
    assert found.signal is None and found.due_on == TODAY + timedelta(days=90)
    assert recheck_cases.spot(SqlUnitOfWork(engine), TZ, NOW + timedelta(hours=1)) == 0


def test_recheck_alone_lists_everything_due_with_its_signal(engine: Engine, team: Team,
                                                            signalled: dict[str, int]) -> None:
    overdue = published(engine, team.wang, "旧闻", date(2026, 8, 1))  # due 30 October
    listed = ask(engine, team.li, "复查", now=NOW)
    assert listed.template == "rechecks"
    rows = listed.context["due"]
    assert [r["item_id"] for r in rows] == [overdue, signalled["complaint"],
                                           signalled["comment"], signalled["message"],
                                           signalled["reads"]]
    assert [(r["signal"], r["overdue"], r["due_on"]) for r in rows] == [
        ("", 38, "2026-10-30"), ("complaint", 4, "2026-12-03"), ("words", 3, "2026-12-04"),
        ("words", 2, "2026-12-05"), ("reads", 1, "2026-12-06")]
    text = listed.render()
    assert "已逾期 38 天" in text and "阅读突增" in text and "链接打不开" in text
    # 复查 N 正常 still answers one, and anything else typed is refused as before
    assert ask(engine, team.li, f"复查 {overdue} 正常", now=NOW).template == "moved"
    assert refusal(engine, team.li, "复查 abc", now=NOW).code == "not_a"
    assert refusal(engine, team.li, f"复查 {overdue}", now=NOW).code == "missing"


def test_me_lists_my_due_rechecks(engine: Engine, team: Team) -> None:
    mine = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))  # 7 days overdue
    others = published(engine, team.chen, "助学回访", date(2026, 8, 20))  # 19 days overdue
    published(engine, team.wang, "新文", date(2026, 11, 20))  # not due
    assert [r["item_id"] for r in ask(engine, team.wang, "我的", now=NOW)
            .context["rechecks"]] == [mine]
    assert [r["item_id"] for r in ask(engine, team.zhou, "我的", now=NOW)
            .context["rechecks"]] == [others, mine]
    admin = ask(engine, team.admin, "我的", now=NOW).context
    assert not admin["rechecks"] and [r["item_id"] for r in admin["overdue_rechecks"]] == [
        others]
    reviewer = ask(engine, team.li, "我的", now=NOW)
    assert not reviewer.context["rechecks"] and not reviewer.context["overdue_rechecks"]
    assert "待复查" in ask(engine, team.wang, "我的", now=NOW).render()


# --- the daily reminder -----------------------------------------------------------------

@pytest.fixture
def jobs(engine: Engine) -> Iterator[Jobs]:
    worker = Jobs(App(settings=load_settings(SETTINGS), engine=engine), "recheck-worker")
    yield worker
    worker.leader.release()


def reminders(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.payload, OutboxMessage.idempotency_key)
                            .where(OutboxMessage.kind == "notify").order_by(OutboxMessage.id))
        return [{**r.payload, "key": r.idempotency_key} for r in rows
                if r.payload["template"] == "recheck_due"]


def told(engine: Engine) -> list[int]:
    return sorted(p["staff_id"] for p in reminders(engine))


def test_one_reminder_a_day_per_person_listing_everything_due(
        engine: Engine, team: Team, jobs: Jobs) -> None:
    first = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))  # 7 days overdue
    second = published(engine, team.wang, "助学回访", date(2026, 9, 3))  # 5 days overdue
    published(engine, team.chen, "新文", date(2026, 11, 20))  # not due
    jobs.recheck_reminders(now=NOW - timedelta(hours=2))  # 08:00: before the hour
    assert reminders(engine) == []
    jobs.recheck_reminders(now=NOW)
    assert told(engine) == sorted([team.wang, team.zhou])  # admins: nothing two weeks late
    wang = next(p for p in reminders(engine) if p["staff_id"] == team.wang)
    assert [r["item_id"] for r in wang["context"]["mine"]] == [first, second]
    assert wang["context"]["may_answer"] is False  # a writer asks someone to re-check
    jobs.recheck_reminders(now=NOW + timedelta(hours=5))  # later that day
    assert recheck_cases.remind(SqlUnitOfWork(engine), DAYS, TZ, NOW, 9) == []  # another worker
    assert told(engine) == sorted([team.wang, team.zhou])
    jobs.recheck_reminders(now=NOW + timedelta(days=1))  # the next day: still due
    assert told(engine) == sorted([team.wang, team.wang, team.zhou, team.zhou])
    say(engine, team.zhou, f"复查 {first} 正常", now=NOW + timedelta(days=1, hours=1))
    say(engine, team.zhou, f"复查 {second} 正常", now=NOW + timedelta(days=1, hours=1))
    jobs.recheck_reminders(now=NOW + timedelta(days=2))  # nothing due any more
    assert len(reminders(engine)) == 4


def test_admins_are_told_of_what_is_two_weeks_overdue(engine: Engine, team: Team,
                                                     jobs: Jobs) -> None:
    late = published(engine, team.wang, "冬衣募集", date(2026, 8, 25))  # 14 days overdue
    published(engine, team.wang, "助学回访", date(2026, 8, 26))  # 13 days
    jobs.recheck_reminders(now=NOW)
    admins = [p for p in reminders(engine) if p["staff_id"] in (team.admin, team.admin2)]
    assert len(admins) == 2
    for notice in admins:
        assert notice["context"]["mine"] == []
        assert [r["item_id"] for r in notice["context"]["overdue"]] == [late]
        assert notice["key"] == f"recheck:{TODAY.isoformat()}:{notice['staff_id']}"


def test_a_reminder_outside_the_window_is_held_and_shown_with_the_next_reply(
        engine: Engine, team: Team, jobs: Jobs) -> None:
    item = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    with engine.begin() as conn:  # the analyst wrote an hour ago; the writer two days ago
        followers.touch(conn, "o_staff5", NOW - timedelta(hours=1), "message")
        followers.touch(conn, "o_staff2", NOW - timedelta(hours=49), "message")
    jobs.recheck_reminders(now=NOW)
    gateway = FakeGateway()
    make_sender(engine, gateway, now=NOW + timedelta(minutes=1)).drain()
    assert [(c[0], c[1][0]) for c in gateway.calls] == [("send_text", "o_staff5")]
    assert f"{item}.《冬衣募集》" in gateway.calls[0][1][1]
    with engine.connect() as conn:
        held = outbox.held_for(conn, "o_staff2")
    assert [p["template"] for _, p in held] == ["recheck_due"]
    account = make_account(engine)
    reply = account.client.push(wx.text("帮助", sender="o_staff2", msg_id=31_001), "safe").text
    assert "1 条未读通知" in reply and f"{item}.《冬衣募集》" in reply and "【待复查】" in reply
    with engine.connect() as conn:
        assert outbox.held_for(conn, "o_staff2") == []
    jobs.recheck_reminders(now=NOW + timedelta(hours=3))  # shown today: not sent again
    assert len([p for p in reminders(engine) if p["staff_id"] == team.wang]) == 1


def test_a_held_reminder_gives_way_to_the_next_days(engine: Engine, team: Team,
                                                    jobs: Jobs) -> None:
    published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    gateway = FakeGateway()
    for day in range(3):  # the writer's window stays closed three days
        jobs.recheck_reminders(now=NOW + timedelta(days=day))
        make_sender(engine, gateway, now=NOW + timedelta(days=day, minutes=1)).drain()
    with engine.connect() as conn:
        held = outbox.held_for(conn, "o_staff2")
        statuses = conn.execute(select(OutboxMessage.status).where(
            OutboxMessage.idempotency_key.like(f"recheck:%:{team.wang}"))
            .order_by(OutboxMessage.id)).scalars().all()
    assert [p["context"]["day"] for _, p in held] == ["2026-12-09"]
    assert statuses == ["cancelled", "cancelled", "held"]
