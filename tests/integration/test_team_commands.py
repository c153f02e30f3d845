"""Team, rule and "me" commands through the real grammar and dispatcher, on both engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from handlers.commands import me
from storage import followers, rules, staff, tickets
from storage.models import (
    ArticleMetric,
    AutoReplyRule,
    ContentItemRow,
    Follower,
    FollowerMetric,
    ProcessFeedback,
    ReplyTicket,
    ReviewRow,
    Staff,
)
from storage.repositories import parse_roles
from tests.integration.commanding import (
    NOW,
    audit_trail,
    confirmation_code,
    run_command,
)
from workflow.autoreply import MatchType
from workflow.roles import Actor, Role
from workflow.states import State

TODAY = date(2026, 11, 26)


@dataclass(frozen=True)
class Team:
    admin: int
    admin2: int
    wang: int  # creator
    li: int  # reviewer
    chen: int  # reviewer
    zhou: int  # analyst


@pytest.fixture
def team(engine: Engine) -> Team:
    people = [("张敏", Role.ADMIN), ("赵强", Role.ADMIN), ("王芳", Role.CREATOR),
              ("李雷", Role.REVIEWER), ("陈静", Role.REVIEWER), ("周平", Role.ANALYST)]
    with Session(engine) as session:
        made = [staff.add_staff(session, name, frozenset({role}), NOW, openid=f"o_staff{i}")
                for i, (name, role) in enumerate(people)]
        session.commit()
    return Team(*(m.id for m in made))


def say(engine: Engine, who: int | str, text: str, now: datetime = NOW,
        trusted: bool = True) -> str:
    """``who``: a staff id, or the openid of somebody who is not staff (yet)."""
    with engine.connect() as conn:
        actor, openid = _actor(conn, who)
    return run_command(engine, actor, openid, text, now, trusted)


def _actor(conn: Connection, who: int | str) -> tuple[Actor, str]:
    if isinstance(who, str):
        return Actor(0, who, frozenset()), who  # what the dispatcher passes for non-staff
    row = conn.execute(select(Staff.name, Staff.roles, Staff.openid).where(Staff.id == who)).one()
    return Actor(who, row.name, parse_roles(row.roles)), row.openid or f"o_gone{who}"


def member(engine: Engine, staff_id: int) -> Staff:
    with Session(engine) as session:
        row = session.get(Staff, staff_id)
        assert row is not None
        return row


# 成员 邀请 / 绑定

def test_invite_then_bind_makes_a_member(engine: Engine, team: Team) -> None:
    reply = say(engine, team.admin, "成员 邀请 审核 王小明")
    code = confirmation_code(reply, "绑定")
    assert "审核员，王小明" in reply
    assert "11月29日（周日）14:00 前有效" in reply  # 72 hours, in Shanghai time
    assert f"让对方向公众号发送：绑定 {code}" in reply

    welcome = say(engine, "o_newcomer", f"绑定 {code.lower()}")
    assert welcome.startswith("欢迎加入，王小明！你的角色：审核员。")
    assert "发送「帮助」" in welcome
    with Session(engine) as session:
        joined = session.scalars(select(Staff).where(Staff.openid == "o_newcomer")).one()
    assert (joined.name, joined.roles, joined.active) == ("王小明", "reviewer", True)
    assert audit_trail(engine) == [("invite:1", "invite", "张敏"),
                             (f"staff:{joined.id}", "bind", "王小明")]


def test_invite_without_name_binds_under_the_openid(engine: Engine, team: Team) -> None:
    code = confirmation_code(say(engine, team.admin, "staff invite creator"), "绑定")
    assert "欢迎加入，o_anon！你的角色：内容创作者" in say(engine, "o_anon", f"bind {code}")


def test_bind_refusals(engine: Engine, team: Team) -> None:
    code = confirmation_code(say(engine, team.admin, "成员 邀请 分析"), "绑定")
    assert "你已经是成员（李雷）了" in say(engine, team.li, f"绑定 {code}")
    assert say(engine, "o_x", "绑定 ZZZZZZZZ") == "邀请码无效或已过期，请向管理员重新索取"
    late = NOW + timedelta(hours=73)
    assert say(engine, "o_x", f"绑定 {code}", now=late).startswith("邀请码无效或已过期")
    assert say(engine, "o_x", f"绑定 {code}").startswith("欢迎加入")
    assert say(engine, "o_y", f"绑定 {code}").startswith("邀请码无效或已过期")  # once only
    assert "缺少邀请码" in say(engine, "o_y", "绑定")


def test_invite_refusals(engine: Engine, team: Team) -> None:
    assert "需要管理员权限" in say(engine, team.li, "成员 邀请 审核")
    assert "“厨师”不是可选项" in say(engine, team.admin, "成员 邀请 厨师")
    assert "不能超过 64 个字符" in say(engine, team.admin, "成员 邀请 审核 " + "名" * 65)
    assert "安全模式" in say(engine, team.admin, "成员 邀请 审核", trusted=False)


# 成员 / 成员 角色

def test_list_staff_shows_roles_and_binding(engine: Engine, team: Team) -> None:
    with Session(engine) as session:
        unbound = staff.add_staff(session, "吴迪", frozenset({Role.CREATOR, Role.REVIEWER}), NOW)
        session.commit()
    reply = say(engine, team.admin, "成员")
    assert reply.startswith("成员（7）：")
    assert f"{team.admin}. 张敏 — 管理员 · 已绑定" in reply
    assert f"{unbound.id}. 吴迪 — 内容创作者、审核员 · 未绑定" in reply
    assert "需要管理员权限" in say(engine, team.wang, "成员")


def test_set_roles(engine: Engine, team: Team) -> None:
    reply = say(engine, team.admin, f"成员 角色 {team.li} 审核 分析")
    assert reply == f"成员 {team.li} 李雷 的角色：审核员 → 审核员、数据分析员"
    assert member(engine, team.li).roles == "analyst,reviewer"
    assert (f"staff:{team.li}", "set_roles", "张敏") in audit_trail(engine)
    assert "未知角色 '厨师'" in say(engine, team.admin, f"成员 角色 {team.li} 厨师")
    assert "找不到成员 999" in say(engine, team.admin, "成员 角色 999 审核")
    assert "缺少角色" in say(engine, team.admin, f"成员 角色 {team.li}")
    assert "需要管理员权限" in say(engine, team.li, f"成员 角色 {team.li} 管理")


def test_admin_cannot_drop_their_own_admin_role(engine: Engine, team: Team) -> None:
    assert "不能去掉你自己的管理员角色" in say(engine, team.admin, f"成员 角色 {team.admin} 审核")
    assert member(engine, team.admin).roles == "admin"
    assert "管理员 → 审核员、管理员" in say(engine, team.admin, f"成员 角色 {team.admin} 管理 审核")
    assert "管理员 → 数据分析员" in say(engine, team.admin, f"成员 角色 {team.admin2} 分析")


# 成员 删除 → 确认

def test_remove_staff_needs_the_askers_code_once(engine: Engine, team: Team) -> None:
    asked = say(engine, team.admin, f"成员 删除 {team.li}")
    assert f"确认要移除成员 {team.li} 李雷（审核员）吗？" in asked
    code = confirmation_code(asked)
    assert say(engine, team.admin2, f"确认 {code}").startswith("确认码无效或已使用")
    assert member(engine, team.li).active
    assert say(engine, team.admin, f"确认 {code}") == \
        f"已移除成员 {team.li} 李雷。TA 的微信号已解绑，历史记录保留。"
    gone = member(engine, team.li)
    assert (gone.active, gone.openid) == (False, None)
    assert say(engine, team.admin, f"确认 {code}").startswith("确认码无效或已使用")
    assert (f"staff:{team.li}", "remove_staff", "张敏") in audit_trail(engine)
    assert f"找不到成员 {team.li}" in say(engine, team.admin, f"成员 删除 {team.li}")


def test_removing_a_member_puts_their_open_tickets_back_in_the_queue(
        engine: Engine, team: Team) -> None:
    kept, done = _ticket(engine, "o_f1", None), _ticket(engine, "o_f2", None)
    assert "认领" in say(engine, team.li, f"接 T{kept}")
    say(engine, team.li, f"接 T{done}")
    say(engine, team.li, f"结 T{done}")
    code = confirmation_code(say(engine, team.admin, f"成员 删除 {team.li}"))
    assert say(engine, team.admin, f"确认 {code}") == (
        f"已移除成员 {team.li} 李雷。TA 的微信号已解绑，历史记录保留。\n"
        "TA 认领的 1 个未结工单已放回队列，等待其他人认领。")
    with engine.connect() as conn:
        assignees = {row.id: row.assignee_id for row in
                     conn.execute(select(ReplyTicket.id, ReplyTicket.assignee_id))}
    assert assignees == {kept: None, done: team.li}  # who resolved it stays on record
    assert "认领" in say(engine, team.chen, f"接 T{kept}")


def test_remove_staff_refusals(engine: Engine, team: Team) -> None:
    assert "不能移除你自己" in say(engine, team.admin, f"成员 删除 {team.admin}")
    assert "找不到成员 999" in say(engine, team.admin, "成员 删除 999")
    assert "需要管理员权限" in say(engine, team.chen, f"成员 删除 {team.li}")


def test_remove_staff_code_expires(engine: Engine, team: Team) -> None:
    code = confirmation_code(say(engine, team.admin, f"staff remove {team.li}"))
    late = NOW + timedelta(minutes=6)
    assert say(engine, team.admin, f"确认 {code}", now=late).startswith("确认码已过期")
    assert member(engine, team.li).active


def test_remove_staff_code_void_once_the_member_changed(engine: Engine, team: Team) -> None:
    code = confirmation_code(say(engine, team.admin, f"成员 删除 {team.li}"))
    say(engine, team.admin2, f"成员 角色 {team.li} 审核 分析")
    assert say(engine, team.admin, f"确认 {code}").startswith("成员信息已变化，确认码作废")
    assert member(engine, team.li).active


def test_remove_staff_confirmation_needs_admin_still(engine: Engine, team: Team) -> None:
    code = confirmation_code(say(engine, team.admin, f"成员 删除 {team.li}"))
    say(engine, team.admin2, f"成员 角色 {team.admin} 审核")
    assert say(engine, team.admin, f"确认 {code}") == "这个操作需要管理员权限"
    assert member(engine, team.li).active


# 规则

def _rule(engine: Engine, pattern: str, reply: str, match_type: MatchType = MatchType.EXACT,
          **extra: object) -> int:
    with Session(engine) as session:
        made = rules.add_rule(session, match_type=match_type, pattern=pattern,
                              reply_text=reply, now=NOW, **extra)  # type: ignore[arg-type]
        session.commit()
    return made.id


def test_add_and_list_rules(engine: Engine, team: Team) -> None:
    assert say(engine, team.admin, "规则").startswith("还没有自动回复规则")
    added = say(engine, team.admin, "规则 添加 地址 社区中心在幸福路 8 号")
    assert added == "已添加规则 1：粉丝发送“地址”时自动回复：\n社区中心在幸福路 8 号"
    _rule(engine, "活动", "周六上午九点", MatchType.CONTAINS, priority=2,
          active_from=time(9), active_until=time(18))
    listed = say(engine, team.admin, "rules")
    assert listed.startswith("自动回复规则（2，按匹配顺序）：")
    assert "2. 包含“活动” → 周六上午九点 · 优先级 2 · 09:00-18:00 · 命中 0 次" in listed
    assert "1. 完全匹配“地址” → 社区中心在幸福路 8 号 · 命中 0 次" in listed
    assert ("rule:1", "rule_add", "张敏") in audit_trail(engine)
    assert "需要管理员权限" in say(engine, team.wang, "规则")


def test_add_rule_refusals_and_shadowing(engine: Engine, team: Team) -> None:
    assert "缺少回复" in say(engine, team.admin, "规则 添加 地址")
    too_long = say(engine, team.admin, "规则 添加 地址 " + "长" * 2001)
    assert "回复内容不能超过 2000 个字符" in too_long
    assert "需要管理员权限" in say(engine, team.li, "规则 添加 地址 幸福路")
    first = _rule(engine, "地", "请留言", MatchType.CONTAINS, priority=5)
    added = say(engine, team.admin, "规则 添加 地址 幸福路 8 号")
    assert f"注意：规则 {first}（包含“地”）排在前面，现在仍由它回答这句话。" in added


def test_rule_test_respects_hours_and_counts_no_hit(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "值班", "工作人员在线", active_from=time(9), active_until=time(12))
    assert say(engine, team.admin, "规则 测试 值班").startswith(
        "“值班”现在（14:00）不会命中任何规则，会进入留言队列等人工回复。")
    morning = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    hit = say(engine, team.admin, "规则 测试 值班", now=morning)
    assert hit.startswith(
        f"“值班”现在（10:00）会命中规则 {rule_id}（完全匹配“值班”），回复：\n工作人员在线")
    with Session(engine) as session:
        assert session.get(AutoReplyRule, rule_id).hits == 0  # type: ignore[union-attr]


def test_delete_rule_with_confirmation(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "地址", "幸福路 8 号")
    asked = say(engine, team.admin, f"规则 删除 {rule_id}")
    assert f"确认要删除规则 {rule_id}（完全匹配“地址”）吗？" in asked
    code = confirmation_code(asked)
    assert say(engine, team.admin2, f"确认 {code}").startswith("确认码无效或已使用")
    assert say(engine, team.admin, f"确认 {code}") == f"已删除规则 {rule_id}（完全匹配“地址”）。"
    assert say(engine, team.admin, f"确认 {code}").startswith("确认码无效或已使用")
    assert say(engine, team.admin, "规则").startswith("还没有自动回复规则")
    assert (f"rule:{rule_id}", "rule_delete", "张敏") in audit_trail(engine)
    assert "找不到规则 99" in say(engine, team.admin, "规则 删除 99")


def test_delete_rule_code_void_after_change_expiry_or_deletion(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "地址", "幸福路 8 号")
    stale = confirmation_code(say(engine, team.admin, f"规则 删除 {rule_id}"))
    with engine.begin() as conn:
        conn.execute(update(AutoReplyRule).where(AutoReplyRule.id == rule_id)
                     .values(reply_text="新地址：和平路 1 号"))
    assert say(engine, team.admin, f"确认 {stale}") \
        .startswith(f"规则 {rule_id} 已被修改，确认码作废")
    late = confirmation_code(say(engine, team.admin, f"规则 删除 {rule_id}"))
    assert say(engine, team.admin, f"确认 {late}", now=NOW + timedelta(minutes=5)) \
        .startswith("确认码已过期")
    first, second = (confirmation_code(say(engine, team.admin, f"规则 删除 {rule_id}"))
                     for _ in range(2))
    assert say(engine, team.admin, f"确认 {first}").startswith("已删除规则")
    assert say(engine, team.admin, f"确认 {second}") == f"规则 {rule_id} 已不存在，确认码作废。"


# 帮助

def test_help_lists_what_the_roles_allow(engine: Engine, team: Team) -> None:
    creator = say(engine, team.wang, "帮助")
    assert creator.startswith("你可以用的命令")
    assert "【我的】\n帮助 [命令] — 列出你可以用的命令" in creator
    assert "选题 标题 — 新建选题" in creator and "接 工单编号 — 认领工单" in creator
    for hidden in ("发布 稿件编号", "通过 稿件编号", "成员 邀请", "规则 添加", "绑定 邀请码",
                   "【团队与规则】"):
        assert hidden not in creator, hidden
    reviewer = say(engine, team.li, "帮助")
    assert "终审 稿件编号 [意见] — 终审通过" in reviewer and "稿件 [状态] — " in reviewer
    assert "复查 稿件编号 正常|更新|删除 [说明] — 定期复查已发布文章" in reviewer
    assert "排期 稿件编号" not in reviewer
    admin = say(engine, team.admin, "help", trusted=False)  # reading needs no safe mode
    assert "【团队与规则】" in admin and "\n成员 删除 成员编号\n" in admin
    assert "\n发布 稿件编号\n" in admin and "成员 邀请 创作|审核|分析|管理 [名字]" in admin
    assert "绑定 邀请码" not in admin
    # Every command is listed for an admin, so the summaries go: WeChat drops >2048 bytes.
    assert len(admin.encode()) <= me.REPLY_BYTES < 2048 and " — " not in admin
    assert "\n绑定 邀请码 — 用邀请码加入团队" in say(engine, "o_stranger", "帮助")


def test_help_for_one_command(engine: Engine, team: Team) -> None:
    approve = say(engine, team.li, "帮助 通过")
    assert approve.splitlines() == [
        "通过 稿件编号 [意见]", "初审通过", "例如：通过 12 写得很好", "也可以用：approve",
        "权限：审核员、管理员", "需要确认：否"]
    publish = say(engine, team.wang, "help publish")
    assert publish.startswith("发布 稿件编号\n立即发布（需确认）")
    assert "权限：管理员（你目前没有这个权限）" in publish
    assert "需要确认：是" in publish
    remove = say(engine, team.admin, "帮助 成员 删除")
    assert remove.startswith("成员 删除 成员编号") and "也可以用：staff remove" in remove
    assert "权限：所有成员" in say(engine, team.wang, "帮助 我的")


def test_help_for_an_unknown_command_suggests_the_closest(engine: Engine, team: Team) -> None:
    assert "你是想用「统计」吗" in say(engine, team.wang, "帮助 统记")
    assert say(engine, team.wang, "帮助 xyzzy").startswith("没有“xyzzy”这个命令")


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
                         created_at=NOW, updated_at=NOW)
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


def _ticket(engine: Engine, openid: str, assignee: int | None, status: str = "open") -> int:
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, NOW - timedelta(minutes=90), "message")
        ticket_id = tickets.record_inbound(conn, follower_id, "text", f"{openid} 的留言", None,
                                           NOW - timedelta(minutes=90)).ticket_id
        conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id)
                     .values(assignee_id=assignee, status=status))
    return ticket_id


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
            f"{made.changes}.《志愿者故事》 待修改\n写完回复「提交 编号」") in wang
    assert "年度报告" not in wang
    admin = say(engine, team.admin, "我的")
    assert f"【待排期】1 篇\n{made.approved}.《活动回顾》" in admin
    assert f"【发布失败】1 篇\n{made.failed}.《新年寄语》" in admin
    assert "待初审" not in admin and "我的稿件" not in admin


def test_todo_lists_my_tickets_and_the_unclaimed(engine: Engine, team: Team) -> None:
    mine = _ticket(engine, "o_fan1", team.li)
    _ticket(engine, "o_fan2", team.li, status="pending")  # waits for the follower
    _ticket(engine, "o_fan3", None)
    _ticket(engine, "o_fan4", team.chen)
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
    _ticket(engine, "o_fan1", None)


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
