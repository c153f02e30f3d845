"""Topic planning through the real grammar and dispatcher, on both engines (issue
19.3): 选题 … 截止, 分配, 截止, 我的 with due days, and 日程."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from handlers.commands.context import Result
from handlers.commands.grammar import parse
from handlers.commands.table import TABLE
from handlers.replies import TEXT_REPLY_BYTES
from storage.models import ContentItemRow, OutboxMessage
from tests.integration.commanding import (
    NOW,
    Team,
    ask,
    command_context,
    make_team,
    refusal,
    say,
)
from workflow.agenda import EntryKind
from workflow.capabilities import FULL, UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.roles import Actor, Role
from workflow.states import State

TODAY = date(2026, 11, 26)  # NOW is Thursday 14:00 in Shanghai


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def _row(engine: Engine, item_id: int) -> ContentItemRow:
    with Session(engine) as session:
        row = session.get(ContentItemRow, item_id)
        assert row is not None
        return row


def _latest_item(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.scalar(select(ContentItemRow.id).order_by(ContentItemRow.id.desc()))
        assert found is not None
        return found


def _notices(engine: Engine) -> list[tuple[int, str, dict[str, Any]]]:
    with Session(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notify")
                               .order_by(OutboxMessage.id))
        return [(r.payload["staff_id"], r.payload["template"], r.payload["context"])
                for r in rows if r.status != "cancelled"]


def test_an_admins_topic_with_a_due_day_is_given_to_a_writer(engine: Engine, team: Team) -> None:
    say(engine, team.admin, "选题 冬季助学计划 截止 12月20日")
    item = _latest_item(engine)
    row = _row(engine, item)
    assert (row.title, row.author_id) == ("冬季助学计划", team.admin)
    assert row.due_on == date(2026, 12, 20)
    # Before it is given to her, the writer may not start it, and is told who can help.
    assert refusal(engine, team.wang, f"开始 {item}").code == "not_owner"
    say(engine, team.admin, f"分配 {item} 王芳")
    assert _row(engine, item).author_id == team.wang
    assigned = [(who, ctx.get("due")) for who, template, ctx in _notices(engine)
                if template == "item_assigned"]
    assert assigned == [(team.wang, "2026-12-20")]
    say(engine, team.wang, f"开始 {item}")
    # On an account that cannot message her first, the admin is told when she will know.
    for capabilities, pushed in ((Capabilities(UNVERIFIED_SUBSCRIPTION), False), (FULL, True)):
        say(engine, team.admin, "选题 春季助学计划")
        given = ask(engine, team.admin, f"分配 {_latest_item(engine)} 王芳",
                    capabilities=capabilities)
        assert (given.context["told"], given.context["pushed"]) == (True, pushed)
    assert _row(engine, item).state == State.DRAFTING.value


@pytest.mark.parametrize(("text", "code"), [
    ("分配 {item} 李雷", "not_a_writer"),          # a reviewer, not a writer
    ("分配 {item} 没有这个人", "writer_unknown"),
    ("分配 {item} 王芳", "already_writer"),
])
def test_an_item_is_given_only_to_another_member_who_writes(
        engine: Engine, team: Team, text: str, code: str) -> None:
    say(engine, team.admin, "选题 春季义诊")
    item = _latest_item(engine)
    say(engine, team.admin, f"分配 {item} {team.wang}")  # by number, as 成员 lists them
    assert refusal(engine, team.admin, text.format(item=item)).code == code
    assert _row(engine, item).author_id == team.wang


def test_only_admins_give_items(engine: Engine, team: Team) -> None:
    say(engine, team.wang, "选题 社区读书会")
    item = _latest_item(engine)
    assert refusal(engine, team.li, f"分配 {item} 王芳").code == "needs_role"
    assert refusal(engine, team.wang, f"分配 {item} 赵强").code == "needs_role"


def test_the_writer_sets_and_clears_the_due_day(engine: Engine, team: Team) -> None:
    say(engine, team.wang, "选题 社区读书会")
    item = _latest_item(engine)
    say(engine, team.wang, f"截止 {item} 下周五")
    assert _row(engine, item).due_on == date(2026, 12, 4)
    say(engine, team.wang, f"截止 {item} 无")
    assert _row(engine, item).due_on is None
    assert refusal(engine, team.li, f"截止 {item} 周五").code == "needs_role"
    say(engine, team.admin, f"截止 {item} 2026-12-10")  # an admin may, and the writer hears
    assert _row(engine, item).due_on == date(2026, 12, 10)
    assert [(who, t) for who, t, _ in _notices(engine)] == [(team.wang, "item_due_changed")]


def test_a_due_day_gone_this_year_is_asked_and_the_offer_sets_it(
        engine: Engine, team: Team) -> None:
    say(engine, team.wang, "选题 年终回顾")
    item = _latest_item(engine)
    asked = refusal(engine, team.wang, f"截止 {item} 11月20日")
    assert (asked.code, getattr(asked, "data", {}).get("reply")) == (
        "when_passed", f"截止 {item} 2027-11-20")
    assert _row(engine, item).due_on is None  # nothing set
    say(engine, team.wang, f"截止 {item} 2027-11-20")
    assert _row(engine, item).due_on == date(2027, 11, 20)
    asked = refusal(engine, team.wang, "选题 新年贺词 截止 1月1日 9:00")  # a day, not a time
    assert asked.code == "day_with_clock" and _latest_item(engine) == item  # nothing planned
    asked = refusal(engine, team.wang, "选题 新年贺词 截止 11月1日")
    assert getattr(asked, "data", {}).get("reply") == "选题 新年贺词 截止 2027-11-01"


def test_a_topic_given_to_me_shows_in_我的_with_its_due_day(engine: Engine, team: Team) -> None:
    say(engine, team.admin, "选题 冬季助学计划 截止 12月20日")
    item = _latest_item(engine)
    say(engine, team.admin, f"分配 {item} 王芳")
    mine = ask(engine, team.wang, "我的").context["todo"].mine
    assert [(it.id, it.title, it.due_on) for it in mine] == [(item, "冬季助学计划",
                                                              date(2026, 12, 20))]
    late = say(engine, team.wang, "我的", now=NOW + timedelta(days=26))  # Dec 22nd
    assert "已逾期 2 天" in late  # as 我的 words it (templates/due.j2)


def _agenda(engine: Engine, who: int, text: str, now: datetime = NOW) -> Result:
    actor = Actor(who, "张敏", frozenset({Role.ADMIN}))
    with engine.begin() as conn:
        ctx = command_context(conn, actor, "o_staff0", text, now)
        command = parse(text, TABLE)
        result: Result = command.spec.handler(ctx, command)
        assert len(result.render().encode()) <= TEXT_REPLY_BYTES
        return result


def _seed_calendar(engine: Engine, team: Team) -> dict[str, int]:
    sat_evening = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # Saturday 20:00 in Shanghai
    rows = {
        "due": ContentItemRow(title="周五截稿", state=State.DRAFTING.value,
                              due_on=date(2026, 11, 27)),
        "scheduled": ContentItemRow(title="周六发布", state=State.SCHEDULED.value,
                                    scheduled_at=sat_evening),
        "published": ContentItemRow(title="周二已发", state=State.PUBLISHED.value,
                                    published_at=datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
        "overdue": ContentItemRow(title="逾期稿件", state=State.CHANGES_REQUESTED.value,
                                  due_on=date(2026, 11, 20)),
        "undated": ContentItemRow(title="还没日期", state=State.PLANNED.value),
        "next_week": ContentItemRow(title="下周截稿", state=State.PLANNED.value,
                                    due_on=date(2026, 12, 2)),
        "old": ContentItemRow(title="上月发布", state=State.PUBLISHED.value,
                              published_at=datetime(2026, 10, 2, 2, 0, tzinfo=UTC)),
    }
    with Session(engine) as session:
        for row in rows.values():
            row.author_id, row.created_at, row.updated_at = team.wang, NOW, NOW
            session.add(row)
        session.commit()
        return {name: row.id for name, row in rows.items()}


def _days(result: Result) -> list[tuple[date, list[tuple[EntryKind, int]]]]:
    return [(day, [(e.kind, e.item.id) for e in entries])
            for day, entries in result.context["days"]]


def test_日程_lists_what_is_due_scheduled_and_published_by_day(engine: Engine, team: Team) -> None:
    ids = _seed_calendar(engine, team)
    week = _agenda(engine, team.admin, "日程")
    assert _days(week) == [
        (date(2026, 11, 24), [(EntryKind.PUBLISHED, ids["published"])]),
        (date(2026, 11, 27), [(EntryKind.DUE, ids["due"])]),
        (date(2026, 11, 28), [(EntryKind.SCHEDULED, ids["scheduled"])]),
    ]
    agenda = week.context["agenda"]
    assert [it.id for it in agenda.overdue] == [ids["overdue"]]
    assert [it.id for it in agenda.undated] == [ids["undated"]]
    assert _days(_agenda(engine, team.admin, "日程 下周")) == [
        (date(2026, 12, 2), [(EntryKind.DUE, ids["next_week"])])]
    month = [item for _, entries in _days(_agenda(engine, team.admin, "日程 本月"))
             for _, item in entries]
    assert ids["old"] not in month and ids["published"] in month
    assert "周六发布" in week.render() and "20:00" in week.render()


def test_a_crowded_month_still_fits_one_reply(engine: Engine, team: Team) -> None:
    with Session(engine) as session:
        for n in range(60):
            session.add(ContentItemRow(
                title=f"很长很长的稿件标题用来测试一条回复能不能装下第{n}篇", author_id=team.wang,
                state=State.DRAFTING.value, due_on=date(2026, 11, 27) + timedelta(days=n % 4),
                created_at=NOW, updated_at=NOW))
        session.commit()
    month = _agenda(engine, team.admin, "日程 本月")  # _agenda checks the size
    assert month.context["hidden"] > 0
