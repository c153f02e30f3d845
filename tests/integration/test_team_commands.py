"""Team, rule and help commands through the real grammar and dispatcher, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from handlers.commands.grammar import CommandError
from handlers.replies import TEXT_REPLY_BYTES
from storage import staff
from storage.models import (
    AutoReplyRule,
    ReplyTicket,
    Staff,
)
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import (
    NOW,
    Team,
    audit_trail,
    confirmation_code,
    make_team,
    open_ticket,
    refusal,
    say,
)
from workflow import staff_cases
from workflow.autoreply import MatchType, NewRule
from workflow.errors import LastAdmin
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR, Role

TODAY = date(2026, 11, 26)


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


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
    assert "未知角色“厨师”，可选：创作、审核、分析、管理" in say(engine, team.admin,
                                                     f"成员 角色 {team.li} 厨师")
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
    kept, done = open_ticket(engine, "o_f1", None), open_ticket(engine, "o_f2", None)
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
    with SqlUnitOfWork(engine) as uow:
        made = uow.rules.add(NewRule(match_type, pattern, reply, **extra),  # type: ignore[arg-type]
                             created_by=None, now=NOW)
        uow.commit()
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


def test_contains_rule_by_chat_answers_any_message_with_the_word(engine: Engine,
                                                                 team: Team) -> None:
    added = say(engine, team.admin, "规则 包含 报名 报名请点菜单“志愿者”")
    assert added == "已添加规则 1：粉丝的留言包含“报名”时自动回复：\n报名请点菜单“志愿者”"
    assert "会命中规则 1（包含“报名”）" in say(engine, team.admin, "规则 测试 我想报名当志愿者")
    assert ("rule:1", "rule_add", "张敏") in audit_trail(engine)
    assert "需要管理员权限" in say(engine, team.li, "规则 包含 报名 幸福路")


def test_regex_rule_by_chat_keeps_the_pattern_as_typed(engine: Engine, team: Team) -> None:
    added = say(engine, team.admin, r"规则 正则 ^(几点|什么时候)\s*开门 周一至周五 9:00-17:00")
    assert added.startswith(r"已添加规则 1：粉丝的留言匹配正则“^(几点|什么时候)\s*开门”时")
    assert "会命中规则 1" in say(engine, team.admin, "规则 测试 什么时候 开门？")
    assert "不会命中任何规则" in say(engine, team.admin, "规则 测试 明天开门吗")
    # Full-width letters are not folded: the rule matches what the author typed.
    say(engine, team.admin, r"规则 正则 ＶＩＰ\d+ 会员请联系小王")
    with Session(engine) as session:
        assert session.get(AutoReplyRule, 2).pattern == r"ＶＩＰ\d+"  # type: ignore[union-attr]
    assert "正则表达式无效" in say(engine, team.admin, "规则 正则 (未闭合 回复")
    assert len(rules_in(engine)) == 2


def test_menu_rule_by_chat_answers_the_click_and_reports_shadowing(engine: Engine,
                                                                   team: Team) -> None:
    first = _rule(engine, "CONTACT", "请留言", MatchType.CLICK, priority=5)
    added = say(engine, team.admin, "规则 菜单 CONTACT 电话 010-12345678")
    assert added.startswith(
        "已添加规则 2：粉丝点击 key 为“CONTACT”的菜单时自动回复：\n电话 010-12345678")
    assert f"注意：规则 {first}（菜单点击“CONTACT”）排在前面" in added
    assert "缺少回复" in say(engine, team.admin, "规则 菜单 CONTACT")


def rules_in(engine: Engine) -> list[AutoReplyRule]:
    with Session(engine) as session:
        return list(session.scalars(select(AutoReplyRule)))


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
    assert "选题 标题 [截止 日期] — 新建选题" in creator and "接 工单编号 — 认领工单" in creator
    assert "截止 稿件编号 日期|无 — " in creator and "分配 稿件编号" not in creator
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
    assert len(admin.encode()) <= TEXT_REPLY_BYTES < 2048 and " — " not in admin
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
    recheck = say(engine, team.li, "帮助 复查")  # only its 删除 verdict asks, and only admins
    assert "删除即撤回，仅管理员，需确认" in recheck
    assert "需要确认：结论为「删除」时需要" in recheck
    remove = say(engine, team.admin, "帮助 成员 删除")
    assert remove.startswith("成员 删除 成员编号") and "也可以用：staff remove" in remove
    assert "权限：所有成员" in say(engine, team.wang, "帮助 我的")


def test_help_for_an_unknown_command_suggests_the_closest(engine: Engine, team: Team) -> None:
    assert "你是想用「统计」吗" in say(engine, team.wang, "帮助 统记")
    assert say(engine, team.wang, "帮助 xyzzy").startswith("没有“xyzzy”这个命令")


def test_chat_and_console_staff_changes_share_one_use_case_and_its_audit(
        engine: Engine, team: Team) -> None:
    """The console acts through staff_cases like chat does: the same refusals (by
    code) and an audit row for each change, which the console never wrote before."""
    assert refusal(engine, team.admin, f"成员 角色 {team.admin} 审核").code == "own_admin_role"
    assert refusal(engine, team.admin, f"成员 删除 {team.admin}").code == "remove_self"
    missing = refusal(engine, team.admin, "成员 角色 999 审核")
    assert isinstance(missing, CommandError)  # said as chat says it (cmd/refused.j2)
    assert (missing.code, missing.data) == ("member_not_found", {"id": 999})
    with pytest.raises(LastAdmin):  # two admins: the console may demote one, not both
        for admin in (team.admin, team.admin2):
            staff_cases.set_roles(SqlUnitOfWork(engine), CONSOLE_ACTOR, admin,
                                  frozenset({Role.REVIEWER}), Context(now=NOW))
    added = staff_cases.add(SqlUnitOfWork(engine), CONSOLE_ACTOR, "吴迪",
                            frozenset({Role.CREATOR}), Context(now=NOW, command="wxops staff add"))
    assert audit_trail(engine)[-2:] == [(f"staff:{team.admin}", "set_roles", "cli"),
                                        (f"staff:{added.id}", "add", "cli")]
