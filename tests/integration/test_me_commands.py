"""我的, 统计 and 建议 through the real grammar and dispatcher, on both engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

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
    audit_trail,
    make_team,
    open_ticket,
    say,
)
from workflow.states import State

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


def test_todo_when_nothing_waits(engine: Engine, team: Team) -> None:
    _seed_items(engine, team)
    assert say(engine, team.zhou, "我的") == "没有等你处理的事。"


def test_todo_for_reviewers(engine: Engine, team: Team) -> None:
    made = _seed_items(engine, team)
    li = say(engine, team.li, "我的")
    assert f"【待初审】1 篇\n{made.in_review}.《年度报告》" in li  # not his own item
    assert "待终审" not in li  # he gave the first approval
    chen = say(engine, team.chen, "todo")
    assert f"【待初审】2 篇\n{made.in_review}.《年度报告》\n{made.li_own}.《审核手记》" in chen
    assert f"【待终审】1 篇\n{made.final}.《募捐倡议》\n回复「终审 编号」" in chen
    assert "我的稿件" not in chen and "待排期" not in chen


def test_todo_for_creator_and_admin(engine: Engine, team: Team) -> None:
    made = _seed_items(engine, team)
    wang = say(engine, team.wang, "我的")
    assert (f"【我的稿件】2 篇\n{made.planned}.《冬季助学》 选题\n"
            f"{made.changes}.《志愿者故事》 待修改\n"
            "选题先回复「开始 编号」，写完回复「提交 编号」") in wang
    assert "年度报告" not in wang
    admin = say(engine, team.admin, "我的")
    assert f"【待排期】1 篇\n{made.approved}.《活动回顾》" in admin
    assert f"【发布失败】1 篇\n{made.failed}.《新年寄语》" in admin
    assert "待初审" not in admin and "我的稿件" not in admin


def test_todo_lists_my_tickets_and_the_unclaimed(engine: Engine, team: Team) -> None:
    mine = open_ticket(engine, "o_fan1", team.li)
    open_ticket(engine, "o_fan2", team.li, status="pending")  # waits for the follower
    open_ticket(engine, "o_fan3", None)
    open_ticket(engine, "o_fan4", team.chen)
    li = say(engine, team.li, "我的")
    assert f"【我的工单】1 条\nT{mine} o_fan1 的留言（已等 1 小时）" in li
    assert "还有 1 条留言没人认领，发送「队列」查看。" in li
    assert say(engine, team.zhou, "我的") == \
        "等你处理的事：\n还有 1 条留言没人认领，发送「队列」查看。"


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


def test_stats_before_any_analytics_pull(engine: Engine, team: Team) -> None:
    _seed_activity(engine, team)
    reply = say(engine, team.wang, "统计")
    assert reply.startswith("最近 7 天（11月20日–11月26日）：\n阅读、分享：还没有从微信拉取过数据")
    assert "新增关注 2 人（按本系统收到的关注事件统计）" in reply
    assert "发布 1 篇\n· " in reply and "《本周文章》" in reply and "上月文章" not in reply
    assert "现在待回复的工单：1 条" in reply
    assert "完整的数据分析稍后上线" in reply
    assert "新增关注 3 人" in say(engine, team.wang, "统计 30天")


def test_stats_sums_pulled_metrics(engine: Engine, team: Team) -> None:
    _seed_activity(engine, team)
    with Session(engine) as session:
        for i, (days_ago, reads, shares) in enumerate(((1, 100, 5), (6, 50, 2), (7, 1000, 40))):
            session.add(ArticleMetric(msgid=f"m{i}_1", day=TODAY - timedelta(days=days_ago),
                                      reads=reads, shares=shares))
        session.add(FollowerMetric(day=TODAY - timedelta(days=1), new_users=10, cancel_users=1))
        session.add(FollowerMetric(day=TODAY - timedelta(days=8), new_users=99, cancel_users=0))
        session.commit()
    week = say(engine, team.zhou, "统计 7天")
    assert "阅读 150 次，分享 7 次" in week
    assert "新增关注 10 人，取消关注 1 人" in week
    assert "稍后上线" not in week
    assert say(engine, team.zhou, "统计 7") == week == say(engine, team.zhou, "stats 7d")
    month = say(engine, team.zhou, "统计 30天")
    assert month.startswith("最近 30 天（10月28日–11月26日）")
    assert "阅读 1150 次，分享 47 次" in month and "新增关注 109 人" in month


def test_stats_refuses_odd_periods(engine: Engine, team: Team) -> None:
    for text in ("统计 91天", "统计 0天", "统计 一周"):
        assert say(engine, team.wang, text).startswith("天数应为 1 到 90"), text
    assert "最近 90 天" in say(engine, team.wang, "统计 90天")


# 建议

def test_feedback_is_stored_with_its_quarter(engine: Engine, team: Team) -> None:
    reply = say(engine, team.li, "建议 终审通知能不能早一点发")
    assert reply == "谢谢你的建议！已记录，会在 2026Q4 的季度流程评估时一起讨论。"
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027-01-01 in Shanghai
    assert "2027Q1" in say(engine, team.wang, "feedback 选题会改到周一", now=new_year)
    with Session(engine) as session:
        rows = session.execute(select(ProcessFeedback.staff_id, ProcessFeedback.content,
                                      ProcessFeedback.quarter)
                               .order_by(ProcessFeedback.id)).all()
    assert [tuple(r) for r in rows] == [(team.li, "终审通知能不能早一点发", "2026Q4"),
                                        (team.wang, "选题会改到周一", "2027Q1")]
    assert ("feedback:1", "feedback", "李雷") in audit_trail(engine)


def test_feedback_refusals(engine: Engine, team: Team) -> None:
    assert "缺少建议内容" in say(engine, team.li, "建议")
    assert "1000 字以内" in say(engine, team.li, "建议 " + "长" * 1001)
    with Session(engine) as session:
        assert session.scalars(select(ProcessFeedback)).first() is None
