"""统计 7天 / 30天 / 本月 on both engines: numbers seeded into article_metrics,
follower_metrics and reply_tickets, read back through the real command (the
answer's data, not its wording, except one rendering check)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, insert, text, update
from sqlalchemy.orm import Session

from storage.models import (
    ArticleMetric,
    CommentTicketRow,
    ContentItemRow,
    FollowerMetric,
    ReplyTicket,
    TicketMessage,
)
from storage.views import SqlFiguresView
from tests.integration.clirun import Wxops
from tests.integration.commanding import NOW, Team, ask, make_team, open_ticket, say
from workflow.figures import Complaints, ResponseTimes, Waiting
from workflow.stats import PeriodStats

TODAY = date(2026, 11, 26)  # NOW in Shanghai


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def _item(session: Session, team: Team, title: str, day: date, topic: str = "") -> int:
    at = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 9:00 in Shanghai
    row = ContentItemRow(title=title, topic=topic, author_id=team.wang, state="published",
                         published_at=at, created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    return row.id


def _metric(session: Session, msgid: str, item_id: int | None, day: date, reads: int,
            shares: int = 0, **more: int) -> None:
    session.add(ArticleMetric(msgid=msgid, item_id=item_id, day=day, reads=reads,
                              shares=shares, **more))


def _ticket(engine: Engine, openid: str, status: str, opened: datetime,
            answered_after: timedelta | None, complaint_on: int | None = None) -> None:
    ticket_id = open_ticket(engine, openid, None, status)
    answered = opened + answered_after if answered_after is not None else None
    with engine.begin() as conn:
        conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id).values(
            opened_at=opened, first_response_at=answered,
            waiting_since=None if answered else opened, priority=1 if complaint_on else 0))
        if complaint_on is not None:  # a comment's ticket, raised as a complaint
            conn.execute(insert(CommentTicketRow).values(
                ticket_id=ticket_id, item_id=complaint_on, msg_data_id="2247", article_index=0,
                user_comment_id=ticket_id))


@pytest.fixture
def seeded(engine: Engine, team: Team) -> dict[str, int]:
    with Session(engine) as session:
        a = _item(session, team, "甲", date(2026, 11, 20), "环保")
        b = _item(session, team, "乙", date(2026, 11, 22))
        c = _item(session, team, "丙", date(2026, 11, 1))
        _metric(session, "a_1", a, date(2026, 11, 20), 100, 5)
        _metric(session, "a_1", a, date(2026, 11, 21), 50, 1)
        _metric(session, "a_1", a, date(2026, 11, 26), 0, age=7, total_reads=150)
        _metric(session, "b_1", b, date(2026, 11, 22), 30)
        _metric(session, "c_1", c, date(2026, 11, 1), 400, 20)
        _metric(session, "c_1", c, date(2026, 11, 21), 10)
        _metric(session, "x_1", None, date(2026, 11, 23), 20)  # not a wxops item
        for day, new, lost in ((date(2026, 11, 21), 10, 3), (date(2026, 11, 25), 5, 1),
                               (date(2026, 11, 10), 7, 2)):
            session.add(FollowerMetric(day=day, new_users=new, cancel_users=lost))
        session.commit()
    _ticket(engine, "o_t1", "pending", NOW - timedelta(days=3), timedelta(minutes=20), a)
    _ticket(engine, "o_t2", "resolved", NOW - timedelta(days=2), timedelta(minutes=60), a)
    _ticket(engine, "o_t3", "pending", NOW - timedelta(days=20), timedelta(minutes=10))
    _ticket(engine, "o_t4", "open", NOW - timedelta(hours=30), None)
    return {"a": a, "b": b, "c": c}


def report(engine: Engine, team: Team, text: str) -> PeriodStats:
    answer = ask(engine, team.zhou, text)
    assert answer.template == "me_stats"
    found: PeriodStats = answer.context["report"]
    return found


def test_a_week(engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    week = report(engine, team, "统计 7天")
    assert (week.period.first, week.stats.reads, week.stats.shares) == (
        date(2026, 11, 20), 210, 6)
    assert (week.stats.new_followers, week.stats.lost_followers, week.net_followers) == (
        15, 4, 11)
    assert [(a.item_id, a.title, a.reads) for a in week.best] == [
        (seeded["a"], "甲", 150), (seeded["b"], "乙", 30), (None, "", 20)]
    assert [(a.item_id, a.reads) for a in week.weakest] == [(seeded["c"], 10)]
    assert (week.stats.open_tickets, week.answered, week.median_response_minutes) == (
        1, 2, 40.0)
    assert week.suggestions == []


def test_thirty_days_and_this_month(engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    month = report(engine, team, "统计 30天")
    assert (month.period.first, month.stats.reads, month.net_followers) == (
        date(2026, 10, 28), 610, 16)
    assert [a.item_id for a in month.best] == [seeded["c"], seeded["a"], seeded["b"]]
    assert [a.msgid for a in month.weakest] == ["x_1"]
    assert (month.answered, month.median_response_minutes) == (3, 20.0)
    assert [(s.code, s.data["count"]) for s in month.suggestions] == [("unanswered", 1),
                                                                   ("complaints", 2)]
    this = report(engine, team, "统计 本月")
    assert (this.period.first, this.period.month, this.stats.reads) == (
        date(2026, 11, 1), True, 610)
    assert report(engine, team, "stats month").period == this.period
    reply = say(engine, team.zhou, "统计 本月")  # the wording, once
    assert reply.startswith("本月（11月1日–11月26日）：")
    assert "净增 16 人" in reply and "首次回复中位数：20 分钟" in reply
    assert "超过 24 小时没有回复" in reply


def test_the_suggestions_read_model(engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    since, until = NOW - timedelta(days=90), NOW
    with Session(engine) as session:
        view = SqlFiguresView(session)
        published = {p.item_id: (p.topic, p.day7) for p in view.published_day7(since, until)}
        days = [(d.day, d.lost) for d in view.follower_days(date(2026, 11, 1), TODAY)]
        waiting = view.waiting(NOW - timedelta(hours=24))
        complaints = view.complaints(since, until)
    assert published == {seeded["a"]: ("环保", 150), seeded["b"]: ("", None),
                         seeded["c"]: ("", None)}
    assert days == [(date(2026, 11, 10), 2), (date(2026, 11, 21), 3), (date(2026, 11, 25), 1)]
    assert waiting == Waiting(1, NOW - timedelta(hours=30))
    assert complaints == [Complaints(seeded["a"], "甲", 2)]


def test_first_answers_are_summed_up_as_python_sums_them(engine: Engine, team: Team) -> None:
    """PostgreSQL takes the medians itself (storage/response_times.py): the same
    counts and medians, overall and by the local hour opened, as Python's."""
    ten, ten_pm = datetime(2026, 11, 20, 2, 5, tzinfo=UTC), datetime(2026, 11, 20, 14, 50,
                                                                     tzinfo=UTC)
    answers = [(ten, 10), (ten, 20), (ten, 30), (ten, 45),  # even: the two middles' mean
               (ten_pm, 120), (ten_pm, 90), (ten_pm, -5),  # answered "before": 0 minutes
               (ten - timedelta(days=40), 7)]  # answered before the range
    for n, (opened, minutes) in enumerate(answers):
        _ticket(engine, f"o_r{n}", "resolved", opened, timedelta(minutes=minutes))
    since, until = NOW - timedelta(days=30), NOW
    with Session(engine) as session:
        view = SqlFiguresView(session)
        found = view.response_times(since, until, ZoneInfo("Asia/Shanghai"))
        python = ResponseTimes.of(view.first_responses(since, until), ZoneInfo("Asia/Shanghai"))
        nothing = view.response_times(NOW, NOW + timedelta(days=1), ZoneInfo("Asia/Shanghai"))
    assert found == python
    assert (found.answered, found.median, dict(found.by_hour)) == (
        7, 30.0, {10: (4, 25.0), 22: (3, 90.0)})
    assert nothing == ResponseTimes(0, None, {})


def test_the_medians_leave_the_transactions_time_zone_as_it_was(engine: Engine,
                                                                team: Team) -> None:
    """PostgreSQL takes the local hours in the account's zone set for that one
    statement (storage/response_times.py); the transaction's zone is put back."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the session's time zone is PostgreSQL's")
    _ticket(engine, "o_z", "resolved", datetime(2026, 11, 20, 2, 5, tzinfo=UTC),
            timedelta(minutes=10))
    with Session(engine) as session:
        before = session.scalar(text("SELECT current_setting('TimeZone')"))
        found = SqlFiguresView(session).response_times(NOW - timedelta(days=30), NOW,
                                                       ZoneInfo("America/New_York"))
        after = session.scalar(text("SELECT current_setting('TimeZone')"))
    assert dict(found.by_hour) == {21: (1, 10.0)}  # 21:05 the day before, in New York
    assert after == before != "America/New_York"


def test_the_cli_runs_the_same_use_case(engine_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert wxops("db", "upgrade").status == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    engine = create_engine(engine_url)
    try:
        with Session(engine) as session:
            _metric(session, "m_1", None, today, 42, 3)
            _metric(session, "m_1", None, today - timedelta(days=20), 100)
            session.commit()
    finally:
        engine.dispose()
    week = wxops("stats")
    assert week.status == 0, week.err
    assert week.out.startswith("最近 7 天") and "阅读 42 次，分享 3 次" in week.out
    assert "阅读 142 次" in wxops("stats", "--days", "30").out
    assert wxops("stats", "--month").out.startswith("本月（")
    assert wxops("stats", "--days", "9").status != 0


def _complaint_message(engine: Engine, openid: str, text: str, priority: int = 1) -> None:
    ticket_id = open_ticket(engine, openid, None)
    with engine.begin() as conn:
        conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id).values(
            priority=priority, opened_at=NOW - timedelta(days=1)))
        conn.execute(insert(TicketMessage).values(
            ticket_id=ticket_id, direction="in", kind="text", content=text,
            created_at=NOW - timedelta(days=1)))


def test_a_complaint_message_naming_an_article_counts_for_it(
        engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    _complaint_message(engine, "o_m1", "《乙》里的电话打不通，投诉")
    _complaint_message(engine, "o_m2", "《乙》写错了 《乙》")  # one ticket counts once
    _complaint_message(engine, "o_m3", "《乙》很好", priority=0)  # not a complaint
    _complaint_message(engine, "o_m4", "《不存在的文章》太差")  # names no published item
    _complaint_message(engine, "o_m5", "乙 这篇太差")  # a title not in 《》 is not a name
    with Session(engine) as session:
        found = SqlFiguresView(session).complaints(NOW - timedelta(days=90), NOW)
    assert found == [Complaints(seeded["a"], "甲", 2), Complaints(seeded["b"], "乙", 2)]


def test_a_title_stored_with_blanks_is_named_stripped_and_a_shared_one_not(
        engine: Engine, team: Team) -> None:
    """Only the quoted titles are read (storage/titles.py), yet as before: a
    title is matched stripped, and one two items share names neither."""
    with Session(engine) as session:
        ding = _item(session, team, "丁\u3000", date(2026, 11, 20))  # a full-width blank
        _item(session, team, "戊", date(2026, 11, 20))
        _item(session, team, " 戊", date(2026, 11, 21))
        session.commit()
    _complaint_message(engine, "o_b1", "《丁》有误")
    _complaint_message(engine, "o_b2", "《戊》不对")
    with Session(engine) as session:
        found = SqlFiguresView(session).complaints(NOW - timedelta(days=90), NOW)
    assert [(c.item_id, c.count) for c in found] == [(ding, 1)]
