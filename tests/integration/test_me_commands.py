"""我的, 统计 and 建议 through the real grammar and dispatcher, on both engines.

The tests read the answer as data (``ask``: the template and its context; a
refusal's code and data); a few check the catalogue's wording of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from handlers.commands.grammar import CommandError
from handlers.commands.table import TABLE
from storage.models import (
    ArticleMetric,
    ContentItemRow,
    Follower,
    FollowerMetric,
    ProcessFeedback,
    ReviewRow,
)
from tests.integration.commanding import (
    NOW,
    Team,
    ask,
    audit_trail,
    make_team,
    open_ticket,
    refusal,
    say,
)
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.model import ContentItem
from workflow.overview import Todo
from workflow.states import State
from workflow.stats import Stats

TODAY = date(2026, 11, 26)


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


# 我的

@dataclass(frozen=True)
class Items:
    planned: int
    changes: int
    in_review: int
    final: int
    approved: int
    failed: int
    li_own: int


def _item(session: Session, title: str, author: int, state: State, round_: int = 0) -> int:
    row = ContentItemRow(title=title, author_id=author, state=state.value, review_round=round_,
                         body=f"<p>{title}的正文</p>", created_at=NOW, updated_at=NOW)
    session.add(row)
    session.flush()
    return row.id


def _seed_items(engine: Engine, team: Team) -> Items:
    with Session(engine) as session:
        made = Items(
            _item(session, "冬季助学", team.wang, State.PLANNED),
            _item(session, "志愿者故事", team.wang, State.CHANGES_REQUESTED, 1),
            _item(session, "年度报告", team.wang, State.IN_REVIEW, 1),
            _item(session, "募捐倡议", team.wang, State.FINAL_REVIEW, 1),
            _item(session, "活动回顾", team.wang, State.APPROVED, 1),
            _item(session, "新年寄语", team.wang, State.PUBLISH_FAILED, 1),
            _item(session, "审核手记", team.li, State.IN_REVIEW, 1))
        _item(session, "旧文", team.wang, State.PUBLISHED, 1)
        session.add(ReviewRow(item_id=made.final, reviewer_id=team.li, stage="first",
                              decision="approved", revision=1, review_round=1, at=NOW))
        session.commit()
    return made


def todo(engine: Engine, who: int, text: str = "我的") -> Todo:
    answer = ask(engine, who, text)
    assert answer.template == "me_todo"
    found: Todo = answer.context["todo"]
    return found


def ids(items: list[ContentItem]) -> list[int]:
    return [item.id for item in items]


def test_todo_when_nothing_waits(engine: Engine, team: Team) -> None:
    _seed_items(engine, team)
    assert todo(engine, team.zhou).empty
    assert say(engine, team.zhou, "我的") == "没有等你处理的事。"  # the wording, once


def test_todo_for_reviewers(engine: Engine, team: Team) -> None:
    made = _seed_items(engine, team)
    li = todo(engine, team.li)
    assert ids(li.to_review) == [made.in_review]  # not his own item
    assert li.to_final == []  # he gave the first approval
    chen = todo(engine, team.chen, "todo")
    assert ids(chen.to_review) == [made.in_review, made.li_own]
    assert ids(chen.to_final) == [made.final]
    assert chen.mine == [] and chen.to_schedule == []
    shown = say(engine, team.chen, "todo")  # how a section reads: count, items, what to reply
    assert f"【待终审】1 篇\n{made.final}.《募捐倡议》\n回复「终审 编号」" in shown


def test_todo_for_creator_and_admin(engine: Engine, team: Team) -> None:
    made = _seed_items(engine, team)
    wang = todo(engine, team.wang)
    assert [(it.id, it.state) for it in wang.mine] == [(made.planned, State.PLANNED),
                                                       (made.changes, State.CHANGES_REQUESTED)]
    assert wang.mine_to_start and not wang.mine_to_revise
    assert wang.to_review == [] and wang.to_final == []  # 年度报告 is not theirs to review
    admin = todo(engine, team.admin)
    assert ids(admin.to_schedule) == [made.approved]
    assert ids(admin.failed) == [made.failed]
    assert admin.to_review == [] and admin.mine == []


def test_todo_lists_my_tickets_and_the_unclaimed(engine: Engine, team: Team) -> None:
    mine = open_ticket(engine, "o_fan1", team.li)
    open_ticket(engine, "o_fan2", team.li, status="pending")  # waits for the follower
    open_ticket(engine, "o_fan3", None)
    open_ticket(engine, "o_fan4", team.chen)
    li = todo(engine, team.li)
    assert [(t.id, t.summary, t.minutes) for t in li.tickets] == [(mine, "o_fan1 的留言", 90)]
    assert li.unclaimed == 1
    zhou = todo(engine, team.zhou)
    assert (zhou.tickets, zhou.unclaimed, zhou.empty) == ([], 1, False)


def test_todo_says_where_to_answer_on_an_account_without_customer_service(
        engine: Engine, team: Team) -> None:
    open_ticket(engine, "o_fan1", team.li)
    assert "回复「回 T编号 内容」" in say(engine, team.li, "我的")
    shown = ask(engine, team.li, "我的",
                capabilities=Capabilities(UNVERIFIED_SUBSCRIPTION)).render()
    assert "回 T编号" not in shown
    assert "公众号后台「消息管理」页回复" in shown and "「结 T编号 已在后台回复」" in shown


# 统计

def _seed_activity(engine: Engine, team: Team) -> None:
    with Session(engine) as session:
        for i, days_ago in enumerate((1, 6, 20)):
            session.add(Follower(openid=f"o_f{i}", subscribed=True,
                                 subscribed_at=NOW - timedelta(days=days_ago)))
        for title, days_ago in (("本周文章", 2), ("上月文章", 12)):
            session.add(ContentItemRow(title=title, author_id=team.wang, state="published",
                                       published_at=NOW - timedelta(days=days_ago),
                                       created_at=NOW, updated_at=NOW))
        session.commit()
    open_ticket(engine, "o_fan1", None)


def stats(engine: Engine, who: int, text: str) -> tuple[int, Stats]:
    answer = ask(engine, who, text)
    assert answer.template == "me_stats"
    return answer.context["days"], answer.context["stats"]


def test_stats_before_any_analytics_pull(engine: Engine, team: Team) -> None:
    _seed_activity(engine, team)
    days, week = stats(engine, team.wang, "统计")
    assert (days, week.first, week.last) == (7, date(2026, 11, 20), TODAY)
    assert not week.analytics_pulled
    assert (week.new_followers, week.lost_followers) == (2, None)  # counted from our records
    assert [it.title for it in week.published] == ["本周文章"]
    assert week.open_tickets == 1
    assert stats(engine, team.wang, "统计 30天")[1].new_followers == 3
    reply = say(engine, team.wang, "统计")  # the wording, once
    assert reply.startswith("最近 7 天（11月20日–11月26日）：\n阅读、分享：还没有从微信拉取过数据")
    assert "wxops analytics backfill" in reply
    # Without the data interfaces no pull will ever come: where the figures are.
    small = ask(engine, team.wang, "统计",
                capabilities=Capabilities(UNVERIFIED_SUBSCRIPTION)).render()
    assert "阅读、分享：本公众号没有「数据统计」接口的权限" in small
    assert "公众号后台「数据分析」" in small and "analytics backfill" not in small


def test_stats_sums_pulled_metrics(engine: Engine, team: Team) -> None:
    _seed_activity(engine, team)
    with Session(engine) as session:
        for i, (days_ago, reads, shares) in enumerate(((1, 100, 5), (6, 50, 2), (7, 1000, 40))):
            session.add(ArticleMetric(msgid=f"m{i}_1", day=TODAY - timedelta(days=days_ago),
                                      reads=reads, shares=shares))
        session.add(FollowerMetric(day=TODAY - timedelta(days=1), new_users=10, cancel_users=1))
        session.add(FollowerMetric(day=TODAY - timedelta(days=8), new_users=99, cancel_users=0))
        session.commit()
    days, week = stats(engine, team.zhou, "统计 7天")
    assert (days, week.reads, week.shares) == (7, 150, 7)
    assert (week.new_followers, week.lost_followers) == (10, 1)
    assert week.analytics_pulled
    assert stats(engine, team.zhou, "统计 7") == (7, week) == stats(engine, team.zhou, "stats 7d")
    days, month = stats(engine, team.zhou, "统计 30天")
    assert (days, month.first, month.last) == (30, date(2026, 10, 28), TODAY)
    assert (month.reads, month.shares, month.new_followers) == (1150, 47, 109)


def test_stats_refuses_odd_periods(engine: Engine, team: Team) -> None:
    for text in ("统计 91天", "统计 0天", "统计 一周", "统计 ❼天"):  # ❼: isdigit, not int
        refused = refusal(engine, team.wang, text)
        assert isinstance(refused, CommandError), text
        assert (refused.code, refused.data) == ("days_invalid", {"limit": 90}), text
    assert stats(engine, team.wang, "统计 90天")[0] == 90


# 建议

def test_feedback_is_stored_with_its_quarter(engine: Engine, team: Team) -> None:
    thanked = ask(engine, team.li, "建议 终审通知能不能早一点发")
    assert (thanked.template, thanked.context) == ("me_feedback", {"quarter": "2026Q4"})
    assert thanked.render() == "谢谢你的建议！已记录，会在 2026Q4 的季度流程评估时一起讨论。"
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027-01-01 in Shanghai
    later = ask(engine, team.wang, "feedback 选题会改到周一", now=new_year)
    assert later.context["quarter"] == "2027Q1"
    with Session(engine) as session:
        rows = session.execute(select(ProcessFeedback.staff_id, ProcessFeedback.content,
                                      ProcessFeedback.quarter)
                               .order_by(ProcessFeedback.id)).all()
    assert [tuple(r) for r in rows] == [(team.li, "终审通知能不能早一点发", "2026Q4"),
                                        (team.wang, "选题会改到周一", "2027Q1")]
    assert ("feedback:1", "feedback", "李雷") in audit_trail(engine)


def test_feedback_refusals(engine: Engine, team: Team) -> None:
    missing = refusal(engine, team.li, "建议")
    assert isinstance(missing, CommandError)
    feedback = next(spec for spec in TABLE if spec.name == "feedback")
    assert (missing.code, missing.data["label"]) == ("missing", feedback.args[0].label)
    too_long = refusal(engine, team.li, "建议 " + "长" * 1001)
    assert (too_long.code, getattr(too_long, "limit", None)) == ("feedback_too_long", 1000)
    with Session(engine) as session:
        assert session.scalars(select(ProcessFeedback)).first() is None
